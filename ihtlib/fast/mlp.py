"""The MLP's batched forward and backward pass: B networks at once, unit-first (B, units, N).

Must agree with: :func:`ihtlib.mlp.mlp_loss_and_grad`, the literal backpropagation of one
network, sample-first like the chapter's formulas.  Agreement test:
``tests/test_mlp.py::test_batched_objective_agrees_with_the_literal_backpropagation``.

How it is fast: activations are stored unit-first, ``(B, units, N)``.  The first layer of all B
networks is **one** matrix product ``(B·h_1, d) @ (d, N)`` with the shared data; every later
layer is one stacked product ``np.matmul`` over the B networks; the backward pass mirrors it
and works in place where it can, the softmax included (the in-place form of
:func:`ihtlib.model.softmax`, which the literal function uses: about 5 % of a call at B = 20).
A large batch goes through in chunks of a few networks whose activations stay in cache
(:data:`CHUNK_BYTES`): the Monte Carlo estimate of chapter 10 evaluates 200 networks at once,
at 0.8 ms per network in one piece and 0.5 ms in chunks of 5.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..classifier import Objective
from ..validation import check_real, check_Xy

__all__ = ["MLPObjective", "forward"]

#: Bytes of one layer's activations per chunk of networks in :meth:`MLPObjective._rows`.
CHUNK_BYTES = 2**21


def _activate(Z: np.ndarray, activation: str) -> np.ndarray:
    """σ(Z) in place."""
    if activation == "tanh":
        return np.tanh(Z, out=Z)
    return np.maximum(Z, 0.0, out=Z)


def _activation_slope(A: np.ndarray, activation: str) -> np.ndarray:
    """σ'(z) from the activation a = σ(z): 1 - a² for tanh, [a > 0] for relu."""
    if activation == "tanh":
        out = np.multiply(A, A)
        return np.subtract(1.0, out, out=out)
    return (A > 0).astype(np.float64)


def forward(model: object, theta_rows: np.ndarray, X: np.ndarray, XT: np.ndarray | None = None) -> list[np.ndarray]:
    """Activations ``[a_1, …, a_{L-1}, z_L]`` of an :class:`ihtlib.MLP` for θ of shape (B, n), each (B, units, N)."""
    B, N = theta_rows.shape[0], X.shape[0]
    XT = np.ascontiguousarray(X.T) if XT is None else XT
    out = []
    A = None
    for li, ((w, b), fi, fo) in enumerate(zip(model.layer_slices(), model.sizes[:-1], model.sizes[1:], strict=True)):
        W = theta_rows[:, w].reshape(B, fo, fi)
        if li == 0:  # one product for all B networks: (B·fo, d) @ (d, N)
            Z = (W.reshape(B * fo, fi) @ XT).reshape(B, fo, N)
        else:
            Z = np.matmul(W, A)
        Z += theta_rows[:, b][:, :, None]
        if li < model.n_layers - 1:
            A = _activate(Z, model.activation)
            out.append(A)
        else:
            out.append(Z)
    return out


class MLPObjective(Objective):
    """``fun(θ) -> (loss, grad)`` for an :class:`ihtlib.MLP` on fixed data, batched.

    Call it with θ of shape (..., n); it returns the mean cross-entropy (plus the optional
    ridge term) of shape (...) and its gradient of shape (..., n), by backpropagation.
    ``.loss(θ)`` and ``.grad(θ)`` return one of the two.  :class:`ihtlib.classifier.Objective`
    checks θ, adds the ridge term, refuses non-finite results and restores the batch shape;
    this class computes the plain loss and gradient of a (B, n) batch in :meth:`_rows`.
    """

    def __init__(self, model: object, X: ArrayLike, y: ArrayLike, ridge: float = 0.0):
        X, y = check_Xy(X, y, model.n_classes, model.n_features)
        ridge = check_real(ridge, "ridge", low=0.0)
        N = X.shape[0]
        self.model, self.ridge, self.n_samples = model, ridge, N
        self.X = np.ascontiguousarray(X)
        self.XT = np.ascontiguousarray(X.T)
        self.y = y
        self.Y = np.zeros((model.n_classes, N))
        self.Y[y, np.arange(N)] = 1.0

    def _rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Loss (B,) and gradient (B, n) without the ridge term, for checked ``rows`` (B, n), B >= 1.

        The networks go through in chunks whose activations fit in about :data:`CHUNK_BYTES`
        (digits, 32 hidden units: 5 networks): a batch of 200 networks at once spends 0.8 ms
        per network, in chunks 0.5 ms (the activations of 200 networks, 74 MB each layer,
        come from memory instead of cache).  The same arithmetic per network; the products
        over the chunk's rows may round differently (gradients within 1e-16).
        """
        theta_rows = np.ascontiguousarray(rows)
        chunk = max(1, CHUNK_BYTES // (8 * max(self.model.sizes[1:]) * self.n_samples))
        if theta_rows.shape[0] <= chunk:
            return self._rows_block(theta_rows)
        parts = [self._rows_block(theta_rows[i : i + chunk]) for i in range(0, theta_rows.shape[0], chunk)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _rows_block(self, theta_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_rows` for one chunk of contiguous rows (B, n)."""
        model = self.model
        n = model.n_params
        B, N = theta_rows.shape[0], self.n_samples
        acts = forward(model, theta_rows, self.X, self.XT)
        Z = acts[-1]  # (B, K, N) logits
        # ihtlib.model.softmax computed in place (Z is not needed again): shift by the largest
        # logit of each sample, exponentiate, normalise; the loss is log Σ_k exp − the true logit
        Z -= Z.max(axis=1, keepdims=True)
        shifted_true = np.einsum("bkn,kn->b", Z, self.Y)  # Σ_i (z_iy_i − max_k z_ik)
        E = np.exp(Z, out=Z)
        S = E.sum(axis=1, keepdims=True)  # (B, 1, N), >= 1
        loss = (np.log(S).sum(axis=(1, 2)) - shifted_true) / N
        P = np.divide(E, S, out=E)  # (B, K, N)
        delta = np.multiply(np.subtract(P, self.Y, out=P), 1.0 / N, out=P)  # ∂loss/∂z_L = (P − Y)/N
        grad = np.empty((B, n))
        for li in range(model.n_layers - 1, -1, -1):
            w, b = model.layer_slices()[li]
            fi, fo = model.sizes[li], model.sizes[li + 1]
            grad[:, b] = delta.sum(axis=2)
            if li == 0:  # one product for all B networks: (B·fo, N) @ (N, d)
                grad[:, w] = (delta.reshape(B * fo, N) @ self.X).reshape(B, fo * fi)
            else:
                A = acts[li - 1]  # (B, fi, N)
                grad[:, w] = np.matmul(delta, A.transpose(0, 2, 1)).reshape(B, fo * fi)
                W = theta_rows[:, w].reshape(B, fo, fi)
                delta = np.matmul(W.transpose(0, 2, 1), delta)
                delta *= _activation_slope(A, model.activation)
        return loss, grad
