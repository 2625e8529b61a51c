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

Where an exhaustive search (:func:`ihtlib.best_subset`) has already refitted every support of
size s, a sweep needs no refit at all: :func:`best_swap` is one sweep with the F*(S') looked
up, and :func:`swap_graph` applies it to every support at once and follows each search to
its end (the machinery in :mod:`ihtlib.fast.swap`).  That is how a chapter can afford the
search from every start, and count every swap-local minimum of a level.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np
from numpy.typing import ArrayLike

from .exhaustive import BestSubsetResult
from .fast.swap import best_swap_rows, follow, support_rows
from .hessian import check_softmax_layer
from .model import SoftmaxLayer
from .refit import minimize_on_supports, refit, supports_to_mask
from .validation import check_integer, check_tol

__all__ = ["SwapResult", "swap_search", "swap_search_batched", "best_swap", "SwapGraph", "swap_graph"]


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
    return _support_of(support, model.n_params)


def _support_of(support: ArrayLike, n: int) -> tuple:
    """One nonempty support of n parameters as a sorted tuple of indices, checked."""
    mask = supports_to_mask(support, n)
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


# ------------------------------------------------------------------ the swap graph of a solved level
def _rows_of(result: BestSubsetResult) -> dict:
    """{support: row} of the table of an exhaustive search (every support of size s)."""
    return {tuple(int(i) for i in S): r for r, S in enumerate(result.all_supports)}


def _check_table(result: object) -> int:
    """The number of parameters n of an exhaustive search's table, checked complete."""
    if not isinstance(result, BestSubsetResult):
        raise TypeError(
            f"result must be a BestSubsetResult (from il.best_subset or il.best_subset_path), got "
            f"{type(result).__name__}"
        )
    n = int(result.all_thetas.shape[1])
    if result.all_supports.shape != (comb(n, result.s), result.s):
        raise ValueError(
            f"result must hold every support of size {result.s} of {n} parameters ({comb(n, result.s)} rows), "
            f"got {result.all_supports.shape[0]}"
        )
    return n


def best_swap(result: BestSubsetResult, support: ArrayLike, rtol: float = 1e-12) -> tuple:
    """One sweep of :func:`swap_search`, literally, with F*(S') read from an exhaustive search's table.

    The exhaustive search (:func:`ihtlib.best_subset`) has already refitted every support S' of
    size s, so the refits of a sweep are look-ups: try every swap S - {i} ∪ {j} in the order of
    :func:`swap_search` (i ∈ S ascending, then j ∉ S ascending), keep the first one with the lowest
    F*, and move there if that lowers F*(S) by more than ``rtol · |F*(S)|``.

    Parameters
    ----------
    result : BestSubsetResult
        The exhaustive search at level s (its ``all_supports`` and ``all_objectives``).
    support : sequence of int, or boolean mask of shape (n,)
        One support of size s.
    rtol : float, default 1e-12
        As in :func:`swap_search`.

    Returns
    -------
    tuple of int
        The support the search moves to, or ``support`` itself (sorted) when no swap lowers F*:
        then it is a swap-local minimum.

    See Also
    --------
    swap_graph : the same for every support of size s at once, and where each search ends.
    """
    n = _check_table(result)
    S = _support_of(support, n)
    if len(S) != result.s:
        raise ValueError(f"support must have size s = {result.s} (the table's level), got {len(S)}: {S}")
    rtol = check_tol(rtol, "rtol")
    F = dict(zip(_rows_of(result), result.all_objectives.tolist(), strict=True))  # F*(S') of every S'
    best = None
    for i in S:
        for j in range(n):
            if j not in S:
                S_new = tuple(sorted(set(S) - {i} | {j}))
                if best is None or F[S_new] < F[best]:
                    best = S_new
    if best is None or not _lowers(F[best], F[S], rtol):
        return S
    return best


@dataclass
class SwapGraph:
    """What :func:`swap_graph` returns: the swap search from every support of size s.

    Rows are the supports of the exhaustive search, in its (``itertools.combinations``) order.

    Attributes
    ----------
    s : int
    n : int
        Number of parameters.
    supports : ndarray of int, shape (C, s)
        Every support of size s, C = C(n, s).
    objective : ndarray, shape (C,)
        F*(S) of each support (from the exhaustive search).
    next : ndarray of int, shape (C,)
        Row of the support the search moves to from each support (:func:`best_swap`); the row
        itself at a swap-local minimum.
    local_min : ndarray of bool, shape (C,)
        No swap lowers F* (``next`` is the row itself).
    end : ndarray of int, shape (C,)
        Row of the swap-local minimum where the search from each support stops.
    moves : ndarray of int, shape (C,)
        Moves of that search (0 at a swap-local minimum).
    """

    s: int
    n: int
    supports: np.ndarray
    objective: np.ndarray
    next: np.ndarray
    local_min: np.ndarray
    end: np.ndarray
    moves: np.ndarray

    def rows(self, supports: ArrayLike) -> np.ndarray:
        """Rows of the given supports: int array of shape (B,).

        Parameters
        ----------
        supports : boolean mask of shape (B, n) or (n,), or a sequence of index tuples,
            each of size s.

        Returns
        -------
        ndarray of int, shape (B,)
        """
        mask = supports_to_mask(supports, self.n)
        sizes = mask.sum(axis=1)
        if mask.shape[0] == 0 or np.any(sizes != self.s):
            raise ValueError(f"every support must have size s = {self.s}, got sizes {sorted(set(sizes.tolist()))}")
        return support_rows(np.sort(np.nonzero(mask)[1].reshape(-1, self.s), axis=1), self.n)


def swap_graph(result: BestSubsetResult, rtol: float = 1e-12) -> SwapGraph:
    """The swap search from every support of size s, read from an exhaustive search's table.

    ``next[r]`` is :func:`best_swap` of support r (one sweep of :func:`swap_search`, its refits
    looked up); following ``next`` until it stops gives ``end[r]``, the swap-local minimum
    where :func:`swap_search` from support r stops, after ``moves[r]`` moves.  Computed by
    :func:`ihtlib.fast.swap.best_swap_rows` (all neighbourhoods as arrays); a test checks that
    it agrees with :func:`best_swap` on every support, and with :func:`swap_search` (real
    refits) along whole paths.

    Parameters
    ----------
    result : BestSubsetResult
        The exhaustive search at one level s (:func:`ihtlib.best_subset`, or one entry of
        :func:`ihtlib.best_subset_path`).
    rtol : float, default 1e-12
        As in :func:`swap_search`.

    Returns
    -------
    SwapGraph
    """
    n = _check_table(result)
    rtol = check_tol(rtol, "rtol")
    nxt = best_swap_rows(result.all_supports, result.all_objectives, n, rtol)
    end, moves = follow(nxt)
    return SwapGraph(
        s=result.s,
        n=n,
        supports=result.all_supports.copy(),
        objective=result.all_objectives.copy(),
        next=nxt,
        local_min=nxt == np.arange(nxt.size),
        end=end,
        moves=moves,
    )
