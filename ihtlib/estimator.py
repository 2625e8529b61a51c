"""A scikit-learn classifier that trains the book's softmax layer by IHT.

:class:`IHTClassifier` is a thin layer over the library: it builds
``SoftmaxLayer(d, K).objective(X, y)``, takes the step from :func:`~ihtlib.estimate_l2s`
(or the bound, or a number), draws ``n_starts`` random s-sparse starts with
:func:`~ihtlib.random_sparse_init`, runs them all at once with :func:`~ihtlib.iht` and keeps
the start with the lowest training loss.  The algorithm itself lives in :mod:`ihtlib.iht`;
this module only translates between scikit-learn's conventions (any class labels, fitted
attributes ending in ``_``, ``predict``/``predict_proba``/``score``, input validation,
cloning, ``random_state``) and the library's θ = [W.ravel(), b].

It works in a :class:`~sklearn.pipeline.Pipeline` (put a ``StandardScaler`` in front: IHT
does not scale the features itself) and in :class:`~sklearn.model_selection.GridSearchCV`
(for example over ``s``), and it passes scikit-learn's ``check_estimator``
(``tests/test_estimator.py``).

:class:`SparsitySearchCV` is ``GridSearchCV`` over ``s`` arranged for IHT: on each split it runs
the starts of all levels as one batch of :func:`~ihtlib.iht` (one s and one step per run) instead
of one small batch per level, with the same random draws, so the same fits and the same
``cv_results_``, ``best_params_`` and ``best_estimator_`` as ``GridSearchCV``.  On wine (chapter
11: 10 levels, 5 folds, 10 starts of 200 iterations, N = 114 per fold) the search takes about a
third of ``GridSearchCV``'s CPU time.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import log_softmax
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import _safe_indexing, check_random_state, indexable
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .fast.blas import one_blas_thread
from .iht import iht
from .model import SoftmaxLayer, softmax
from .rss import estimate_l2s, smoothness_bound
from .thresholding import random_sparse_init
from .validation import check_integer

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # scikit-learn 1.3 - 1.5: the method it replaced

    def _validate_data(estimator: BaseEstimator, *args, **kwargs) -> tuple | np.ndarray:
        return estimator._validate_data(*args, **kwargs)


__all__ = ["IHTClassifier", "SparsitySearchCV"]


class _Run(NamedTuple):
    """What ``IHTClassifier.fit`` hands to :func:`~ihtlib.iht`: the starts (n_starts, n), their s and γ."""

    model: SoftmaxLayer
    fun: Callable
    theta0: np.ndarray
    s: int
    step: float


class IHTClassifier(ClassifierMixin, BaseEstimator):
    """One softmax layer trained by iterative hard thresholding, as a scikit-learn classifier.

    Minimises the mean cross-entropy of ``SoftmaxLayer(d, K)`` (plus an optional ridge term)
    subject to at most ``s`` nonzeros among its ``n = K*d + K`` parameters (weights and biases
    counted together, as in the book), by :func:`ihtlib.iht` from ``n_starts`` random
    s-sparse starts run as one batch; the start with the lowest training loss is kept.
    Nothing is computed in ``__init__``: every parameter is validated in :meth:`fit`.

    Parameters
    ----------
    s : int >= 1, default 10
        Number of nonzero parameters allowed.  A value above ``n`` (known only at fit time)
        means no constraint: the fit then uses ``s_ = n``.
    step : {"l2s", "bound"} or float > 0, default "l2s"
        The step size γ.  ``"l2s"``: γ = 1/L̂2s from :func:`ihtlib.estimate_l2s` with
        ``n_monte`` pairs at level ``s_`` (the paper's recipe; a lower estimate of the
        gradient-form constant, so the descent guarantee does not cover it; ``status_`` and
        the losses say what happened).  ``"bound"``: γ = 1/(:func:`ihtlib.smoothness_bound`
        (X) + ridge), a step with guaranteed descent.  A number: that γ.
    n_starts : int >= 1, default 10
        Random s-sparse starts (:func:`ihtlib.random_sparse_init`, values N(0, init_scale²)).
    max_iter : int >= 1, default 1000
        Iteration budget of every start.
    tol : float >= 0, default 1e-8
        A start has converged when no parameter moves by more than ``tol`` in one step.
    n_monte : int >= 1, default 1000
        Monte Carlo pairs for ``step="l2s"``.
    init_scale : float > 0, default 1.0
        Standard deviation of the nonzero values of the random starts.
    ridge : float >= 0, default 0.0
        Adds ``ridge/2 * ||θ||²`` to the training loss (0: the book's plain cross-entropy).
    random_state : int, RandomState instance or None, default None
        Seeds the Monte Carlo estimate and the starts; an int makes ``fit`` reproducible.
        ``fit`` draws one integer from ``check_random_state(random_state)`` and seeds a
        ``numpy.random.default_rng`` with it, which draws first the Monte Carlo pairs, then
        the starts (so a fit can be replayed with the library's functions by hand).

    Attributes
    ----------
    classes_ : ndarray, shape (K,)
        The class labels (any type scikit-learn accepts); class k of the network is ``classes_[k]``.
    coef_ : ndarray, shape (K, d)
        The weights W of the kept start (for two classes also K = 2 rows: a softmax with two
        outputs, whose probabilities depend on ``coef_[1] - coef_[0]`` only).
    intercept_ : ndarray, shape (K,)
        The biases b.
    support_ : ndarray of bool, shape (K*d + K,)
        Which parameters are nonzero, in the library's layout θ = [W.ravel(), b]
        (``theta_ != 0``).
    theta_ : ndarray, shape (K*d + K,)
        The fitted parameter vector θ = [W.ravel(), b].
    n_features_in_ : int
        d, the number of features seen in ``fit``.
    feature_names_in_ : ndarray of str, shape (d,)
        Feature names, when ``X`` had string column names (a pandas DataFrame).
    s_ : int
        The sparsity level used, ``min(s, K*d + K)``.
    step_ : float
        The step size γ used.
    n_iter_ : int
        Iterations of the kept start.
    status_ : str
        How the kept start stopped: ``"converged"``, ``"max_iter"`` (on separable data the
        unpenalised loss has no minimiser, so this is common) or ``"diverged"``.
    loss_ : float
        Training loss of the kept start (including the ridge term).
    start_losses_ : ndarray, shape (n_starts,)
        Final training loss of every start.
    best_start_ : int
        Index of the kept start.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_wine(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), IHTClassifier(s=8, random_state=0)).fit(X, y)
    >>> int(clf[-1].support_.sum()) <= 8
    True
    """

    _parameter_constraints: dict = {
        "s": [Interval(Integral, 1, None, closed="left")],
        "step": [StrOptions({"l2s", "bound"}), Interval(Real, 0, None, closed="neither")],
        "n_starts": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_monte": [Interval(Integral, 1, None, closed="left")],
        "init_scale": [Interval(Real, 0, None, closed="neither")],
        "ridge": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        s: int = 10,
        *,
        step: str | float = "l2s",
        n_starts: int = 10,
        max_iter: int = 1000,
        tol: float = 1e-8,
        n_monte: int = 1000,
        init_scale: float = 1.0,
        ridge: float = 0.0,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.s = s
        self.step = step
        self.n_starts = n_starts
        self.max_iter = max_iter
        self.tol = tol
        self.n_monte = n_monte
        self.init_scale = init_scale
        self.ridge = ridge
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike) -> IHTClassifier:
        """Fit the sparse softmax layer by IHT from ``n_starts`` random starts.

        Parameters
        ----------
        X : array_like, shape (N, d)
            Training features (finite; scale them first, e.g. with ``StandardScaler``).
        y : array_like, shape (N,)
            Class labels of any type, at least two distinct values.

        Returns
        -------
        self : IHTClassifier

        Raises
        ------
        ValueError
            Invalid hyperparameters (scikit-learn's ``InvalidParameterError``), invalid
            ``X`` or ``y``, or fewer than two classes in ``y``.
        """
        with one_blas_thread():  # a fit's products are small: see ihtlib/fast/blas.py
            run = self._draw(*self._data(X, y))
            result = iht(run.fun, run.theta0, run.s, run.step, max_iter=self.max_iter, tol=self.tol)
        return self._store(run, result.theta, result.loss, result.n_iter, result.status)

    def _data(self, X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, SoftmaxLayer, Callable]:
        """Step 1 of ``fit``: validated X, the network and its objective; sets ``classes_`` (and what
        scikit-learn's validation sets: ``n_features_in_``, ``feature_names_in_``)."""
        X, y = _validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        if encoder.classes_.size < 2:
            raise ValueError(
                f"IHTClassifier needs samples of at least 2 classes in y; got 1 class ({encoder.classes_[0]!r})"
            )
        self.classes_ = encoder.classes_
        model = SoftmaxLayer(X.shape[1], int(self.classes_.size))
        return X, model, model.objective(X, encoder.transform(y), ridge=self.ridge)

    def _draw(self, X: np.ndarray, model: SoftmaxLayer, fun: Callable) -> _Run:
        """Steps 2 and 3 of ``fit``: the step and the starts, from one generator seeded by ``random_state``."""
        n = model.n_params
        s = min(int(self.s), n)
        rng = np.random.default_rng(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        if isinstance(self.step, str):
            if self.step == "l2s":
                step = estimate_l2s(fun, n, s, n_monte=self.n_monte, seed=rng).step
            else:
                step = 1.0 / (smoothness_bound(X) + self.ridge)
        else:
            step = float(self.step)
        theta0 = random_sparse_init(n, s, size=self.n_starts, seed=rng, scale=self.init_scale)
        return _Run(model, fun, theta0, s, float(step))

    def _store(
        self, run: _Run, theta: np.ndarray, loss: np.ndarray, n_iter: np.ndarray, status: np.ndarray
    ) -> IHTClassifier:
        """Step 4 and 5 of ``fit``: keep the start of lowest loss among the runs of ``run`` (rows of the arrays)."""
        best = int(np.argmin(loss))
        self.theta_ = theta[best].copy()
        W, b = run.model.unpack(self.theta_)
        self.coef_, self.intercept_ = W.copy(), b.copy()
        self.support_ = self.theta_ != 0
        self.s_, self.step_ = run.s, run.step
        self.n_iter_ = int(n_iter[best])
        self.status_ = str(status[best])
        self.loss_ = float(loss[best])
        self.start_losses_ = np.asarray(loss, dtype=np.float64).copy()
        self.best_start_ = best
        return self

    def _logits(self, X: ArrayLike) -> np.ndarray:
        """Validated X -> logits of shape (N, K)."""
        check_is_fitted(self)
        X = _validate_data(self, X, dtype=np.float64, reset=False)
        return SoftmaxLayer(self.n_features_in_, self.classes_.size).logits(self.theta_, X)

    def _accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        """``score(X, y)`` for X already validated (float64, shape (N, n_features_in_)): mean of predict == y."""
        Z = SoftmaxLayer(self.n_features_in_, self.classes_.size).logits(self.theta_, X)
        return float(np.mean(self.classes_[np.argmax(Z, axis=1)] == y))

    # Every method below takes X of shape (N, d), validated as in ``fit``.
    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Class scores: the logits, shape (N, K).

        For two classes scikit-learn's convention instead: one score per sample, shape (N,),
        ``z_1 - z_0``, positive for ``classes_[1]``.
        """
        Z = self._logits(X)
        return Z[:, 1] - Z[:, 0] if Z.shape[1] == 2 else Z

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, the softmax of the logits, shape (N, K): column k is ``classes_[k]``."""
        return softmax(self._logits(X), axis=1)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, shape (N, K), computed stably (``scipy.special.log_softmax``)."""
        return log_softmax(self._logits(X), axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted labels from ``classes_``, shape (N,): the class of the largest logit (ties: the lower class)."""
        Z = self._logits(X)  # first: it raises NotFittedError before classes_ is read
        return self.classes_[np.argmax(Z, axis=1)]

    # ``score`` (mean accuracy) comes from ClassifierMixin.


def _fit_levels(estimator: IHTClassifier, X: ArrayLike, y: ArrayLike, levels: list[int]) -> list[IHTClassifier]:
    """``[clone(estimator).set_params(s=level).fit(X, y) for level in levels]`` with ONE call of :func:`~ihtlib.iht`.

    The data are validated and the objective built once (the same X, y and ridge for every level);
    every level's clone then draws its step and starts exactly as its own ``fit`` would (the same
    random numbers: a clone copies ``random_state``), the ``len(levels) * n_starts`` starts run as
    one batch with one s and one γ per run, and each clone keeps the best of its own starts.  Bit for bit the fits
    of the list comprehension when ``random_state`` is an int or a RandomState instance.
    """
    fits = [clone(estimator).set_params(s=level) for level in levels]
    B = estimator.n_starts
    with one_blas_thread():  # a fit's products are small: see ihtlib/fast/blas.py
        for est in fits:
            est._validate_params()
        data = fits[0]._data(X, y)  # the same X, y and ridge for every level: validated once
        for est in fits[1:]:
            for attr in ("n_features_in_", "feature_names_in_", "classes_"):
                if hasattr(fits[0], attr):
                    setattr(est, attr, getattr(fits[0], attr))
        runs = [est._draw(*data) for est in fits]
        result = iht(
            runs[0].fun,
            np.concatenate([run.theta0 for run in runs]),
            np.repeat([run.s for run in runs], B),
            np.repeat([run.step for run in runs], B),
            max_iter=estimator.max_iter,
            tol=estimator.tol,
        )
    for i, (est, run) in enumerate(zip(fits, runs, strict=True)):
        rows = slice(i * B, (i + 1) * B)
        est._store(run, result.theta[rows], result.loss[rows], result.n_iter[rows], result.status[rows])
    return fits


class SparsitySearchCV(ClassifierMixin, BaseEstimator):
    """``GridSearchCV`` over the sparsity level s of an :class:`IHTClassifier`, one batch per split.

    The same search as ``GridSearchCV(estimator, {name: levels}, cv=cv)`` with its defaults
    (accuracy, refit of the best level on all of ``X``): the same splits, the same fits, the
    same ``cv_results_``, ``best_params_``, ``best_score_`` and ``best_estimator_``.  Only the
    order of the work differs: ``GridSearchCV`` fits every (level, split) pair on its own, one
    :func:`ihtlib.iht` call of ``n_starts`` runs each; here the fits of all levels on one
    split run as ONE call of ``len(levels) * n_starts`` runs, one s and one step per run (the
    IHT of :func:`ihtlib.iht` runs any batch of starts on one objective).  On small data, where
    a call of 10 runs is mostly fixed cost, that is several times faster.

    Parameters
    ----------
    estimator : IHTClassifier or Pipeline whose last step is an IHTClassifier
        The estimator whose ``s`` is searched, with its other hyperparameters.  The steps of a
        pipeline before the classifier are fitted on the training part of each split, as in
        ``GridSearchCV``.
    levels : sequence of int >= 1, length L
        The candidate values of ``s`` (a level above the number of parameters means dense).
    cv : int, cross-validation generator or iterable, default 5
        As in ``GridSearchCV``: an int k means ``StratifiedKFold(k)`` (not shuffled).

    Attributes
    ----------
    cv_results_ : dict of ndarray
        The keys of ``GridSearchCV.cv_results_`` for the scores: ``params`` (L dicts),
        ``param_<name>``, ``split<i>_test_score``, ``mean_test_score``, ``std_test_score`` and
        ``rank_test_score`` (each of shape (L,)), where ``<name>`` is ``s`` or, for a pipeline,
        ``<step name>__s`` (for example ``ihtclassifier__s``).
    best_index_ : int
        The level with the highest mean accuracy (on a tie the first in ``levels``).
    best_params_ : dict
        ``{name: levels[best_index_]}``.
    best_score_ : float
        Its mean accuracy over the splits.
    best_estimator_ : estimator
        A clone of ``estimator`` at the best level, fitted on all of ``X``.
    n_splits_ : int
        Number of splits.
    classes_ : ndarray, shape (K,)
        The class labels of ``best_estimator_``.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_wine(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), IHTClassifier(n_starts=2, max_iter=100, random_state=0))
    >>> search = SparsitySearchCV(pipe, [2, 8], cv=3).fit(X, y)
    >>> sorted(search.best_params_)
    ['ihtclassifier__s']
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "score", "set_params"])],
        "levels": ["array-like"],
        "cv": ["cv_object"],
    }

    def __init__(self, estimator: BaseEstimator, levels: ArrayLike, *, cv: object = 5):
        self.estimator = estimator
        self.levels = levels
        self.cv = cv

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: ArrayLike, y: ArrayLike) -> SparsitySearchCV:
        """Score every level on every split, then refit the best level on all of ``X``.

        Parameters
        ----------
        X : array_like, shape (N, d)
            Training features (what ``estimator`` accepts).
        y : array_like, shape (N,)
            Class labels.

        Returns
        -------
        self : SparsitySearchCV

        Raises
        ------
        TypeError
            ``estimator`` is neither an IHTClassifier nor a Pipeline ending in one, or a level
            is not an integer.
        ValueError
            ``levels`` is empty or holds a level below 1; invalid ``cv`` (scikit-learn's
            ``InvalidParameterError``); what ``estimator.fit`` raises for ``X`` and ``y``.
        """
        prefix, clf, name = self._split_estimator()
        levels = np.asarray(self.levels, dtype=object).ravel().tolist()
        if not levels:
            raise ValueError("levels is empty: pass at least one sparsity level s >= 1")
        levels = [check_integer(s.item() if isinstance(s, np.generic) else s, "a level", low=1) for s in levels]
        X, y = indexable(X, y)
        cv = check_cv(self.cv, y, classifier=True)
        splits = list(cv.split(X, y))
        scores = np.empty((len(levels), len(splits)))  # (levels, splits)
        for j, (train, test) in enumerate(splits):
            X_tr, X_te = _safe_indexing(X, train), _safe_indexing(X, test)
            y_tr, y_te = _safe_indexing(y, train), _safe_indexing(y, test)
            if prefix is not None:
                pre = clone(prefix)
                X_tr = pre.fit_transform(X_tr, y_tr)
                X_te = pre.transform(X_te)
            fits = _fit_levels(clf, X_tr, y_tr, levels)
            X_te = _validate_data(fits[0], X_te, dtype=np.float64, reset=False)  # once for all levels
            y_te = np.ravel(y_te)  # a column y (N, 1) is accepted by fit, as by scikit-learn's score
            scores[:, j] = [fitted._accuracy(X_te, y_te) for fitted in fits]  # = fitted.score(X_te, y_te)
        means = np.average(scores, axis=1)
        results = {"params": [{name: s} for s in levels], f"param_{name}": np.array(levels)}
        for j in range(len(splits)):
            results[f"split{j}_test_score"] = scores[:, j]
        results["mean_test_score"] = means
        results["std_test_score"] = np.sqrt(np.average((scores - means[:, None]) ** 2, axis=1))
        results["rank_test_score"] = rankdata(-means, method="min").astype(np.int32)
        self.cv_results_ = results
        self.n_splits_ = len(splits)
        self.best_index_ = int(results["rank_test_score"].argmin())
        self.best_params_ = dict(results["params"][self.best_index_])
        self.best_score_ = float(means[self.best_index_])
        self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X, y)
        self.n_features_in_ = self.best_estimator_.n_features_in_
        if hasattr(self.best_estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.best_estimator_.feature_names_in_
        return self

    def _split_estimator(self) -> tuple[Pipeline | None, IHTClassifier, str]:
        """(the steps before the classifier or None, the classifier, the name of its ``s``)."""
        est = self.estimator
        if isinstance(est, Pipeline) and isinstance(est.steps[-1][1], IHTClassifier):
            prefix = est[:-1] if len(est.steps) > 1 else None
            return prefix, est.steps[-1][1], f"{est.steps[-1][0]}__s"
        if isinstance(est, IHTClassifier):
            return None, est, "s"
        raise TypeError(
            "SparsitySearchCV searches the s of an IHTClassifier: estimator must be an IHTClassifier or a Pipeline "
            f"whose last step is one, got {type(est).__name__}; use GridSearchCV for other estimators"
        )

    @property
    def classes_(self) -> np.ndarray:
        """The class labels, ``best_estimator_.classes_``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.classes_

    # Prediction delegates to the refitted best estimator, as GridSearchCV does.
    def predict(self, X: ArrayLike) -> np.ndarray:
        """``best_estimator_.predict(X)``, shape (N,)."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """``best_estimator_.predict_proba(X)``, shape (N, K)."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """``best_estimator_.predict_log_proba(X)``, shape (N, K)."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_log_proba(X)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """``best_estimator_.decision_function(X)``: shape (N, K), or (N,) for two classes."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.decision_function(X)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """``best_estimator_.score(X, y)``: the accuracy."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.score(X, y)
