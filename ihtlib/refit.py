"""The refit: minimise the training objective exactly on a fixed support (chapters 8 and 9).

On a support S the restricted problem

    minimise  F(θ) = f(θ) + (ridge/2) ‖θ‖²   subject to  supp(θ) ⊆ S

is smooth and, for ``ridge > 0``, strictly convex (f, the mean softmax cross-entropy, is
convex), so it has exactly one minimiser, and Newton's method finds it to machine accuracy.
Why a ridge?  On IRIS the class setosa is linearly separable, so on many supports the
cross-entropy alone has no minimiser (its infimum is approached as ‖θ‖ → ∞).  A tiny ridge
(default 1e-8) restores a unique minimiser without changing the loss noticeably.

:func:`refit` is Newton's method on one support, line by line.  :func:`minimize_on_supports`
solves a batch of supports at once (the exhaustive search, the baselines, HTP) with the same
method plus the speed-ups of :mod:`ihtlib.fast.newton`; a test checks that both agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .fast.newton import ARMIJO, FULL_STEP, MAX_HALVINGS, solve_supports
from .hessian import check_softmax_layer, softmax_hessian
from .model import SoftmaxLayer
from .validation import check_array, check_budget, check_integer, check_tol, check_X

__all__ = ["refit", "RestrictedFit", "minimize_on_supports", "supports_to_mask"]


def refit(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    support: ArrayLike | Sequence[int],
    ridge: float = 1e-8,
    tol: float = 1e-20,
    max_iter: int = 200,
) -> np.ndarray:
    """The refit of chapters 8 and 9: the minimiser of ``F = f + ridge/2 ‖θ‖²`` over ``supp θ ⊆ S``.

    Newton's method on S, from θ = 0: the Newton step solves ``∇²_SS F(θ) Δ_S = -∇_S F(θ)``; the step length t is
    halved until ``F(θ + tΔ) <= F(θ) + 1e-4 · t · ⟨∇F(θ), Δ⟩`` (Armijo), except close to the
    optimum where the full step is taken (there the decrease is below the rounding of F).  It
    stops when the Newton decrement ``½ ⟨∇F(θ), -Δ⟩ ≈ F(θ) - min F`` is at most ``tol``.

    Parameters
    ----------
    model : SoftmaxLayer
    X, y : training data, shapes (N, d) and (N,)
    support : sequence of int, or boolean mask of shape (n,)
        The indices S allowed to be nonzero.
    ridge : float, default 1e-8
    tol : float, default 1e-20
    max_iter : int, default 200

    Returns
    -------
    ndarray, shape (n,)
        The refitted θ, zero off S (the last iterate if ``max_iter`` is reached first).

    See Also
    --------
    minimize_on_supports : the same for many supports at once, with convergence flags.
    """
    check_softmax_layer(model)
    mask = supports_to_mask(support, model.n_params)
    if mask.shape[0] > 1:
        raise ValueError(f"support must be one support, got {mask.shape[0]}; use minimize_on_supports for several")
    S = np.flatnonzero(mask.any(axis=0))  # () is the empty support
    fun = model.objective(X, y, ridge=ridge)
    tol, max_iter = check_tol(tol), check_integer(max_iter, "max_iter", low=1)
    theta = np.zeros(model.n_params)
    for _ in range(max_iter):
        F, grad = fun(theta)
        hessian_SS = softmax_hessian(model, X, theta, ridge)[np.ix_(S, S)]
        delta = np.zeros_like(theta)
        delta[S] = np.linalg.lstsq(hessian_SS, -grad[S], rcond=None)[0]  # the Newton step on S
        decrement = -0.5 * grad @ delta
        if decrement <= tol:
            break
        for t in 0.5 ** np.arange(MAX_HALVINGS):  # t = 1, 1/2, 1/4, ...
            if decrement <= FULL_STEP or fun(theta + t * delta)[0] <= F + ARMIJO * t * (grad @ delta):
                break
        theta = theta + t * delta
    return theta


def supports_to_mask(supports: ArrayLike | Sequence, n: int) -> np.ndarray:
    """Supports as a boolean mask of shape (B, n).

    Parameters
    ----------
    supports : boolean array of shape (B, n) or (n,), or a sequence of index tuples
        (supports of different sizes may be mixed), or one tuple of indices.
    n : int

    Returns
    -------
    ndarray of bool, shape (B, n)
    """
    if isinstance(supports, (str, bytes)) or not isinstance(supports, (Sequence, np.ndarray)):
        raise TypeError(f"supports must be a boolean mask (B, {n}) or a sequence of index tuples, got {supports!r:.60}")
    if isinstance(supports, np.ndarray) and supports.dtype == bool:
        mask = np.atleast_2d(supports)
        if mask.shape[-1] != n or mask.ndim != 2:
            raise ValueError(f"a support mask must have shape (B, {n}), got {supports.shape}")
        return mask.copy()
    supports = list(supports)
    if supports and np.ndim(supports[0]) == 0:  # one support given as a flat tuple of indices
        supports = [supports]
    mask = np.zeros((len(supports), n), dtype=bool)
    for b, S in enumerate(supports):
        raw = np.asarray(S)
        if raw.size and raw.dtype.kind not in "iu":
            raise TypeError(f"support {S!r:.60} must hold integer indices in 0 … {n - 1}, got dtype {raw.dtype}")
        idx = raw.astype(np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"support {tuple(S)} has indices outside 0 … {n - 1}")
        mask[b, idx] = True
    return mask


@dataclass
class RestrictedFit:
    """What :func:`minimize_on_supports` returns: one entry per support.

    Attributes
    ----------
    theta : ndarray, shape (B, n)
        The minimiser of ``F = f + ridge/2 ‖θ‖²`` with ``supp(θ) ⊆ S_b`` (zero off S_b).
    objective : ndarray, shape (B,)
        ``F(θ_b)``.
    loss : ndarray, shape (B,)
        The cross-entropy part ``f(θ_b)``.
    grad_norm : ndarray, shape (B,)
        ‖∇_S F(θ_b)‖_∞, the first-order residual on the support.
    decrement : ndarray, shape (B,)
        Last Newton decrement ``½ g_Sᵀ H_SS⁻¹ g_S`` (≈ F(θ_b) - F*_b); for a problem that met
        ``tol`` it may instead be the upper bound ``½ ‖g_S‖² / ridge`` on it (ridge > 0),
        which certified convergence without the Hessian.
    n_iter : ndarray of int, shape (B,)
        Newton steps taken.
    converged : ndarray of bool, shape (B,)
        ``decrement <= tol``.
    ridge : float
    """

    theta: np.ndarray
    objective: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    decrement: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    ridge: float


def minimize_on_supports(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    supports: ArrayLike | Sequence,
    ridge: float = 1e-8,
    theta0: ArrayLike | None = None,
    tol: float = 1e-20,
    max_iter: int = 200,
    n_jobs: int = 2,
) -> RestrictedFit:
    """:func:`refit` for a batch of supports: minimise ``f(θ) + ridge/2 ‖θ‖²`` over ``supp(θ) ⊆ S``.

    Every support is its own problem; they are solved together by :mod:`ihtlib.fast.newton`.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    supports : boolean mask (B, n), or a sequence of index tuples (sizes may differ)
    ridge : float, default 1e-8
        Must be > 0 unless every restricted problem has a minimiser.
    theta0 : array_like, shape (B, n), optional
        Starting points (entries off the support are ignored); default θ = 0.
    tol : float, default 1e-20
        Stop a problem when its Newton decrement ``½ g_Sᵀ H_SS⁻¹ g_S`` is at most ``tol``.
    max_iter : int, default 200
        Newton steps per problem.
    n_jobs : int, default 2
        Blocks of problems run on this many threads (BLAS single-threaded); the result
        does not depend on it.

    Returns
    -------
    RestrictedFit
    """
    check_softmax_layer(model)
    n = model.n_params
    fun = model.objective(X, y, ridge=ridge)
    mask = supports_to_mask(supports, n)
    B = mask.shape[0]
    if B == 0:
        raise ValueError("supports is empty; pass at least one support (a tuple of indices or a mask row)")
    check_budget(B * n, f"{B} supports of {n} parameters", "pass fewer supports at once")
    if theta0 is None:
        theta = np.zeros((B, n))
    else:
        theta0 = check_array(theta0, "theta0", ndim=(1, 2))
        if theta0.shape[-1] != n or (theta0.ndim == 2 and theta0.shape[0] not in (1, B)):
            raise ValueError(f"theta0 must have shape ({n},) or ({B}, {n}) (one row per support), got {theta0.shape}")
        theta = np.array(np.broadcast_to(theta0, (B, n)))
        theta[~mask] = 0.0
    max_iter = check_integer(max_iter, "max_iter", low=1)
    tol = check_tol(tol)
    n_jobs = check_integer(n_jobs, "n_jobs", low=1)
    theta, F, G, decrement, n_iter = solve_supports(fun, model, check_X(X), mask, theta, tol, max_iter, n_jobs)
    loss = np.asarray(model.objective(X, y)(theta)[0], dtype=np.float64).reshape(B)
    grad_norm = np.abs(np.where(mask, G, 0.0)).max(axis=1, initial=0.0)
    return RestrictedFit(theta, F, loss, grad_norm, decrement, n_iter, decrement <= tol, fun.ridge)
