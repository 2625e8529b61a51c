"""The softmax cross-entropy Hessian for many θ at once, without cancellation.

Must agree with :func:`ihtlib.hessian.cross_entropy_hessian` (the formula of chapter 3,
one θ, one sample at a time); ``tests/test_refit.py`` checks it on random θ.

Two differences from the literal version, both for speed or accuracy, not meaning:

* all B points share the per-sample products ``x̃_i x̃_iᵀ / N``, so the sum over the samples
  is one matrix product of shape (K·K·B, N) @ (N, (d+1)²);
* the diagonal entry ``p_k - p_k²`` is computed as ``p_k · Σ_{l≠k} p_l``: the same number,
  but without cancellation when ``p_k`` is close to 1, which is where the separable
  directions of IRIS put the minimisers of the exhaustive search.

:func:`restricted_hessian` computes only the block ``∇²_SS f`` of each point's own support,
for the batched Newton solver (:mod:`ihtlib.fast.newton`).
"""

from __future__ import annotations

import numpy as np

from ..model import SoftmaxLayer


def softmax_in_place(Z: np.ndarray, axis: int) -> np.ndarray:
    """:func:`ihtlib.model.softmax` computed in the memory of Z (overwritten) and returned.

    The same operations on the same numbers; only the two temporaries of the size of Z are
    saved, which in the Newton loop (Z of a few MB, hundreds of calls) costs page faults
    worth about half of the run time.
    """
    Z -= Z.max(axis=axis, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=axis, keepdims=True)
    return Z


def augmented(X: np.ndarray) -> np.ndarray:
    """``X̃ = [X | 1]``, shape (N, d+1): the inputs with a constant feature for the bias."""
    return np.hstack([X, np.ones((X.shape[0], 1))])


def augmented_weights(model: SoftmaxLayer, theta_rows: np.ndarray) -> np.ndarray:
    """``W̃ = [W | b]`` for θ of shape (B, n): shape (B, K, d+1)."""
    K, d = model.n_classes, model.n_features
    B = theta_rows.shape[0]
    W_aug = np.empty((B, K, d + 1))
    W_aug[:, :, :d] = theta_rows[:, : K * d].reshape(B, K, d)
    W_aug[:, :, d] = theta_rows[:, K * d :]
    return W_aug


def hessian_rows(model: SoftmaxLayer, X_aug: np.ndarray, theta_rows: np.ndarray) -> np.ndarray:
    """Cross-entropy Hessian (no ridge) at each row of θ (B, n): shape (B, n, n), θ layout.

    Agrees with :func:`ihtlib.hessian.cross_entropy_hessian` applied row by row.
    """
    K, d = model.n_classes, model.n_features
    B, N = theta_rows.shape[0], X_aug.shape[0]
    XX = (X_aug[:, :, None] * X_aug[:, None, :]).reshape(N, (d + 1) ** 2) / N  # x̃_i x̃_iᵀ / N
    Z = np.einsum("bkj,ij->kbi", augmented_weights(model, theta_rows), X_aug)  # logits, (K, B, N)
    P = softmax_in_place(Z, axis=0)
    A = -P[:, None] * P[None, :]  # (K, K, B, N): -p_k p_l, the diagonal set next
    for k in range(K):
        A[k, k] = P[k] * sum(P[m] for m in range(K) if m != k)  # p_k (1 - p_k), no cancellation
    H = (A.reshape(K * K * B, N) @ XX).reshape(K, K, B, d + 1, d + 1)
    H = H.transpose(2, 0, 3, 1, 4).reshape(B, K * (d + 1), K * (d + 1))  # class-major
    position = np.arange(K * (d + 1)).reshape(K, d + 1)  # class-major position of W̃[k, j]
    order = np.concatenate([position[:, :d].ravel(), position[:, d]])  # ... in θ layout
    return H[:, order][:, :, order]


def support_layout(model: SoftmaxLayer, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For supports ``idx`` (B, s): the class ``k_a`` and augmented feature ``j_a`` of each θ index
    ``S[a]`` (θ[S[a]] is the weight of x̃[j_a] into class k_a), and ``[k_a = k_c]`` as floats (B, s, s)."""
    K, d = model.n_classes, model.n_features
    cls = np.where(idx < K * d, idx // d, idx - K * d)
    feat = np.where(idx < K * d, idx % d, d)
    return cls, feat, (cls[:, :, None] == cls[:, None, :]).astype(np.float64)


def restricted_hessian(
    model: SoftmaxLayer, XaT: np.ndarray, theta_rows: np.ndarray, layout: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> np.ndarray:
    """The block ``∇²_SS f`` of each row's support S: shape (B, s, s).

    Agrees with ``cross_entropy_hessian(model, X, θ_b)[np.ix_(S_b, S_b)]`` for each row b:

    ``H_SS[a, c] = (1/N) Σ_i x̃_i[j_a] x̃_i[j_c] (δ(k_a, k_c) p_i[k_a] - p_i[k_a] p_i[k_c])``.

    With ``V[a, i] = x̃_i[j_a]`` and ``U[a, i] = p_i[k_a] V[a, i]`` this is
    ``(U Vᵀ) ⊙ [k_a = k_c] - U Uᵀ``: exact (no ``1 - p`` cancellation).

    Parameters
    ----------
    XaT : ndarray, shape (d+1, N)
        ``augmented(X).T``, contiguous.
    theta_rows : ndarray, shape (B, n)
    layout : the :func:`support_layout` of the rows' supports (sorted indices, shape (B, s))
    """
    cls, feat, same_class = layout
    K, d = model.n_classes, model.n_features
    B, N = theta_rows.shape[0], XaT.shape[1]
    W_aug = augmented_weights(model, theta_rows)
    P = softmax_in_place((W_aug.reshape(B * K, d + 1) @ XaT).reshape(B, K, N), axis=1)  # (B, K, N)
    V = XaT[feat]  # (B, s, N)
    U = P[np.arange(B)[:, None], cls] * V
    H = np.matmul(U, V.transpose(0, 2, 1))
    H *= same_class
    H -= np.matmul(U, U.transpose(0, 2, 1))
    H *= 1.0 / N
    return H
