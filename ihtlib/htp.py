"""Hard thresholding pursuit (Foucart 2011), the IHT variant of chapter 8 that ends every step with a refit.

    S^{k+1} = supp H_s(θ^k - γ ∇F(θ^k)),    θ^{k+1} = argmin { F(θ) : supp θ ⊆ S^{k+1} },

stopping when the support repeats.  ``F = f + ridge/2 ‖θ‖²``; the IHT step uses
:func:`ihtlib.hard_threshold` (the same tie rule as IHT), the argmin is the refit of
:mod:`ihtlib.refit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .hessian import check_softmax_layer
from .model import SoftmaxLayer
from .refit import minimize_on_supports
from .thresholding import hard_threshold
from .validation import check_array, check_integer, check_s, check_step

__all__ = ["HTPResult", "htp"]


@dataclass
class HTPResult:
    """What :func:`htp` returns, one entry per start.

    Attributes
    ----------
    theta : ndarray, shape (B, n)
        Final point: the exact minimiser of the objective on the final support.
    objective, loss : ndarray, shape (B,)
    n_iter : ndarray of int, shape (B,)
        HTP iterations until the support repeated (or the budget).
    converged : ndarray of bool, shape (B,)
        The support chosen by the last IHT step equals the previous one (HTP's stopping rule).
    objectives : ndarray, shape (B, T+1)
        Objective after each iteration (row-wise padded with the last value); column 0 is the start.
    """

    theta: np.ndarray
    objective: np.ndarray
    loss: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    objectives: np.ndarray


def htp(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    theta0: ArrayLike,
    s: int,
    step: float,
    ridge: float = 1e-8,
    max_iter: int = 100,
) -> HTPResult:
    """Hard thresholding pursuit: IHT's support choice followed by an exact refit.

    ``S^{k+1} = supp H_s(θ^k - γ ∇F(θ^k))``,  ``θ^{k+1} = argmin {F(θ) : supp θ ⊆ S^{k+1}}``,
    stopping when ``S^{k+1} = S^k`` (Foucart 2011).  ``F = f + ridge/2 ‖θ‖²``.  Uses
    :func:`ihtlib.hard_threshold` (same tie rule as IHT) and :func:`minimize_on_supports`.

    Parameters
    ----------
    model : SoftmaxLayer
    X, y : training data
    theta0 : array_like, shape (n,) or (B, n)
        Starts with at most s nonzeros (for example from ``random_sparse_init``).
    s : int
    step : float
        γ of the IHT step, for example ``1 / L̂2s``.
    ridge : float
    max_iter : int, default 100

    Returns
    -------
    HTPResult
    """
    check_softmax_layer(model)
    n = model.n_params
    s = check_s(s, n)
    gamma = float(check_step(step))
    theta = np.atleast_2d(np.array(check_array(theta0, "theta0", allow_empty=True)))
    if theta.shape[-1] != n or theta.ndim != 2 or theta.shape[0] == 0:
        raise ValueError(f"theta0 must have shape (n,) or (B, n) with n = {n} and B >= 1, got {np.shape(theta0)}")
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta0 contains NaN or infinite values; all entries must be finite")
    if np.any(np.count_nonzero(theta, axis=-1) > s):
        raise ValueError(
            f"theta0 has more than s = {s} nonzeros; pass hard_threshold(theta0, s) or random_sparse_init(n, s)"
        )
    max_iter = check_integer(max_iter, "max_iter", low=1)
    fun = model.objective(X, y, ridge=ridge)
    B = theta.shape[0]
    F, g = fun(theta)
    F = np.array(F, dtype=np.float64).reshape(B)
    history = [F.copy()]
    support = np.zeros_like(theta, dtype=bool)  # no support chosen yet: the first step always refits
    n_iter = np.zeros(B, dtype=int)
    converged = np.zeros(B, dtype=bool)
    for _ in range(max_iter):
        moving = np.flatnonzero(~converged)
        new_support = hard_threshold(theta[moving] - gamma * g[moving], s) != 0  # S^{k+1}
        repeated = (new_support == support[moving]).all(axis=1)
        converged[moving[repeated]] = True
        moving, new_support = moving[~repeated], new_support[~repeated]
        if moving.size:  # θ^{k+1}: the refit on S^{k+1}, warm-started at θ^k
            fit = minimize_on_supports(model, X, y, new_support, ridge=ridge, theta0=theta[moving])
            theta[moving], support[moving] = fit.theta, new_support
            F[moving], g[moving] = fun(theta[moving])
            n_iter[moving] += 1
        history.append(F.copy())
        if converged.all():
            break
    loss = np.asarray(model.objective(X, y)(theta)[0], dtype=np.float64).reshape(B)
    return HTPResult(theta, F, loss, n_iter, converged, np.stack(history, axis=1))
