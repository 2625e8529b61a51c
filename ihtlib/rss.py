"""Restricted strong smoothness: estimating L2s, and bounds to check the estimate.

Two restricted constants (chapter 3), each the smallest L such that, for all x, y with
‖x‖₀, ‖y‖₀ ≤ s:

* value form, L2s^val:     f(y) <= f(x) + <∇f(x), y - x> + (L/2) ‖y - x‖²
* gradient form, L2s^grad: ‖∇f(x) - ∇f(y)‖ <= L ‖x - y‖

IHT's descent inequality (chapter 5) needs L2s^val.  For a quadratic L2s^grad >= L2s^val.  In general
a gradient bound on the s-sparse pairs alone does not give the value form (the segment
between two s-sparse points leaves the s-sparse set); a gradient bound on every
2s-dimensional coordinate subspace does (chapter 3 proves it).  The Monte Carlo recipe
(:func:`estimate_l2s`) samples the **gradient form**, and a sampled maximum can only be
a *lower* bound on L2s^grad (it says nothing certain about L2s^val).
:func:`smoothness_bound` and :func:`restricted_smoothness_bound` give *upper* bounds on
both constants for softmax cross-entropy (they bound the Hessian), so the book can show
the sandwich ``L̂ <= L2s^grad <= bound``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations, islice

import numpy as np
from numpy.typing import ArrayLike

from .thresholding import random_sparse_init
from .validation import (
    check_array,
    check_budget,
    check_callable,
    check_combinations,
    check_integer,
    check_s,
    check_theta,
    check_X,
)

#: Coordinate sets per stacked eigenvalue/SVD call of :meth:`Quadratic.restricted_constant`.
_SETS_PER_CALL = 2048
#: :func:`estimate_l2s` evaluates more than ``_CHUNK_FROM`` points in batches of
#: ``_CHUNK_POINTS``: 20,000 IRIS points cost twice the CPU time in one call (its (3, 20000, 120)
#: temporaries do not fit in cache), and the IRIS objective gives the same numbers either way.
_CHUNK_POINTS = 1024
_CHUNK_FROM = 4096

__all__ = [
    "L2sEstimate",
    "gradient_ratio",
    "estimate_l2s",
    "smoothness_bound",
    "restricted_smoothness_bound",
    "Quadratic",
]


def gradient_ratio(fun: Callable, theta1: ArrayLike, theta2: ArrayLike) -> float | np.ndarray:
    """``r = ‖∇f(θ₁) − ∇f(θ₂)‖ / ‖θ₁ − θ₂‖``: step 3 of Algorithm 4.1, for one pair (or a batch of pairs).

    :func:`estimate_l2s` returns the largest of these ratios over ``n_monte`` random pairs of
    s-sparse points (it computes them all from one batched evaluation; its ``ratios[m]`` is
    ``gradient_ratio(fun, θ₁[m], θ₂[m])``).

    Parameters
    ----------
    fun : callable
        The gradient ``fun(θ) -> grad``, or an objective ``fun(θ) -> (loss, grad)``.
    theta1, theta2 : array_like, shape (n,) or (B, n)
        Two different points (or B pairs, one per row).

    Returns
    -------
    float, or ndarray of shape (B,)
    """
    check_callable(fun, "fun", "θ -> grad or (loss, grad)")
    theta1, theta2 = check_array(theta1, "theta1"), check_array(theta2, "theta2")
    if theta1.shape != theta2.shape or theta1.ndim not in (1, 2):
        raise ValueError(
            f"theta1 and theta2 must have the same shape (n,) or (B, n), got {theta1.shape}, {theta2.shape}"
        )
    g1, g2 = _grad_of(fun, theta1), _grad_of(fun, theta2)
    with np.errstate(divide="ignore", invalid="ignore"):  # θ₁ = θ₂ gives inf or NaN, no warning
        ratio = np.linalg.norm(g1 - g2, axis=-1) / np.linalg.norm(theta1 - theta2, axis=-1)
    return float(ratio) if ratio.ndim == 0 else ratio


@dataclass
class L2sEstimate:
    """Result of :func:`estimate_l2s`.

    Attributes
    ----------
    value : float
        L̂2s, the largest sampled ratio: a lower estimate of L2s^grad.
    ratios : ndarray, shape (n_monte,)
        ‖∇f(θ₁) - ∇f(θ₂)‖ / ‖θ₁ - θ₂‖ for every sampled pair.
    s, n_monte, seed, law, scale
        The settings that produced it.
    """

    value: float
    ratios: np.ndarray
    s: int
    n_monte: int
    seed: int | None
    law: str
    scale: float

    @property
    def step(self) -> float:
        """The step size 1 / L̂2s.

        Raises
        ------
        ValueError
            L̂2s = 0: no sampled gradient changed (a linear objective?), so 1/L̂2s is no step.
        """
        if not self.value > 0:
            raise ValueError(
                f"the estimate L̂2s is {self.value}: the sampled gradients did not change (is the objective "
                "linear on the sampled points?), so 1/L̂2s is not a step; choose the step from a bound instead"
            )
        return 1.0 / self.value


def _grad_of(fun: Callable, theta: np.ndarray) -> np.ndarray:
    """The gradient part of ``fun(θ)``, checked to have θ's shape; overflow is reported."""
    try:
        with np.errstate(all="ignore"):
            g = fun(theta)
    except FloatingPointError as err:
        raise FloatingPointError(f"{err}; the sampled points are too large: try a smaller scale") from err
    g = np.asarray(g[1] if isinstance(g, tuple) else g)
    if g.dtype.kind not in "iuf" or g.shape != theta.shape:
        raise ValueError(
            f"fun(θ) for θ of shape {theta.shape} must return a real gradient of that shape "
            f"(or a pair (loss, grad)), got dtype {g.dtype} and shape {g.shape}"
        )
    return g.astype(np.float64)


def estimate_l2s(
    fun: Callable,
    n_params: int,
    s: int,
    n_monte: int = 1000,
    seed: int | None = 0,
    law: str = "normal",
    scale: float = 1.0,
) -> L2sEstimate:
    """Monte Carlo estimate L̂2s of the gradient-form restricted constant L2s^grad.

    Draws ``n_monte`` independent pairs (θ₁, θ₂) of random s-sparse vectors (uniform
    random support, values from ``law``) and returns the largest ratio
    ``‖∇f(θ₁) - ∇f(θ₂)‖ / ‖θ₁ - θ₂‖``.  Each θ₁ - θ₂ has at most 2s nonzeros.

    Parameters
    ----------
    fun : callable
        Gradient for a batch, θ of shape (B, n) -> (B, n); may also return
        ``(loss, grad)`` (an objective).  It is called once with B = 2 * n_monte, or, above
        4096 points, on batches of 1024 (large batches are slower per point).
    n_params : int
        n, the length of θ.
    s : int, 1 <= s <= n
    n_monte : int, default 1000
        Number of pairs.
    seed : int, optional
    law : {"normal", "uniform"}
        Law of the nonzero values: N(0, scale²) or U(-scale, scale).
    scale : float, default 1

    Returns
    -------
    L2sEstimate
        ``value`` is a lower bound on L2s^grad, the gradient-form constant over s-sparse
        pairs; it is not a bound on L2s^val in either direction.
    """
    check_callable(fun, "fun", "θ of shape (B, n) -> gradient (B, n)")
    n_params = check_integer(n_params, "n_params", low=1)
    s = check_s(s, n_params)
    n_monte = check_integer(n_monte, "n_monte", low=1)
    check_budget(2 * n_monte * n_params, f"{2 * n_monte} sampled points of length {n_params}", "use a smaller n_monte")
    thetas = random_sparse_init(n_params, s, size=2 * n_monte, seed=seed, scale=scale, law=law)
    if thetas.shape[0] > _CHUNK_FROM:
        g = np.concatenate([_grad_of(fun, thetas[i : i + _CHUNK_POINTS]) for i in range(0, 2 * n_monte, _CHUNK_POINTS)])
    else:
        g = _grad_of(fun, thetas)
    t1, t2 = thetas[:n_monte], thetas[n_monte:]
    g1, g2 = g[:n_monte], g[n_monte:]
    with np.errstate(all="ignore"):
        num, den = np.linalg.norm(g1 - g2, axis=1), np.linalg.norm(t1 - t2, axis=1)
        ratios = num / den
    if not np.all(np.isfinite(num)):
        raise FloatingPointError(
            f"a gradient (difference) was not finite at scale={scale:g}: the sampled points are too large; "
            "try a smaller scale"
        )
    if not (np.all(np.isfinite(den)) and np.all(den > 0)):
        raise ValueError(
            f"a sampled pair θ₁, θ₂ had ‖θ₁ - θ₂‖ = {den.min() if np.all(np.isfinite(den)) else np.inf:g} at "
            f"scale={scale:g}: the scale is {'too small' if np.all(np.isfinite(den)) else 'too large'} for "
            "float64; try a scale near 1"
        )
    return L2sEstimate(float(ratios.max()), ratios, s, int(n_monte), seed, law, float(scale))


def _second_moment(X: ArrayLike) -> np.ndarray:
    """(1/N) Σ x̃ x̃ᵀ with x̃ = [x; 1], shape (d+1, d+1)."""
    X = check_X(X)
    Xa = np.hstack([X, np.ones((X.shape[0], 1))])
    with np.errstate(all="ignore"):
        M = Xa.T @ Xa / X.shape[0]
    if not np.all(np.isfinite(M)):
        raise ValueError(
            f"X is too large: (1/N) Σ x̃ x̃ᵀ overflows float64 (largest |x| = {np.abs(X).max():.3g}); "
            "standardise or rescale X first"
        )
    return M


def smoothness_bound(X: ArrayLike) -> float:
    """Global smoothness bound for softmax cross-entropy of one linear layer with bias.

    ``L <= ½ λ_max((1/N) Σ_i x̃_i x̃_iᵀ)`` with ``x̃ = [x; 1]``, valid for any number of
    classes, because the Hessian is ``(1/N) Σ (diag p - p pᵀ) ⊗ x̃ x̃ᵀ`` and
    ``λ_max(diag p - p pᵀ) <= ½``.  It bounds L2s^val and L2s^grad, for every s.

    Parameters
    ----------
    X : array_like, shape (N, d)

    Returns
    -------
    float
    """
    return 0.5 * float(np.linalg.eigvalsh(_second_moment(X))[-1])


def restricted_smoothness_bound(X: ArrayLike, s: int, form: str = "value") -> float:
    """Upper bound on L2s^val (``form="value"``) or L2s^grad (``form="gradient"``) from
    coordinate sets of size 2s (softmax cross-entropy).

    The Hessian restricted to a coordinate set T is bounded by ½ I ⊗ Σ̃ restricted to
    T, which is block diagonal by class, so for the **value form**
    ``L2s^val <= ½ max_{|J| = min(2s, d+1)} λ_max(Σ̃_JJ)`` over sets J of augmented features.
    For the **gradient form** the whole column block of the Hessian counts; since
    ‖H v‖ <= sqrt(λ_max(H)) sqrt(vᵀ H v), it is at most the geometric mean of the
    value-form bound and :func:`smoothness_bound`.

    Parameters
    ----------
    X : array_like, shape (N, d)
    s : int, >= 1
    form : {"value", "gradient"}

    Returns
    -------
    float
        Never larger than :func:`smoothness_bound`; equal to it once 2s >= d + 1.
    """
    M = _second_moment(X)
    m = M.shape[0]
    s = check_integer(s, "s", low=1)
    if form not in ("value", "gradient"):
        raise ValueError(f"form must be 'value' or 'gradient', got {form!r}")
    size = min(2 * s, m)
    check_combinations(
        m, size, "too many coordinate sets to enumerate", "use smoothness_bound(X) instead", limit=200_000
    )
    value = 0.5 * max(float(np.linalg.eigvalsh(M[np.ix_(J, J)])[-1]) for J in combinations(range(m), size))
    if form == "gradient":
        value = float(np.sqrt(value * smoothness_bound(X)))
    return value


class Quadratic:
    """``f(θ) = ½ θᵀ A θ - bᵀ θ``: a test function whose restricted constants are known exactly.

    Parameters
    ----------
    A : array_like, shape (n, n), symmetric positive semidefinite
    b : array_like, shape (n,), optional (default 0)

    Calling it with θ of shape (..., n) returns ``(loss, grad)`` of shapes (...) and (..., n).
    """

    def __init__(self, A: ArrayLike, b: ArrayLike | None = None):
        A = check_array(A, "A", finite=False, allow_empty=True)
        if A.ndim != 2 or A.shape[0] != A.shape[1] or A.size == 0:
            raise ValueError(f"A must be a symmetric square matrix of shape (n, n) with n >= 1, got shape {A.shape}")
        A = check_array(A, "A")
        if not np.allclose(A, A.T):
            raise ValueError("A must be a symmetric square matrix (A == A.T up to rounding); pass (A + A.T) / 2")
        if np.linalg.eigvalsh(A)[0] < -1e-12 * max(1.0, np.abs(A).max()):
            raise ValueError("A must be positive semidefinite")
        self.A = A
        self.n_params = A.shape[0]
        self.b = np.zeros(self.n_params) if b is None else check_array(b, "b", allow_empty=True)
        if self.b.shape != (self.n_params,):
            raise ValueError(f"b must have shape ({self.n_params},), got {self.b.shape}")

    def __call__(self, theta: ArrayLike):
        """``(loss, grad)`` of shapes (...) and (..., n)."""
        theta = check_theta(theta, self.n_params)
        A_theta = theta @ self.A  # once, for the gradient and the loss
        g = A_theta - self.b
        loss = 0.5 * np.einsum("...i,...i->...", theta, A_theta) - theta @ self.b
        return loss, g

    def restricted_constant(self, s: int, form: str = "gradient") -> float:
        """Exact restricted constant over all coordinate sets T of size min(2s, n).

        ``form="value"``: L2s^val = max_T λ_max(A_TT).  ``form="gradient"``: L2s^grad =
        max_T σ_max(A[:, T]) (every 2s-sparse d is a difference of two s-sparse points).
        """
        s = check_s(s, self.n_params)
        if form not in ("value", "gradient"):
            raise ValueError(f"form must be 'value' or 'gradient', got {form!r}")
        size = min(2 * s, self.n_params)
        check_combinations(self.n_params, size, "too many coordinate sets to enumerate", "use a smaller s or n")
        best = 0.0
        sets = combinations(range(self.n_params), size)
        # the sets T in batches: one stacked LAPACK call per batch instead of one per set
        # (the same routine on the same matrices, so the same numbers as a loop over T)
        while (batch := np.array(list(islice(sets, _SETS_PER_CALL)), dtype=np.intp).reshape(-1, size)).size:
            if form == "value":
                top = np.linalg.eigvalsh(self.A[batch[:, :, None], batch[:, None, :]])[:, -1]
            else:
                top = np.linalg.svd(self.A[:, batch].transpose(1, 0, 2), compute_uv=False)[:, 0]
            best = max(best, float(top.max()))
        return best
