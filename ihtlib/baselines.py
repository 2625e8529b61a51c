"""Baselines for the sparse problem, compared at equal numbers of nonzeros.

Every baseline returns parameter vectors in the θ layout of :mod:`ihtlib.model`
(``θ[k*d + j] = W[k, j]``, ``θ[K*d + k] = b[k]``) and counts their nonzeros honestly
(``np.count_nonzero`` of the vector it returns, biases included).  "Refit" always means:
minimise the same training objective ``f(θ) + ridge/2 ‖θ‖²`` restricted to the support
found, with the refit of :mod:`ihtlib.refit` (Newton's method on the support; a batch of
supports at once with :func:`ihtlib.minimize_on_supports`).

* :func:`l1_path` -- L1-regularised multinomial logistic regression (scikit-learn, solver
  "saga") over a path of strengths, with and without a refit on its support;
* :func:`magnitude_pruning` -- keep the s largest |θ_i| of the dense solution, refit;
* :func:`feature_selection` -- structured sparsity: all weights of a feature in or out,
  biases always in; every feature subset is tried;
* :func:`ihtlib.htp` (in :mod:`ihtlib.htp`) -- hard thresholding pursuit (Foucart 2011): an
  IHT step chooses the support, then the objective is minimised exactly on it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from itertools import combinations

import numpy as np
import pandas as pd
import sklearn
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.fixes import parse_version

from .hessian import check_softmax_layer
from .model import SoftmaxLayer
from .refit import minimize_on_supports
from .thresholding import hard_threshold
from .validation import MAX_PROBLEMS, check_array, check_integer, check_levels, check_real

__all__ = ["l1_path", "magnitude_pruning", "feature_selection"]

#: The ℓ1 penalty, spelled for the installed scikit-learn: ``l1_ratio=1`` from 1.8 on (where
#: ``penalty`` is deprecated); before 1.8 ``l1_ratio`` alone is ignored with a warning and the
#: fit is ℓ2, so there it must be ``penalty="l1"``.
_L1_PENALTY = {"l1_ratio": 1.0} if parse_version(sklearn.__version__) >= parse_version("1.8") else {"penalty": "l1"}


def _nnz(theta: np.ndarray) -> np.ndarray:
    return np.count_nonzero(theta, axis=-1)


# ------------------------------------------------------------------------ L1 path
def l1_path(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    Cs: Iterable[float],
    ridge: float = 1e-8,
    refit: bool = True,
    seed: int | None = 0,
    max_iter: int = 5000,
    tol: float = 1e-4,
    random_state: int | None = None,
) -> pd.DataFrame:
    """L1-regularised multinomial logistic regression over a path of strengths.

    For each C, scikit-learn's ℓ1-penalised ``LogisticRegression(C=C, solver="saga")``
    minimises ``C Σ_i CE_i + ‖W‖₁`` (the intercepts are not penalised;
    Pedregosa et al. 2011).
    The fit is mapped to θ; its nonzeros are counted as they are (the intercepts are
    almost always nonzero).  For two classes scikit-learn fits one logistic vector w; it is
    the softmax network with rows (0, w), which has the same predictions and loss.  The
    path runs from small to large C with warm starts.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    Cs : iterable of float > 0
        Inverse regularisation strengths (sorted increasingly inside).
    ridge : float
        Ridge of the objective the fits are scored on and refitted with.
    refit : bool, default True
        Also minimise the ridge objective on each fit's support.
    seed : int or None, default 0
        Seed of saga's sample order (scikit-learn's ``random_state``).
    max_iter, tol
        Passed to scikit-learn.  A fit that hits ``max_iter`` is flagged in ``converged``
        (the ConvergenceWarning is recorded, not printed).
    random_state : int, optional
        The former name of ``seed``, still accepted; when given it is the seed.

    Returns
    -------
    pandas.DataFrame
        One row per C: ``C, nnz, objective, loss, converged, theta`` and, with ``refit``,
        ``objective_refit, loss_refit, theta_refit``.
    """
    check_softmax_layer(model)
    K, d = model.n_classes, model.n_features
    if isinstance(Cs, (str, bytes)) or not isinstance(Cs, (Iterable, np.ndarray)):
        raise TypeError(f"Cs must be a non-empty list of finite numbers > 0 such as [0.1, 1, 10], got {Cs!r}")
    Cs = np.sort(np.array([check_real(C, "Cs", low=0.0, low_open=True) for C in np.ravel(list(Cs))]))
    if Cs.size == 0:
        raise ValueError("Cs must be a non-empty list of finite numbers > 0, got an empty list")
    max_iter = check_integer(max_iter, "max_iter", low=1)
    tol = check_real(tol, "tol", low=0.0, low_open=True)
    if random_state is not None:
        seed = check_integer(random_state, "random_state", low=0)
    seed = None if seed is None else check_integer(seed, "seed", low=0)
    fun = model.objective(X, y, ridge=ridge)
    plain = model.objective(X, y)
    clf = LogisticRegression(
        **_L1_PENALTY,
        C=float(Cs[0]),
        solver="saga",
        max_iter=max_iter,
        tol=tol,
        random_state=seed,
        warm_start=True,
    )
    rows = []
    for C in Cs:
        clf.set_params(C=float(C))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            clf.fit(X, y)
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        for w in caught:  # anything else is re-raised as it came
            if not issubclass(w.category, ConvergenceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        coef = np.asarray(clf.coef_, dtype=np.float64)
        icpt = np.asarray(clf.intercept_, dtype=np.float64)
        if K == 2 and coef.shape == (1, d):  # one logistic vector = softmax with a zero first class
            coef, icpt = np.vstack([np.zeros(d), coef]), np.concatenate([[0.0], icpt])
        if coef.shape != (K, d):
            raise ValueError(f"expected a multinomial fit with coef_ of shape ({K}, {d}), got {coef.shape}")
        theta = model.pack(coef, icpt)
        rows.append(
            dict(
                C=float(C),
                nnz=int(_nnz(theta)),
                objective=float(fun(theta)[0]),
                loss=float(plain(theta)[0]),
                converged=converged,
                theta=theta,
            )
        )
    table = pd.DataFrame(rows)
    if refit:
        fit = minimize_on_supports(model, X, y, np.stack(table.theta.to_numpy()) != 0, ridge=ridge)
        table["objective_refit"] = fit.objective
        table["loss_refit"] = fit.loss
        table["theta_refit"] = list(fit.theta)
    return table


# --------------------------------------------------------------- magnitude pruning
def magnitude_pruning(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    s_values: Iterable[int],
    theta_dense: ArrayLike,
    ridge: float = 1e-8,
) -> pd.DataFrame:
    """Keep the s largest |θ_i| of a dense solution (ties: lower index), then refit.

    Parameters
    ----------
    model : SoftmaxLayer
    X, y : training data
    s_values : iterable of int
    theta_dense : array_like, shape (n,)
        The dense solution to prune (for example ``best_subset(..., s=n).theta``).
    ridge : float

    Returns
    -------
    pandas.DataFrame
        One row per s: ``s, nnz, support, objective_pruned`` (no refit), ``objective``,
        ``loss`` (after the refit) and ``theta``.
    """
    check_softmax_layer(model)
    theta_dense = check_array(theta_dense, "theta_dense", allow_empty=True)
    n = model.n_params
    if theta_dense.shape != (n,):
        raise ValueError(f"theta_dense must have shape ({n},), got {theta_dense.shape}")
    levels = check_levels(s_values, n)
    pruned = np.stack([hard_threshold(theta_dense, s) for s in levels])
    fun = model.objective(X, y, ridge=ridge)
    fit = minimize_on_supports(model, X, y, pruned != 0, ridge=ridge)
    return pd.DataFrame(
        dict(
            s=levels,
            nnz=_nnz(fit.theta),
            support=[tuple(int(i) for i in np.flatnonzero(p)) for p in pruned],
            objective_pruned=np.asarray(fun(pruned)[0]),
            objective=fit.objective,
            loss=fit.loss,
            theta=list(fit.theta),
        )
    )


# -------------------------------------------------------------- feature selection
def feature_selection(
    model: SoftmaxLayer, X: ArrayLike, y: ArrayLike, ridge: float = 1e-8, reference_class: bool = False
) -> pd.DataFrame:
    """Structured sparsity: every subset of input features, all their weights in, biases in.

    For a feature subset F the support is ``{W[k, j] : j ∈ F, all k} ∪ {all biases}``, so
    ``nnz = K |F| + K``.  With ``reference_class=True`` one class row is fixed at zero
    (weights **and** bias; softmax is invariant to adding the same vector to every row, so
    no network is lost when the cross-entropy alone is minimised): ``nnz = (K-1)(|F| + 1)``,
    and every choice of the reference class is tried.

    Returns
    -------
    pandas.DataFrame
        One row per (feature subset, reference class): ``features`` (tuple of indices),
        ``n_features``, ``reference`` (class index or -1), ``nnz`` (counted on the fitted θ),
        ``objective``, ``loss``, ``support``, ``theta``.
    """
    check_softmax_layer(model)
    K, d = model.n_classes, model.n_features
    refs = range(K) if reference_class else [-1]
    if 2**d * len(refs) > MAX_PROBLEMS:
        raise ValueError(
            f"feature_selection tries every subset of the {d} features: 2**{d} x {len(refs)} = {2**d * len(refs)} "
            f"problems, more than the limit of {MAX_PROBLEMS}; select at most {MAX_PROBLEMS.bit_length() - 1} "
            "features first (e.g. X[:, :20] with SoftmaxLayer(20, K))"
        )
    masks, meta = [], []
    for size in range(d + 1):
        for F in combinations(range(d), size):
            for r in refs:
                m = np.zeros(model.n_params, dtype=bool)
                for k in range(K):
                    if k == r:
                        continue
                    m[[k * d + j for j in F]] = True
                    m[K * d + k] = True
                masks.append(m)
                meta.append((F, size, r))
    fit = minimize_on_supports(model, X, y, np.stack(masks), ridge=ridge)
    return pd.DataFrame(
        dict(
            features=[F for F, _, _ in meta],
            n_features=[sz for _, sz, _ in meta],
            reference=[r for _, _, r in meta],
            nnz=_nnz(fit.theta),
            objective=fit.objective,
            loss=fit.loss,
            support=[tuple(int(i) for i in np.flatnonzero(m)) for m in masks],
            theta=list(fit.theta),
        )
    )
