"""Swap search: local combinatorial search over supports, each candidate refitted exactly ("Closing the gap").

Write ``F*(S) = min { F(θ) : supp θ ⊆ S }`` for the refitted objective of a support S
(``F = f + ridge/2 ‖θ‖²``, the refit of :mod:`ihtlib.refit`).  The best s-sparse θ is the
refit on the S of size s with the smallest F*(S) (chapter 8).  The **swap neighbourhood** of
S is every support that trades one coordinate i ∈ S for one j ∉ S,

    N(S) = { S - {i} ∪ {j} : i ∈ S, j ∉ S },     |N(S)| = s (n - s),

and the swap search moves from S to the neighbour with the lowest F* as long as that is lower
than F*(S).  What is proven, in three lines:

* it stops: F* strictly decreases at every move, so no support is visited twice, and there
  are finitely many supports;
* where it stops, no single swap lowers F* (a *swap-local* minimum); that is all it promises
  in general: a swap-local minimum need not be the best support;
* if S differs from the best support S* in one coordinate, S* is in N(S), so one move reaches
  it (best improvement; S* the unique optimum).  At s = 1 and s = n - 1 every support is in
  N(S), so one move reaches S* from anywhere.

:func:`swap_search` is this definition, literally (one :func:`ihtlib.refit` per neighbour);
:func:`swap_search_batched` computes the same with the s (n - s) neighbours of a sweep solved in one
batch by :func:`ihtlib.minimize_on_supports`; a test checks that both agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .hessian import check_softmax_layer
from .model import SoftmaxLayer
from .refit import minimize_on_supports, refit, supports_to_mask
from .validation import check_integer, check_tol

__all__ = ["SwapResult", "swap_search", "swap_search_batched"]


@dataclass
class SwapResult:
    """What :func:`swap_search` and :func:`swap_search_batched` return.

    Attributes
    ----------
    support : tuple of int
        The final support S (size s, sorted).
    theta : ndarray, shape (n,)
        The refit on S: the minimiser of F over ``supp θ ⊆ S`` (zero off S).
    objective : float
        F*(S).
    n_sweeps : int
        Neighbourhoods evaluated (the last one finds no improving swap when ``converged``).
    n_refits : int
        Restricted problems solved: 1 + n_sweeps · s (n - s).
    history : ndarray, shape (n_moves + 1,)
        F*(S⁰), F*(S¹), …: strictly decreasing.
    path : list of tuple of int
        The supports S⁰, S¹, … visited.
    converged : bool
        The last sweep found no swap that lowers F* (a swap-local minimum); False when
        ``max_sweeps`` ran out first.
    """

    support: tuple
    theta: np.ndarray
    objective: float
    n_sweeps: int
    n_refits: int
    history: np.ndarray
    path: list
    converged: bool


def _one_support(model: SoftmaxLayer, support: ArrayLike) -> tuple:
    """The start as a sorted tuple of indices, checked: one nonempty support."""
    mask = supports_to_mask(support, model.n_params)
    if mask.shape[0] > 1:
        raise ValueError(f"support must be one support, got {mask.shape[0]}")
    S = tuple(int(i) for i in np.flatnonzero(mask.any(axis=0)))  # () for the empty support
    if not S:
        raise ValueError("support is empty; pass at least one index (for example the support of IHT's result)")
    return S


def _lowers(F_new: float, F_old: float, rtol: float) -> bool:
    """A swap counts only if it lowers F* by more than the refit's rounding (else it could cycle)."""
    return F_new < F_old - rtol * abs(F_old)


def swap_search(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    support: ArrayLike,
    ridge: float = 1e-8,
    max_sweeps: int = 100,
    rtol: float = 1e-12,
) -> SwapResult:
    """Swap search from a support, literally: refit every swap neighbour, move to the best, repeat.

    ``S ← argmin { F*(S') : S' = S - {i} ∪ {j}, i ∈ S, j ∉ S }`` while that lowers F*(S), where
    ``F*(S) = min { F(θ) : supp θ ⊆ S }`` is the exact refit (:func:`ihtlib.refit`, from θ = 0).

    **Best improvement, not first improvement.**  Every sweep evaluates the whole neighbourhood
    and takes the best swap.  (1) The last sweep has to evaluate all s (n - s) neighbours anyway
    to certify that none improves, and the batched version refits a whole neighbourhood in one
    call, so the cheaper-looking first-improvement rule saves little.  (2) The result does not
    depend on the order in which neighbours are tried (except for exact ties: the first in the
    order i ∈ S ascending, then j ∉ S ascending).  (3) It gives a guarantee first improvement
    does not: from a support one swap away from the best support S*, one move reaches S*.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    support : sequence of int, or boolean mask of shape (n,)
        The start S⁰ (for example ``il.support(iht_result.theta[r])``); its size is s.
    ridge : float, default 1e-8
        F = f + ridge/2 ‖θ‖², as in :func:`ihtlib.refit`.
    max_sweeps : int, default 100
        Neighbourhoods to evaluate at most.
    rtol : float, default 1e-12
        A swap lowers F* only if ``F*(S') < F*(S) - rtol · |F*(S)|`` (the refits agree to
        about 1e-15; a looser test keeps rounding from deciding a move).

    Returns
    -------
    SwapResult

    See Also
    --------
    swap_search_batched : the same search, each neighbourhood refitted in one batch (faster).
    """
    check_softmax_layer(model)
    S = _one_support(model, support)
    max_sweeps = check_integer(max_sweeps, "max_sweeps", low=1)
    rtol = check_tol(rtol, "rtol")
    F = model.objective(X, y, ridge=ridge)
    theta = refit(model, X, y, S, ridge=ridge)
    history, path, n_refits, converged = [float(F(theta)[0])], [S], 1, False
    outside = [j for j in range(model.n_params) if j not in S]
    n_sweeps = 0
    while n_sweeps < max_sweeps:
        n_sweeps += 1
        best = None  # (F*(S'), S', θ') of the best swap so far
        for i in S:
            for j in outside:
                S_new = tuple(sorted(set(S) - {i} | {j}))
                theta_new = refit(model, X, y, S_new, ridge=ridge)  # F*(S') = F(θ')
                n_refits += 1
                if best is None or F(theta_new)[0] < best[0]:
                    best = (float(F(theta_new)[0]), S_new, theta_new)
        if best is None or not _lowers(best[0], history[-1], rtol):  # no swap lowers F*(S): stop
            converged = True
            break
        _, S, theta = best
        outside = [j for j in range(model.n_params) if j not in S]
        history.append(best[0])
        path.append(S)
    return SwapResult(S, theta, float(history[-1]), n_sweeps, n_refits, np.array(history), path, converged)


def _neighbours(S: tuple, n: int) -> np.ndarray:
    """The swap neighbourhood of S as a mask of shape (s (n - s), n), rows in the order i ∈ S, then j ∉ S."""
    outside = np.setdiff1d(np.arange(n), S)
    mask = np.zeros((len(S), outside.size, n), dtype=bool)
    mask[:, :, list(S)] = True
    rows = np.arange(len(S))
    mask[rows, :, list(S)] = False  # drop i …
    mask[:, np.arange(outside.size), outside] = True  # … add j
    return mask.reshape(-1, n)


def swap_search_batched(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    support: ArrayLike,
    ridge: float = 1e-8,
    max_sweeps: int = 100,
    rtol: float = 1e-12,
    n_jobs: int = 2,
) -> SwapResult:
    """:func:`swap_search` with each neighbourhood refitted in one call of :func:`ihtlib.minimize_on_supports`.

    The same moves (best improvement, the same order for ties, the same ``rtol``); each of the
    s (n - s) neighbours S - {i} ∪ {j} is warm-started at the current refit with θ_i set to 0
    (the minimiser is unique, so the start changes only the number of Newton steps).

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    support : sequence of int, or boolean mask of shape (n,)
        The start S⁰; its size is s.
    ridge : float, default 1e-8
    max_sweeps : int, default 100
    rtol : float, default 1e-12
        As in :func:`swap_search`.
    n_jobs : int, default 2
        Threads of :func:`ihtlib.minimize_on_supports`; the result does not depend on it.

    Returns
    -------
    SwapResult
    """
    check_softmax_layer(model)
    n = model.n_params
    S = _one_support(model, support)
    max_sweeps = check_integer(max_sweeps, "max_sweeps", low=1)
    rtol = check_tol(rtol, "rtol")
    fit = minimize_on_supports(model, X, y, [S], ridge=ridge, n_jobs=n_jobs)
    theta, history, path, n_refits, converged = fit.theta[0], [float(fit.objective[0])], [S], 1, False
    n_sweeps = 0
    while n_sweeps < max_sweeps:
        n_sweeps += 1
        if len(S) == n:  # no coordinate outside S: the neighbourhood is empty
            converged = True
            break
        mask = _neighbours(S, n)
        fit = minimize_on_supports(model, X, y, mask, ridge=ridge, theta0=theta, n_jobs=n_jobs)
        n_refits += mask.shape[0]
        b = int(np.argmin(fit.objective))  # ties: the first row, as in the literal loop
        if not _lowers(float(fit.objective[b]), history[-1], rtol):
            converged = True
            break
        S, theta = tuple(int(k) for k in np.flatnonzero(mask[b])), fit.theta[b]
        history.append(float(fit.objective[b]))
        path.append(S)
    return SwapResult(S, theta, history[-1], n_sweeps, n_refits, np.array(history), path, converged)
