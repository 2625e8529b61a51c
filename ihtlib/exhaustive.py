"""Exhaustive best-subset search: the exact optimum of the sparse problem for small n (chapter 8).

For the IRIS network n = 15, so there are only ``2**15 - 1 = 32,767`` nonempty supports.
On each support S the restricted problem (minimise ``F = f + ridge/2 ‖θ‖²`` subject to
``supp(θ) ⊆ S``) has exactly one minimiser, found by the refit of :mod:`ihtlib.refit`.
Enumerating every support of size s and keeping the best restricted minimum gives the
**global** minimiser of F over ``‖θ‖₀ <= s``: every θ with ``‖θ‖₀ <= s`` lies in some
coordinate subspace of size s.  :func:`enumerate_supports` is this sentence, literally (one
refit per support); :func:`best_subset` computes the same, with every support of size s
solved in one batch by :func:`ihtlib.minimize_on_supports`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from math import comb

import numpy as np
from numpy.typing import ArrayLike

from .fast.newton import subset_starts
from .hessian import check_softmax_layer
from .model import SoftmaxLayer
from .refit import RestrictedFit, minimize_on_supports, refit
from .validation import MAX_PROBLEMS, check_combinations, check_integer, check_levels, check_s

__all__ = ["enumerate_supports", "BestSubsetResult", "best_subset", "best_subset_path"]


def enumerate_supports(model: SoftmaxLayer, X: ArrayLike, y: ArrayLike, s: int, ridge: float = 1e-8) -> tuple:
    """The exact search of chapter 8, literally: refit on every support of size s, keep the best.

    ``min_{‖θ‖₀ <= s} F(θ) = min_{|S| = s} min_{supp θ ⊆ S} F(θ)`` with ``F = f + ridge/2 ‖θ‖²``.
    One :func:`ihtlib.refit` per support: slow; :func:`best_subset` agrees with it.

    Returns
    -------
    support : tuple of int
        The best support (ties: the first in ``itertools.combinations`` order).
    theta : ndarray, shape (n,)
        The minimiser on it.
    """
    s, F = check_s(s, model.n_params), model.objective(X, y, ridge=ridge)
    fits = {S: refit(model, X, y, S, ridge=ridge) for S in combinations(range(model.n_params), s)}
    support = min(fits, key=lambda S: F(fits[S])[0])
    return support, fits[support]


# ------------------------------------------------------------------- best subset
@dataclass
class BestSubsetResult:
    """The exact best s-sparse solution, and the restricted optimum of every support of size s.

    Attributes
    ----------
    s : int
    objective : float
        ``min F`` over ``‖θ‖₀ <= s``, with ``F = f + ridge/2 ‖θ‖²``.
    loss : float
        Cross-entropy part ``f(θ*)`` of the minimiser.
    theta : ndarray, shape (n,)
        The minimiser θ*.
    support : tuple of int
        The support S* (size s) on which the minimum is attained.
    all_supports : ndarray of int, shape (C(n, s), s)
        Every support of size s, in ``itertools.combinations`` order.
    all_objectives, all_losses : ndarray, shape (C(n, s),)
        Restricted minimum of F, and its cross-entropy part, on each support.
    all_thetas : ndarray, shape (C(n, s), n)
        The restricted minimisers.
    ridge : float
    max_decrement : float
        Largest final Newton decrement over the supports (all should be <= tol).
    n_converged : int
        Supports whose Newton solve met ``tol``.
    """

    s: int
    objective: float
    loss: float
    theta: np.ndarray
    support: tuple
    all_supports: np.ndarray = field(repr=False)
    all_objectives: np.ndarray = field(repr=False)
    all_losses: np.ndarray = field(repr=False)
    all_thetas: np.ndarray = field(repr=False)
    ridge: float = 0.0
    max_decrement: float = 0.0
    n_converged: int = 0

    @property
    def all_converged(self) -> bool:
        """True when the Newton solve met ``tol`` on every support (else see ``n_converged``)."""
        return self.n_converged == self.n_supports

    @property
    def n_supports(self) -> int:
        """Number of supports of size s, C(n, s)."""
        return int(self.all_objectives.shape[0])

    def rank_of(self, support: Sequence[int]) -> int:
        """Rank (0 = best) of a support of size s among all supports, by restricted objective."""
        if isinstance(support, (str, bytes)) or not isinstance(support, (Sequence, np.ndarray)):
            raise TypeError(f"support must be a tuple of {self.s} indices, got {support!r:.60}")
        S = tuple(sorted(check_integer(i, "support index", 0, self.all_thetas.shape[1] - 1) for i in support))
        hits = np.flatnonzero((self.all_supports == np.asarray(S)).all(axis=1)) if len(S) == self.s else []
        if len(hits) == 0:
            raise ValueError(f"{S} is not a support of size {self.s}")
        return int(np.sum(self.all_objectives < self.all_objectives[hits[0]]))


def _level_supports(n: int, s: int) -> np.ndarray:
    """Every support of size s as an int array of shape (C(n, s), s), in combinations order."""
    return np.array(list(combinations(range(n), s)), dtype=np.int64).reshape(-1, s)


def _result_for_level(s: int, supports: np.ndarray, fit: RestrictedFit, rows: slice) -> BestSubsetResult:
    objective = fit.objective[rows]
    i = int(np.argmin(objective))  # ties: the first support in combinations order
    theta = fit.theta[rows]
    return BestSubsetResult(
        s=s,
        objective=float(objective[i]),
        loss=float(fit.loss[rows][i]),
        theta=theta[i].copy(),
        support=tuple(int(j) for j in supports[i]),
        all_supports=supports,
        all_objectives=objective.copy(),
        all_losses=fit.loss[rows].copy(),
        all_thetas=theta.copy(),
        ridge=fit.ridge,
        max_decrement=float(fit.decrement[rows].max()),
        n_converged=int(fit.converged[rows].sum()),
    )


def best_subset_path(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    s_values: Iterable[int] | None = None,
    ridge: float = 1e-8,
    tol: float = 1e-20,
    max_iter: int = 200,
    n_jobs: int = 2,
    warm_start: bool = True,
) -> dict[int, BestSubsetResult]:
    """:func:`best_subset` for several sparsity levels.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    s_values : iterable of int, optional
        Default: every level 1 … n (for IRIS: all 32,767 nonempty supports).
    ridge, tol, max_iter, n_jobs
        As in :func:`best_subset`.
    warm_start : bool, default True
        Solve the levels in increasing order and start each support of size s from the
        minimiser of its best subset of size s - 1 when level s - 1 is among ``s_values``
        (:func:`ihtlib.fast.newton.subset_starts`; for n <= 62).  ``False``: every support
        starts from θ = 0, all levels in one batch (the search before issue 17).  The
        minimisers are unique, so both give the same results up to the stopping tolerance:
        on IRIS (ridge 1e-8, all levels) objectives agree to 1e-13 (the rounding of F at
        ‖θ‖ ≈ 300) and minimisers to 1e-6 (``sqrt(2 tol / ridge)``), with about a third of
        the Newton steps.

    Returns
    -------
    dict
        ``{s: BestSubsetResult}`` in the order of ``s_values``.

    Raises
    ------
    TypeError, ValueError
        A level that is not an integer in 1 … n, a repeated level, or an empty list;
        ``warm_start`` not a bool (TypeError).
    """
    check_softmax_layer(model)
    n = model.n_params
    levels = check_levels(range(1, n + 1) if s_values is None else s_values, n)
    for s in levels:
        check_combinations(n, s, "supports are too many to enumerate", "use IHT (iht, sparsity_sweep) for this s")
    if len(set(levels)) != len(levels):
        raise ValueError(f"s_values has repeated levels: {levels}")
    total = sum(comb(n, s) for s in levels)
    if total > MAX_PROBLEMS:
        raise ValueError(
            f"the levels {levels[0]} … {levels[-1]} have {total} supports in all, more than the limit of "
            f"{MAX_PROBLEMS}; pass fewer levels (s_values)"
        )
    if not isinstance(warm_start, (bool, np.bool_)):
        raise TypeError(f"warm_start must be True or False, got {warm_start!r:.60}")
    supports = {s: _level_supports(n, s) for s in levels}
    options = dict(ridge=ridge, tol=tol, max_iter=max_iter, n_jobs=n_jobs)
    if not (warm_start and n <= 62):  # every support from θ = 0, in one batch
        mask = np.zeros((sum(v.shape[0] for v in supports.values()), n), dtype=bool)
        bounds, lo = {}, 0
        for s, sup in supports.items():
            np.put_along_axis(mask[lo : lo + sup.shape[0]], sup, True, axis=1)
            bounds[s] = slice(lo, lo + sup.shape[0])
            lo += sup.shape[0]
        fit = minimize_on_supports(model, X, y, mask, **options)
        return {s: _result_for_level(s, supports[s], fit, bounds[s]) for s in levels}
    masks, fits = {}, {}
    for s in sorted(levels):  # level s - 1 first: its minimisers are the starts of level s
        masks[s] = np.zeros((supports[s].shape[0], n), dtype=bool)
        np.put_along_axis(masks[s], supports[s], True, axis=1)
        theta0 = None
        if s - 1 in fits:
            theta0 = subset_starts(masks[s], masks[s - 1], fits[s - 1].objective, fits[s - 1].theta)
        fits[s] = minimize_on_supports(model, X, y, masks[s], theta0=theta0, **options)
    return {s: _result_for_level(s, supports[s], fits[s], slice(None)) for s in levels}


def best_subset(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    s: int,
    ridge: float = 1e-8,
    tol: float = 1e-20,
    max_iter: int = 200,
    n_jobs: int = 2,
) -> BestSubsetResult:
    """Exact minimiser of ``f(θ) + ridge/2 ‖θ‖²`` subject to ``‖θ‖₀ <= s``, by enumeration.

    Every support of size exactly s is solved (:func:`minimize_on_supports`); a support of
    smaller size is contained in one of size s, so nothing is missed.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    s : int, 1 <= s <= n
    ridge : float, default 1e-8
        Makes every restricted problem strictly convex (needed on separable data).
    tol, max_iter
        Newton stopping rule, as in :func:`minimize_on_supports`.
    n_jobs : int, default 2
        Threads; the result does not depend on it.

    Returns
    -------
    BestSubsetResult
        Ties between supports go to the first in ``combinations`` order.

    Raises
    ------
    TypeError
        ``s`` is not an integer.
    ValueError
        ``s`` outside 1 … n, or too many supports to enumerate.
    """
    return best_subset_path(model, X, y, [s], ridge=ridge, tol=tol, max_iter=max_iter, n_jobs=n_jobs)[s]
