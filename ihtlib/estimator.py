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
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .iht import iht
from .model import SoftmaxLayer, softmax
from .rss import estimate_l2s, smoothness_bound
from .thresholding import random_sparse_init

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # scikit-learn 1.3 - 1.5: the method it replaced

    def _validate_data(estimator: BaseEstimator, *args, **kwargs) -> tuple | np.ndarray:
        return estimator._validate_data(*args, **kwargs)


__all__ = ["IHTClassifier"]


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
        X, y = _validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        if encoder.classes_.size < 2:
            raise ValueError(
                f"IHTClassifier needs samples of at least 2 classes in y; got 1 class ({encoder.classes_[0]!r})"
            )
        self.classes_ = encoder.classes_
        codes = encoder.transform(y)
        model = SoftmaxLayer(X.shape[1], int(self.classes_.size))
        fun = model.objective(X, codes, ridge=self.ridge)
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
        result = iht(fun, theta0, s, step, max_iter=self.max_iter, tol=self.tol)
        best = int(np.argmin(result.loss))
        self.theta_ = result.theta[best].copy()
        W, b = model.unpack(self.theta_)
        self.coef_, self.intercept_ = W.copy(), b.copy()
        self.support_ = self.theta_ != 0
        self.s_, self.step_ = s, float(step)
        self.n_iter_ = int(result.n_iter[best])
        self.status_ = str(result.status[best])
        self.loss_ = float(result.loss[best])
        self.start_losses_ = np.asarray(result.loss, dtype=np.float64).copy()
        self.best_start_ = best
        return self

    def _logits(self, X: ArrayLike) -> np.ndarray:
        """Validated X -> logits of shape (N, K)."""
        check_is_fitted(self)
        X = _validate_data(self, X, dtype=np.float64, reset=False)
        return SoftmaxLayer(self.n_features_in_, self.classes_.size).logits(self.theta_, X)

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
