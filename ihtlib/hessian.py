"""The Hessian of the softmax cross-entropy (chapter 3), in the θ layout of :mod:`ihtlib.model`.

With ``x̃_i = [x_i; 1]`` and ``p_i`` the softmax probabilities of sample i,

    ∇²f(θ) = (1/N) Σ_i (diag p_i - p_i p_iᵀ) ⊗ x̃_i x̃_iᵀ

in class-major order (the weights and the bias of class 0, then of class 1, ...).  It does
not depend on the labels.  :func:`cross_entropy_hessian` is this formula, line by line, for
one θ; :func:`softmax_hessian` is the function the chapters call: the same numbers for a batch
of θ, with an optional ridge, computed by :func:`ihtlib.fast.hessian.hessian_rows`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .fast.hessian import augmented, hessian_rows
from .model import SoftmaxLayer
from .validation import check_budget, check_real, check_theta, check_X

__all__ = ["cross_entropy_hessian", "softmax_hessian", "check_softmax_layer"]


def cross_entropy_hessian(model: SoftmaxLayer, X: ArrayLike, theta: ArrayLike) -> np.ndarray:
    """The Hessian of chapter 3, literally: ``(1/N) Σ_i (diag p_i - p_i p_iᵀ) ⊗ x̃_i x̃_iᵀ``.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    theta : array_like, shape (n,)

    Returns
    -------
    ndarray, shape (n, n)
        In the θ layout (``θ[k*d + j] = W[k, j]``, ``θ[K*d + k] = b[k]``).
    """
    check_softmax_layer(model)
    X, theta = check_X(X), check_theta(theta, model.n_params)
    if theta.ndim != 1:
        raise ValueError(f"theta must be one parameter vector of shape ({model.n_params},), got {theta.shape}")
    N, K = X.shape[0], model.n_classes
    X_tilde = np.hstack([X, np.ones((N, 1))])  # x̃_i = [x_i; 1]
    P = model.predict_proba(theta, X)  # p_i, shape (N, K)
    H = sum(np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x)) for p, x in zip(P, X_tilde, strict=True)) / N
    position = np.arange(H.shape[0]).reshape(K, -1)  # class-major position of W̃[k, j], W̃ = [W | b]
    order = model.pack(position[:, :-1], position[:, -1]).astype(int)  # ... laid out like θ
    return H[np.ix_(order, order)]


def softmax_hessian(model: SoftmaxLayer, X: ArrayLike, theta: ArrayLike, ridge: float = 0.0) -> np.ndarray:
    """Hessian of the mean softmax cross-entropy (plus ``ridge/2 ‖θ‖²``) of a :class:`SoftmaxLayer`.

    The numbers of :func:`cross_entropy_hessian` (plus ``ridge * I``), for a batch of θ.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    theta : array_like, shape (..., n)
    ridge : float, default 0
        Adds ``ridge * I``.

    Returns
    -------
    ndarray, shape (..., n, n)
        Symmetric positive semidefinite (positive definite for ``ridge > 0``).
    """
    check_softmax_layer(model)
    X = check_X(X)
    K, d, n = model.n_classes, model.n_features, model.n_params
    if X.shape[1] != d:
        raise ValueError(f"X must have {d} columns (n_features), got {X.shape[1]}")
    theta = check_theta(theta, n)
    ridge = check_real(ridge, "ridge", low=0.0)
    theta_rows = theta.reshape(-1, n)
    B, N = theta_rows.shape[0], X.shape[0]
    check_budget(max(B * n * n, K * K * B * N), f"the Hessians of {B} points", "pass fewer points at once")
    H = hessian_rows(model, augmented(X), theta_rows)
    if ridge:
        H += ridge * np.eye(n)
    return H.reshape(theta.shape[:-1] + (n, n))


def check_softmax_layer(model: object) -> None:
    """Refuse anything but a :class:`SoftmaxLayer` (the Hessian above is this model's)."""
    if not isinstance(model, SoftmaxLayer):
        raise TypeError(
            f"model must be a SoftmaxLayer (the exact Newton solver uses its Hessian), got {type(model).__name__}"
        )
