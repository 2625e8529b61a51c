"""Iterative hard thresholding (IHT) and the HT-stability test.

IHT for ``min f(θ)  s.t.  ‖θ‖₀ ≤ s``::

    θ^{k+1} = H_s(θ^k - γ ∇f(θ^k)),      θ^0 s-sparse.

:func:`iht` runs one start (θ⁰ of shape (n,)) or B independent starts at once
(θ⁰ of shape (B, n)); a batch gives the same results as B single runs, only faster,
because ``fun`` evaluates all runs with one matrix product.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from threadpoolctl import ThreadpoolController
from tqdm import tqdm

from .thresholding import hard_threshold
from .validation import (
    check_array,
    check_budget,
    check_integer,
    check_real,
    check_s,
    check_s_per_row,
    check_step,
    check_tol,
    seeded_batch,
)

__all__ = [
    "IHTResult",
    "iht",
    "random_sparse_init",
    "StabilityReport",
    "ht_stability",
    "STABILITY_TOL",
    "check_step",  # re-exported from ihtlib.validation
    "seeded_batch",
]

#: Limits BLAS threads during IHT: on (B·K, d+1) products, extra threads only contend
#: (measured: a B = 750 batch ran 10 times slower with two OpenBLAS threads on a busy machine).
_BLAS = ThreadpoolController()

#: A loss may rise by this relative amount without counting as an increase (rounding).
_RISE_RTOL = 1e-13


def random_sparse_init(
    n: int,
    s: int,
    size: int | None = None,
    seed: int | Sequence[int] | np.random.Generator | None = None,
    scale: float = 1.0,
    law: str = "normal",
) -> np.ndarray:
    """Random s-sparse vectors: a uniformly random support of size s, random values on it.

    Parameters
    ----------
    n : int
        Length of each vector.
    s : int, 1 <= s <= n
        Number of nonzeros.
    size : int, optional
        Number of vectors B. ``None`` returns one vector of shape (n,).
    seed : int, sequence of int or numpy Generator, optional
        Seed for ``numpy.random.default_rng``.
    scale : float, default 1
        Standard deviation (``law="normal"``) or half-width (``law="uniform"``).
    law : {"normal", "uniform"}
        Distribution of the nonzero values: N(0, scale²) or U(-scale, scale).

    Returns
    -------
    ndarray, shape (n,) or (size, n)
        Exactly s nonzeros per vector (almost surely).
    """
    n = check_integer(n, "n", low=1)
    s = check_s(s, n)
    if law not in ("normal", "uniform"):
        raise ValueError(f"law must be 'normal' or 'uniform', got {law!r}")
    scale = check_real(scale, "scale", low=0.0, low_open=True)
    rng, B = seeded_batch(seed, size)
    check_budget(B * n, f"random_sparse_init of {B} vectors of length {n}", "pass a smaller size or n")
    idx = np.argsort(rng.random((B, n)), axis=1)[:, :s]
    if law == "normal":
        values = rng.normal(0.0, scale, (B, s))
    else:
        values = rng.uniform(-scale, scale, (B, s))
    out = np.zeros((B, n))
    np.put_along_axis(out, idx, values, axis=1)
    return out[0] if size is None else out


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
        ``"converged"`` (‖θ^{k+1} - θ^k‖_∞ <= tol), ``"max_iter"`` (budget used up) or
        ``"diverged"`` (the loss rose above f(θ^0) or stopped being finite).
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


def _evaluate(fun: Callable, theta: np.ndarray):
    """``fun`` on a batch; runs whose loss cannot be computed get loss = inf."""
    try:
        with np.errstate(all="ignore"):
            out = fun(theta)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"fun must return a pair (loss, grad), got {type(out).__name__}")
        loss, grad = np.asarray(out[0], dtype=np.float64), np.asarray(out[1], dtype=np.float64)
        if loss.size != theta.shape[0] or grad.size != theta.size:
            raise ValueError(
                f"fun(θ) for θ of shape {theta.shape} must return a loss of shape ({theta.shape[0]},) and a "
                f"gradient of shape {theta.shape}, got shapes {loss.shape} and {grad.shape}"
            )
        return loss.reshape(theta.shape[0]), grad.reshape(theta.shape)
    except FloatingPointError:
        if theta.shape[0] == 1:
            return np.array([np.inf]), np.zeros_like(theta)
        parts = [_evaluate(fun, theta[i : i + 1]) for i in range(theta.shape[0])]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def iht(
    fun: Callable,
    theta0: ArrayLike,
    s: int | ArrayLike,
    step: ArrayLike,
    *,
    max_iter: int = 1000,
    tol: float = 1e-8,
    progress: bool = False,
) -> IHTResult:
    """Iterative hard thresholding, one start or many at once.

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
        θ⁰ with more than s nonzeros, or a non-finite θ⁰.
    """
    if not callable(fun):
        raise TypeError(f"fun must be callable, fun(θ) -> (loss, grad), got {type(fun).__name__}")
    theta0 = check_array(theta0, "theta0", finite=False, allow_empty=True)
    if theta0.ndim not in (1, 2) or theta0.shape[-1] == 0 or theta0.size == 0:
        raise ValueError(f"theta0 must have shape (n,) or (B, n) with n, B >= 1, got {theta0.shape}")
    single = theta0.ndim == 1
    th = np.array(theta0.reshape(-1, theta0.shape[-1]))
    B, n = th.shape
    s = check_s_per_row(s, n, (B,))
    if single and np.ndim(s) != 0:
        raise ValueError("one start (theta0 of shape (n,)) takes one integer s")
    steps = np.broadcast_to(check_step(step, B), (B,)).astype(np.float64)
    max_iter = check_integer(max_iter, "max_iter", low=1)
    tol = check_tol(tol)
    if not np.all(np.isfinite(th)):
        raise ValueError("theta0 contains NaN or infinite values")
    nnz = np.count_nonzero(th, axis=1)
    if np.any(nnz > s):
        i = int(np.argmax(nnz > s))
        raise ValueError(
            f"theta0 has {nnz[i]} nonzeros (run {i}), more than s={np.broadcast_to(s, (B,))[i]}; "
            f"IHT starts from an s-sparse point: "
            f"pass hard_threshold(theta0, s) or random_sparse_init(n, s) instead"
        )

    with _BLAS.limit(limits=1, user_api="blas"):  # tiny matrix products: more BLAS threads only contend
        return _run(fun, th, s, steps, max_iter, tol, progress, single)


def _run(
    fun: Callable,
    th: np.ndarray,
    s: int | np.ndarray,
    steps: np.ndarray,
    max_iter: int,
    tol: float,
    progress: bool,
    single: bool,
) -> IHTResult:
    """The IHT iterations of :func:`iht` on validated input; th of shape (B, n) is updated in place."""
    B = th.shape[0]
    loss, grad = _evaluate(fun, th)
    if not np.all(np.isfinite(loss)):
        raise ValueError("the loss at theta0 is not finite; start from a smaller theta0")
    # row k: f(θ^k) of every run; grows with the iterations actually run (doubling, at most max_iter + 1)
    losses = np.empty((min(max_iter, 1023) + 1, B))
    losses[0] = loss
    n_iter = np.full(B, max_iter)
    status = np.full(B, "max_iter", dtype=object)
    changed_at = np.zeros(B, dtype=int)
    monotone = np.ones(B, dtype=bool)
    message = [""] * B
    # The active runs, compacted: idx[j] is the run held in row j of th_a, g_a, ...
    idx = np.arange(B)
    th_a, g_a, prev = th.copy(), grad, loss
    step_a = steps[:, None]
    s_a = s  # the sparsity level of each active run (an int when all runs share it)
    limit_a = loss + _RISE_RTOL * np.abs(loss)  # a run diverges when its loss exceeds f(θ^0)
    for k in tqdm(range(1, max_iter + 1), disable=not progress, desc="IHT", leave=False):
        if k >= losses.shape[0]:
            losses = np.concatenate([losses, np.empty((min(losses.shape[0], max_iter + 1 - losses.shape[0]), B))])
        with np.errstate(all="ignore"):
            v = th_a - step_a * g_a
        blown = ~np.isfinite(v).all(axis=1)  # the step overflowed or the gradient held NaN / inf
        if blown.any():
            v[blown] = th_a[blown]
        new = hard_threshold(v, s_a)
        new_loss, new_grad = _evaluate(fun, new)
        bad = ~(new_loss <= limit_a) | blown  # also catches NaN and inf
        done = np.abs(new - th_a).max(axis=1) <= tol
        if bad.any():
            for j in np.flatnonzero(bad):
                i = idx[j]
                status[i], n_iter[i] = "diverged", k - 1
                if blown[j]:
                    message[i] = (
                        f"diverged: the gradient step at iteration {k} was not finite (step {steps[i]:.4g} times "
                        "the gradient overflowed, or fun returned a NaN or infinite gradient); use a smaller step "
                        "(at most 1/L2s^val, e.g. 1/smoothness_bound) or check fun"
                    )
                    continue
                rose = "rose" if np.isfinite(new_loss[j]) else "was not finite: it went"
                message[i] = (
                    f"diverged: the loss {rose} from {losses[0, i]:.4g} at the start to {new_loss[j]:.4g} at "
                    f"iteration {k} with step {steps[i]:.4g}; use a smaller step "
                    "(at most 1/L2s^val, e.g. 1/smoothness_bound)"
                )
            monotone[idx[bad]] = False
            new[bad], new_loss[bad] = th_a[bad], prev[bad]  # keep the last good iterate
            done |= bad
        monotone[idx] &= new_loss <= prev + _RISE_RTOL * np.abs(prev)
        changed = ((new == 0) != (th_a == 0)).any(axis=1)
        if changed.any():
            changed_at[idx[changed]] = k
        losses[k, idx] = new_loss
        th_a, g_a, prev = new, new_grad, new_loss
        if done.any():
            stop = idx[done]
            th[stop] = new[done]
            n_iter[stop] = np.where(status[stop] == "diverged", n_iter[stop], k)
            status[stop] = np.where(status[stop] == "diverged", "diverged", "converged")
            keep = ~done
            idx, th_a, g_a, prev = idx[keep], th_a[keep], g_a[keep], prev[keep]
            step_a, limit_a = step_a[keep], limit_a[keep]
            s_a = s_a if np.ndim(s_a) == 0 else s_a[keep]
            if idx.size == 0:
                break
    th[idx] = th_a
    T = int(n_iter.max())
    losses = np.ascontiguousarray(losses[: T + 1].T)
    for i in range(B):
        losses[i, n_iter[i] + 1 :] = losses[i, n_iter[i]]
        if status[i] == "converged":
            message[i] = f"converged after {n_iter[i]} iterations"
        elif status[i] == "max_iter":
            message[i] = f"stopped at the budget of {max_iter} iterations without meeting tol={tol:g}"
    status = status.astype(str)
    if single:
        return IHTResult(
            th[0],
            losses[0, : n_iter[0] + 1],
            int(n_iter[0]),
            str(status[0]),
            int(changed_at[0]),
            bool(monotone[0]),
            message[0],
            s,
            float(steps[0]),
        )
    return IHTResult(th, losses, n_iter, status, changed_at, monotone, message, s, steps)


@dataclass
class StabilityReport:
    """The fixed-point and HT-stability test at θ (chapter 5).  Array fields for a batch of θ.

    With S = supp(θ), M_s(θ) the s-th largest |θ_j| and step γ (chapter 5's definitions):

    - θ is **stationary** when ‖θ‖₀ = s and ∇_S f(θ) = 0;
    - θ is a **fixed point** of IHT when θ ∈ H_s(θ - γ∇f(θ)), i.e. ∇_S f(θ) = 0 and
      |∇_i f(θ)| <= M_s(θ)/γ for every i ∉ S (for ‖θ‖₀ < s: ∇f(θ) = 0);
    - a stationary θ is **HT-stable** when it is a fixed point, and **HT-unstable** when
      |∇_i f(θ)| > M_s(θ)/γ for some i ∉ S (IHT leaves it from every start close enough);
    - an HT-stable θ has its **support locked** when the off-support inequality is strict
      (margin > 0); equality (a tie, margin = 0) is a *degenerate* HT-stable point.

    "= 0", "<=" and "> 0" are tested up to ``tol`` (in the units of the gradient): the
    gradient on the support counts as zero when its norm is <= tol, and a margin within
    ±tol counts as a tie.  So every stationary point is exactly one of: support locked
    (margin > tol), degenerate (|margin| <= tol), HT-unstable (margin < -tol).

    Attributes
    ----------
    is_stationary : bool or ndarray of bool, shape (B,)
        ‖θ‖₀ = s and ``grad_norm_support <= tol``.
    is_fixed_point : bool or ndarray of bool, shape (B,)
        ``grad_norm_support <= tol`` and ``margin >= -tol`` (θ ∈ H_s(θ - γ∇f(θ)) up to tol).
    is_ht_stable : bool or ndarray of bool, shape (B,)
        Stationary and a fixed point.
    is_ht_unstable : bool or ndarray of bool, shape (B,)
        Stationary and ``margin < -tol``.
    support_locked : bool or ndarray of bool, shape (B,)
        Stationary and ``margin > tol``: no coordinate off the support can enter nearby.
    nnz : int or ndarray of int, shape (B,)
        ‖θ‖₀.
    grad_norm_support : float or ndarray, shape (B,)
        ‖∇_S f(θ)‖₂.
    max_grad_off_support : float or ndarray, shape (B,)
        max_{i ∉ S} |∇_i f(θ)| (0 if S is everything).
    min_abs_support : float or ndarray, shape (B,)
        M_s(θ), the s-th largest |θ_j| (0 when θ has fewer than s nonzeros).
    threshold : float or ndarray, shape (B,)
        ``min_abs_support / step``, the largest off-support |∇_i f| a fixed point allows.
    margin : float or ndarray, shape (B,)
        ``threshold - max_grad_off_support``.
    tol : float
        The tolerance used.
    """

    is_stationary: np.ndarray | bool
    is_fixed_point: np.ndarray | bool
    is_ht_stable: np.ndarray | bool
    is_ht_unstable: np.ndarray | bool
    support_locked: np.ndarray | bool
    nnz: np.ndarray | int
    grad_norm_support: np.ndarray | float
    max_grad_off_support: np.ndarray | float
    min_abs_support: np.ndarray | float
    threshold: np.ndarray | float
    margin: np.ndarray | float
    tol: float


#: Default tolerance of :func:`ht_stability`.  IHT stops when no coordinate moves by more
#: than ``tol`` (1e-8 by default); then ‖∇_S f‖ = ‖θ^{k+1} - θ^k‖_S / γ is at most about
#: √s · 1e-8 / γ, far below 1e-6 for the book's steps (γ of order 1) and sizes (s <= 65).
STABILITY_TOL = 1e-6


def ht_stability(
    fun: Callable, theta: ArrayLike, s: int | ArrayLike, step: ArrayLike, tol: float = STABILITY_TOL
) -> StabilityReport:
    """Classify θ: stationary, fixed point of IHT with step γ, HT-stable or HT-unstable.

    Parameters
    ----------
    fun : callable
        ``fun(θ)`` returning the gradient of shape (..., n), or a pair ``(loss, grad)``
        (so an objective such as ``model.objective(X, y)`` works).
    theta : array_like, shape (n,) or (B, n)
        The point(s) to test, each with at most s nonzeros.
    s : int, or array of int of shape (B,)
        The sparsity level (one per point of a batch, if they differ).
    step : float, or array of shape (B,)
        The step size γ the fixed point is tested for.
    tol : float, default ``STABILITY_TOL`` (1e-6)
        Tolerance, in units of the gradient, for "∇_S f = 0" and for a tie (see
        :class:`StabilityReport`).

    Returns
    -------
    StabilityReport
        Scalar fields for θ of shape (n,), arrays of shape (B,) for a batch.

    Raises
    ------
    ValueError
        θ of the wrong shape, with NaN or infinite entries, or with more than s nonzeros
        (it is not in C_s); a negative or non-finite ``tol``; a gradient of the wrong shape
        or not finite.
    TypeError
        ``s`` not an integer, ``step`` not a number.
    """
    if not callable(fun):
        raise TypeError(f"fun must be callable, fun(θ) -> grad or (loss, grad), got {type(fun).__name__}")
    theta = check_array(theta, "theta", finite=False, allow_empty=True)
    if theta.ndim not in (1, 2) or theta.shape[-1] == 0 or theta.size == 0:
        raise ValueError(f"theta must have shape (n,) or (B, n) with n, B >= 1, got {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta contains NaN or infinite values")
    n = theta.shape[-1]
    s = check_s_per_row(s, n, theta.shape[:-1])
    step = check_step(step, None if theta.ndim == 1 else theta.shape[0])
    tol = check_tol(tol)
    nnz = np.count_nonzero(theta, axis=-1)
    if np.any(nnz > s):
        raise ValueError(
            f"theta has {np.max(nnz)} nonzeros, more than s={np.max(s)}: it is not in C_s; "
            "pass hard_threshold(theta, s) or the sparsity level theta was trained with"
        )
    g = fun(theta)
    g = np.asarray(g[1] if isinstance(g, tuple) else g)
    if g.dtype.kind not in "iuf":
        raise TypeError(f"fun must return the gradient as real numbers, got dtype {g.dtype}")
    g = g.astype(np.float64)
    if g.shape != theta.shape or not np.all(np.isfinite(g)):
        raise ValueError(f"the gradient at theta must be finite with shape {theta.shape}, got shape {g.shape}")

    on = theta != 0
    grad_norm = np.sqrt(np.sum(np.where(on, g, 0.0) ** 2, axis=-1))
    max_off = np.max(np.where(on, 0.0, np.abs(g)), axis=-1)
    rank = np.broadcast_to(s, theta.shape[:-1])[..., None] - 1
    m_s = np.take_along_axis(-np.sort(-np.abs(theta), axis=-1), rank, axis=-1)[..., 0]
    threshold = m_s / step
    margin = threshold - max_off

    stationary = (nnz == s) & (grad_norm <= tol)
    fixed = (grad_norm <= tol) & (margin >= -tol)
    fields = (
        stationary,
        fixed,
        stationary & fixed,
        stationary & (margin < -tol),
        stationary & (margin > tol),
        nnz,
        grad_norm,
        max_off,
        m_s,
        threshold,
        margin,
    )
    if theta.ndim == 1:
        return StabilityReport(*(f.item() for f in map(np.asarray, fields)), float(tol))
    return StabilityReport(*fields, float(tol))
