"""Iterative hard thresholding (IHT), Algorithm 5.1 of chapter 5.

For ``min f(θ)  s.t.  ‖θ‖₀ <= s``, from an s-sparse θ⁰::

    θ^{k+1} ∈ H_s(θ^k − γ ∇f(θ^k)),      stop when max_i |θ^{k+1}_i − θ^k_i| <= tol.

Read this module from the top:

* :func:`iht_step` is one update, exactly the formula above (for one θ or a batch of rows);
* :func:`iht_loop` is Algorithm 5.1 for one start, literally: the iterates and their losses;
  with ``settle=P`` it also stops a run that has *settled* (:func:`settled`);
* :func:`settled` is that optional stopping rule, literally: over the last P iterations the
  support did not change, the loss changed by at most ``settle_rtol`` (relative) and the
  margin of the HT-stability test did not shrink by more than ``settle_rtol`` (relative);
* :func:`iht` is what the chapters run: the same iteration for many starts at once, with a
  safeguard against divergence and per-run bookkeeping.  It checks its input and hands the
  work to :mod:`ihtlib.fast.iht_batch`, which computes the same updates (the arithmetic of
  :func:`iht_step`, without re-checking the loop's own arrays) and the same stopping rules,
  and is tested to agree with :func:`iht_loop` run by run (``tests/test_fast_iht.py``).

``H_s`` is set-valued at ties; :func:`~ihtlib.hard_threshold` picks the member that keeps
the lower index, so every function here is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .stability import STABILITY_TOL, StabilityReport, ht_stability  # noqa: F401  (their old home)
from .thresholding import hard_threshold, random_sparse_init  # random_sparse_init: its old home
from .validation import (
    check_array,
    check_callable,
    check_integer,
    check_s_per_row,
    check_step,
    check_tol,
)

__all__ = ["IHTResult", "SETTLE_RTOL", "iht", "iht_loop", "iht_step", "random_sparse_init", "settled"]

#: Default relative tolerance of the settling rule (:func:`settled`): the book prints losses
#: to three significant digits, and a relative change below 5e-4 does not move the third one
#: by more than half a unit.
SETTLE_RTOL = 5e-4


def iht_step(fun: Callable, theta: ArrayLike, s: int | ArrayLike, step: ArrayLike) -> np.ndarray:
    """One IHT update: ``H_s(θ − γ ∇f(θ))`` (steps 1 and 2 of Algorithm 5.1).

    Parameters
    ----------
    fun : callable
        ``fun(θ) -> (loss, grad)``, the gradient of the shape of θ.
    theta : array_like, shape (n,) or (B, n)
        The current iterate θ^k, or one iterate per row.
    s : int, or array of int of shape (B,)
        Sparsity level, one for all rows or one per row.
    step : float, or array of shape (B,)
        Step size γ > 0, one for all rows or one per row.

    Returns
    -------
    ndarray, shape of theta
        θ^{k+1}; at a tie the lower index is kept (:func:`~ihtlib.hard_threshold`).
    """
    check_callable(fun, "fun", "fun(θ) -> (loss, grad)")
    theta = check_array(theta, "theta", ndim=(1, 2), finite=False)  # s is checked by hard_threshold
    gamma = check_step(step, None if theta.ndim == 1 else theta.shape[0])[..., None]  # one γ per row
    grad = np.asarray(fun(theta)[1], dtype=np.float64)
    if grad.shape != theta.shape:
        raise ValueError(f"fun(θ) must return a gradient of shape {theta.shape}, got shape {grad.shape}")
    v = theta - gamma * grad  # 1. gradient step
    if not np.isfinite(v).all():
        raise ValueError(_not_finite(theta, grad))
    return hard_threshold(v, s)  # 2. projection onto C_s


def _not_finite(theta: np.ndarray, grad: np.ndarray) -> str:
    """Why θ − γ∇f(θ) is not finite."""
    if not np.isfinite(theta).all():
        return "theta contains NaN or infinite values"
    if not np.isfinite(grad).all():
        return "the gradient fun(θ)[1] contains NaN or infinite values; check fun"
    return "the gradient step θ − γ∇f(θ) overflowed; use a smaller step"


def settled(fun: Callable, window: ArrayLike, s: int, step: float, settle_rtol: float = SETTLE_RTOL) -> bool:
    """The settling rule at θ^k, read off the last P + 1 iterates θ^{k-P}, …, θ^k (literally).

    A run has *settled* when, over the last P iterations,

    1. the support did not change: supp θ^{k-P} = … = supp θ^k;
    2. the loss changed by at most ``settle_rtol`` relative to its value:
       ``|f(θ^{k-P}) - f(θ^k)| <= settle_rtol · |f(θ^k)|``;
    3. the margin of the HT-stability test (:func:`~ihtlib.ht_stability`: M_s(θ)/γ − max_{i ∉ S}
       |∇_i f(θ)|, the room that keeps coordinates off the support) did not shrink by more than
       ``settle_rtol``: ``margin(θ^k) >= margin(θ^{k-P}) - settle_rtol · |margin(θ^{k-P})|``.

    Condition 3 is what makes the rule safe: near an HT-unstable point the loss can stall for
    hundreds of iterations while a support coordinate drains away, the margin shrinking, before
    the support changes and the loss drops again (chapter 6 measures this).

    Parameters
    ----------
    fun : callable
        ``fun(θ) -> (loss, grad)``.
    window : array_like, shape (P+1, n)
        The iterates θ^{k-P}, …, θ^k of one run, P >= 1.
    s : int
        The run's sparsity level.
    step : float
        The run's step γ.
    settle_rtol : float, default :data:`SETTLE_RTOL` (5e-4)

    Returns
    -------
    bool
    """
    window = np.asarray(window, dtype=np.float64)
    first, last = window[0], window[-1]
    same_support = all(np.array_equal(theta != 0, last != 0) for theta in window)
    f_first, f_last = float(fun(first)[0]), float(fun(last)[0])
    m_first, m_last = ht_stability(fun, np.array([first, last]), s, step).margin
    return (
        same_support
        and abs(f_first - f_last) <= settle_rtol * abs(f_last)
        and m_last >= m_first - settle_rtol * abs(m_first)
    )


def iht_loop(
    fun: Callable,
    theta0: ArrayLike,
    s: int,
    step: float,
    max_iter: int = 1000,
    tol: float = 1e-8,
    settle: int | None = None,
    settle_rtol: float = SETTLE_RTOL,
) -> tuple[np.ndarray, np.ndarray]:
    """Algorithm 5.1 for one start, literally: every iterate and its loss.

    No safeguard: unlike :func:`iht`, a step that is too large is taken anyway (the losses
    then grow, as chapter 5's exercise on large steps shows).

    Parameters
    ----------
    fun : callable
        ``fun(θ) -> (loss, grad)``, accepting θ of shape (n,) and (T, n).
    theta0 : array_like, shape (n,)
        An s-sparse start.
    s : int, 1 <= s <= n
    step : float
        Step size γ > 0.
    max_iter : int, default 1000
        The budget K.
    tol : float, default 1e-8
        Stop after the first step with ``max_i |θ^{k+1}_i − θ^k_i| <= tol``.
    settle : int or None, default None
        None: only the two rules above (the paper's protocol).  P >= 1: also stop at the first
        iterate at which the run has settled over the last P iterations (:func:`settled`).
    settle_rtol : float, default :data:`SETTLE_RTOL` (5e-4)
        The relative tolerance of :func:`settled`.

    Returns
    -------
    thetas : ndarray, shape (T+1, n)
        θ⁰, θ¹, …, θ^T (T = max_iter unless a stopping rule ended the loop earlier).
    losses : ndarray, shape (T+1,)
        f(θ⁰), …, f(θ^T).

    Raises
    ------
    ValueError
        θ⁰ not a finite s-sparse vector, or (without the safeguard of :func:`iht`) a step
        so large that θ − γ∇f(θ) overflows.
    """
    theta, s = _check_starts(theta0, s, "theta0", batch=False)
    max_iter, tol = check_integer(max_iter, "max_iter", low=1), check_tol(tol)
    settle, settle_rtol = _check_settle(settle, settle_rtol)
    thetas = [theta]
    for _ in range(max_iter):
        theta_next = iht_step(fun, theta, s, step)
        thetas.append(theta_next)
        if np.max(np.abs(theta_next - theta)) <= tol:
            break
        if settle is not None and len(thetas) > settle and settled(fun, thetas[-settle - 1 :], s, step, settle_rtol):
            break
        theta = theta_next
    thetas = np.array(thetas)
    return thetas, np.asarray(fun(thetas)[0], dtype=np.float64).reshape(len(thetas))


def _check_settle(settle: object, settle_rtol: object) -> tuple[int | None, float]:
    """``settle`` None or an integer >= 1; ``settle_rtol`` a finite number >= 0."""
    settle = None if settle is None else check_integer(settle, "settle", low=1)
    return settle, check_tol(settle_rtol, "settle_rtol")


@dataclass
class IHTResult:
    """What :func:`iht` returns.  For a batch, every field has one entry per run.

    Attributes
    ----------
    theta : ndarray, shape (n,) or (B, n)
        Last accepted iterate (s-sparse). A diverged run keeps its last iterate whose
        loss was finite and not above the starting loss.
    losses : ndarray, shape (T+1,) or (B, T+1)
        ``f(θ^0), f(θ^1), …``. For a batch, T is the largest ``n_iter``; after a run
        stops its loss is repeated, so every row has the same length.
    n_iter : int or ndarray of int, shape (B,)
        Number of accepted iterations.
    status : str or ndarray of str, shape (B,)
        ``"converged"`` (‖θ^{k+1} - θ^k‖_∞ <= tol), ``"settled"`` (only with ``settle=P``:
        the run settled over its last P iterations, :func:`settled`), ``"max_iter"`` (budget
        used up) or ``"diverged"`` (the loss rose above f(θ^0) or stopped being finite).
    support_changed_at : int or ndarray of int, shape (B,)
        Last iteration k at which supp(θ^k) differed from supp(θ^{k-1}); 0 if never.
    monotone : bool or ndarray of bool, shape (B,)
        True when the loss never increased (beyond rounding) along the run.
    message : str or list of str
        A human-readable line per run (why it stopped; for ``"diverged"`` a hint).
    s : int or ndarray of int, shape (B,)
    step : float or ndarray, shape (B,)
    """

    theta: np.ndarray
    losses: np.ndarray
    n_iter: np.ndarray | int
    status: np.ndarray | str
    support_changed_at: np.ndarray | int
    monotone: np.ndarray | bool
    message: list[str] | str
    s: int | np.ndarray
    step: np.ndarray | float

    @property
    def loss(self) -> np.ndarray | float:
        """Final loss, float or shape (B,)."""
        return self.losses[..., -1]

    @property
    def converged(self) -> np.ndarray | bool:
        """``status == "converged"``, bool or shape (B,)."""
        return np.asarray(self.status) == "converged"


def iht(
    fun: Callable,
    theta0: ArrayLike,
    s: int | ArrayLike,
    step: ArrayLike,
    *,
    max_iter: int = 1000,
    tol: float = 1e-8,
    settle: int | None = None,
    settle_rtol: float = SETTLE_RTOL,
    progress: bool = False,
) -> IHTResult:
    """Iterative hard thresholding, one start or many at once.

    Each run is :func:`iht_loop` (the same iterates, the same stopping rules) with one
    safeguard: a run whose loss rises above f(θ⁰) or stops being finite is stopped,
    keeps its last good iterate and is marked ``"diverged"``.

    Parameters
    ----------
    fun : callable
        ``fun(θ) -> (loss, grad)`` for θ of shape (B, n), returning shapes (B,) and (B, n),
        for example ``SoftmaxLayer(4, 3).objective(X, y)``.  Every row is the same
        objective: once a run stops, only the rows of the runs still going are passed,
        so a ``fun`` whose row b encodes a different problem b is not supported (loop
        over such problems instead).
    theta0 : array_like, shape (n,) or (B, n)
        Starting point(s), each with at most s nonzeros.
    s : int, 1 <= s <= n, or array of int of shape (B,)
        Sparsity level: number of nonzeros allowed (one level for all runs, or one per run).
    step : float or array_like of shape (B,)
        Step size γ > 0: at most 1/L2s^val for the descent guarantee of chapter 5 (for
        example 1/smoothness_bound); the paper uses 1/L̂2s.
    max_iter : int, default 1000
        Iteration budget per run.
    tol : float, default 1e-8
        A run has converged when ``max_i |θ^{k+1}_i - θ^k_i| <= tol``.
    settle : int or None, default None
        None (the paper's protocol): a run ends only by ``tol``, the budget or the safeguard.
        An integer P >= 1: a run also ends, with status ``"settled"``, at the first iterate at
        which it has settled over the last P iterations (:func:`settled`: support unchanged,
        loss and HT-stability margin steady to ``settle_rtol``).
    settle_rtol : float, default :data:`SETTLE_RTOL` (5e-4)
        Relative tolerance of the settling rule; used only with ``settle``.
    progress : bool, default False
        Show a progress bar over iterations.

    Returns
    -------
    IHTResult
        Scalar fields for θ⁰ of shape (n,), per-run arrays for shape (B, n).

    Raises
    ------
    TypeError, ValueError
        For s that is not an integer in 1…n, a step that is not finite and > 0,
        θ⁰ with more than s nonzeros, a non-finite θ⁰, ``settle`` not None or an integer
        >= 1, or ``settle_rtol`` not a finite number >= 0.
    """
    from .fast.iht_batch import iht_batch  # the fast layer imports from this module

    check_callable(fun, "fun", "fun(θ) -> (loss, grad)")
    thetas, s = _check_starts(theta0, s, "theta0", batch=True)
    B = thetas.shape[0]
    if np.ndim(theta0) == 1 and np.ndim(s) != 0:
        raise ValueError("one start (theta0 of shape (n,)) takes one integer s")
    steps = np.broadcast_to(check_step(step, B), (B,)).astype(np.float64)
    max_iter = check_integer(max_iter, "max_iter", low=1)
    tol = check_tol(tol)
    settle, settle_rtol = _check_settle(settle, settle_rtol)
    fields = iht_batch(fun, thetas, s, steps, max_iter, tol, progress, settle=settle, settle_rtol=settle_rtol)
    if np.ndim(theta0) == 2:
        return IHTResult(*fields, s, steps)
    theta, losses, n_iter, status, changed_at, monotone, message = (field[0] for field in fields)  # one start
    return IHTResult(theta, losses, int(n_iter), str(status), int(changed_at), bool(monotone), message, s, float(step))


def _check_starts(theta0: ArrayLike, s: int | ArrayLike, name: str, batch: bool) -> tuple[np.ndarray, int | np.ndarray]:
    """θ⁰ as a float64 array of shape (B, n) (``batch``) or (n,), finite, with at most s nonzeros; and s."""
    theta0 = check_array(theta0, name, finite=False, allow_empty=True)
    if theta0.ndim not in ((1, 2) if batch else (1,)) or theta0.shape[-1] == 0 or theta0.size == 0:
        shapes = "shape (n,) or (B, n) with n, B >= 1" if batch else "shape (n,) with n >= 1 (one start)"
        raise ValueError(f"{name} must have {shapes}, got {theta0.shape}")
    thetas = theta0.reshape(-1, theta0.shape[-1])
    s = check_s_per_row(s, thetas.shape[1], (thetas.shape[0],) if batch else ())
    if not np.all(np.isfinite(thetas)):
        raise ValueError(f"{name} contains NaN or infinite values")
    nnz = np.count_nonzero(thetas, axis=1)
    if np.any(nnz > s):
        i = int(np.argmax(nnz > s))
        run = f" (run {i})" if batch else ""
        raise ValueError(
            f"{name} has {nnz[i]} nonzeros{run}, more than s={np.broadcast_to(s, nnz.shape)[i]}; "
            f"IHT starts from an s-sparse point: pass hard_threshold({name}, s) or random_sparse_init(n, s) instead"
        )
    return (np.array(thetas) if batch else theta0), s
