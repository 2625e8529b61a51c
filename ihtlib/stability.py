"""The HT-stability test of chapter 5: is θ a fixed point of IHT, and is its support locked?

With S = supp(θ), M_s(θ) the s-th largest |θ_j| and step γ, a stationary θ (‖θ‖₀ = s,
∇_S f(θ) = 0) is a fixed point of IHT exactly when |∇_i f(θ)| <= M_s(θ)/γ for every i ∉ S
(chapter 5, "Fixed points are L-stationary points").  :func:`ht_stability` measures both
sides of that inequality and classifies θ; :class:`StabilityReport` holds the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .validation import check_array, check_callable, check_s_per_row, check_step, check_tol

__all__ = ["STABILITY_TOL", "StabilityReport", "ht_stability"]


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
    check_callable(fun, "fun", "fun(θ) -> grad or (loss, grad)")
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
