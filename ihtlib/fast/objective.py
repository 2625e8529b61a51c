"""The tuned softmax cross-entropy: loss and gradient of a batch of B parameter vectors.

:class:`BatchedCrossEntropy` computes, for every row θ of a (B, n) array, what the
literal :func:`ihtlib.model.cross_entropy_loss_and_grad` computes for one θ: the mean
cross-entropy of chapter 1 and its gradient, in the θ layout of :mod:`ihtlib.model`.
``tests/test_fast_objective.py`` checks that the two agree on random inputs.
:meth:`ihtlib.SoftmaxLayer.objective` calls it; the validation, the ridge term and the
batch shapes are done there (:class:`ihtlib.model.Objective`).

How it is fast
--------------
With ``x~ = [x; 1]`` and ``W~ = [W | b]`` (shape (K, d+1)) the logits of all B rows come
from **one** matrix product ``W~ @ X~.T``, stored class-first as (K, B, N) so that sums over
the classes run over contiguous blocks, and the gradient from one more, ``P @ X~``.
Because ``y`` is fixed, the data term ``c = Y @ X~ / N`` (Y one-hot) is computed once: the
mean true-class logit is ``<θ, c>`` and the gradient is ``P @ X~ / N - c``, so neither
needs another pass over the (K, B, N) array.  The softmax is shifted by the largest logit
only when a cheap bound says ``exp`` could overflow or underflow
(:meth:`BatchedCrossEntropy._softmax_parts`); the result is the same log-sum-exp.  When the
loss is tiny next to the logits (nearly separated data) the difference of the two means
has lost its digits, and those rows are recomputed per sample without cancellation
(:meth:`BatchedCrossEntropy._accurate_loss`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["BatchedCrossEntropy"]

# exp(t) is a normal float64 with full precision for |t| < ~700; stay well inside.
_SAFE_LOGIT = 300.0
# mean(logsumexp) - mean(true logit) loses about eps * |logit| to cancellation; below this
# multiple of the logit bound the loss is recomputed per sample as log1p(Σ exp(z_k - z_max)).
_CANCELLATION_RATIO = 1e-6


class BatchedCrossEntropy:
    """Mean softmax cross-entropy and its gradient for B parameter vectors at once.

    Agrees row by row with :func:`ihtlib.model.cross_entropy_loss_and_grad` (tested in
    ``tests/test_fast_objective.py``), and stays accurate where the literal one cannot:
    huge logits (no overflow) and tiny losses (no cancellation).

    Parameters
    ----------
    X : ndarray, shape (N, d)
        Validated features (float64, finite).
    y : ndarray of int, shape (N,)
        Validated labels in 0 … K-1.
    n_classes : int
        K.

    Notes
    -----
    No input checks: :class:`ihtlib.model.SoftmaxObjective` validates and then calls this.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, n_classes: int):
        N, d = X.shape
        K = n_classes
        self.n_classes, self.n_features, self.n_params = K, d, K * d + K
        self.y = y
        self.Xa = np.ascontiguousarray(np.hstack([X, np.ones((N, 1))]))  # x~_i as rows, (N, d+1)
        self.XaT = np.ascontiguousarray(self.Xa.T)  # (d+1, N)
        self.Xa_over_N = self.Xa / N
        Y = np.zeros((K, N))
        Y[y, np.arange(N)] = 1.0
        C = Y @ self.Xa / N  # (K, d+1): the data term of the gradient
        self.c = np.concatenate([C[:, :d].ravel(), C[:, d]])  # the same in θ layout, (n,)
        self.c_W, self.c_b = self.c[: K * d].reshape(K, d), self.c[K * d :]  # its weight and bias parts
        # |logit_k| <= ||w~_k||_1 * x_max, and ||w~_k||_1 = (|θ| @ class_of)[k]
        self.x_max = float(np.abs(self.Xa).max())
        self.class_of = np.zeros((self.n_params, K))
        self.class_of[np.arange(K * d), np.repeat(np.arange(K), d)] = 1.0
        self.class_of[K * d + np.arange(K), np.arange(K)] = 1.0

    def __call__(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Losses of shape (B,) and gradients of shape (B, n) for ``thetas`` of shape (B, n), B >= 1.

        Non-finite results (absurd θ) are returned as they come; the caller refuses them.
        """
        K, d, n = self.n_classes, self.n_features, self.n_params
        Wa = self._augmented(thetas)
        logit_bound = (np.abs(thetas) @ self.class_of).max(axis=1, initial=0.0) * self.x_max  # (B,)
        E, S, lse = self._softmax_parts(Wa, logit_bound.max(initial=0.0) < _SAFE_LOGIT)
        _, B, N = E.shape
        # mean_i log Σ_k exp(z_ik)  -  mean_i z_(i, y_i);  the second term is <θ, c>.
        loss = lse.sum(axis=1) * (1.0 / N) - (thetas * self.c).sum(axis=1)  # rowwise: batch == single
        small = loss < _CANCELLATION_RATIO * logit_bound
        if small.any():  # nearly separated: the difference above has lost its digits
            loss[small] = self._accurate_loss(Wa[:, small])
        P = np.multiply(E, np.reciprocal(S, out=S), out=E)  # softmax, (K, B, N)
        Ga = (P.reshape(K * B, N) @ self.Xa_over_N).reshape(K, B, d + 1)
        grad = np.empty((B, n))  # P @ X~ / N - c, written straight into the θ layout
        np.subtract(Ga[:, :, :d].transpose(1, 0, 2), self.c_W, out=grad[:, : K * d].reshape(B, K, d))
        np.subtract(Ga[:, :, d].T, self.c_b, out=grad[:, K * d :])
        return loss, grad

    def _augmented(self, thetas: np.ndarray) -> np.ndarray:
        """(B, n) -> W~ of shape (K, B, d+1), the class axis first."""
        K, d = self.n_classes, self.n_features
        B = thetas.shape[0]
        Wa = np.empty((K, B, d + 1))
        Wa[:, :, :d] = thetas[:, : K * d].reshape(B, K, d).transpose(1, 0, 2)
        Wa[:, :, d] = thetas[:, K * d :].T
        return Wa

    def _softmax_parts(self, Wa: np.ndarray, safe: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exponentiated logits for W~ of shape (K, B, d+1).

        Returns ``E`` (K, B, N) = exp(Z - shift), ``S`` (B, N) = Σ_k E and
        ``lse`` (B, N) = log Σ_k exp(Z).  ``shift`` is 0 when ``safe`` (every |logit| is
        provably below 300, so exp can neither overflow nor lose precision, and a pass
        is saved) and the largest logit of each sample otherwise.
        """
        K, B, _ = Wa.shape
        Z = (Wa.reshape(K * B, -1) @ self.XaT).reshape(K, B, -1)
        shift = None
        if not safe:
            shift = Z.max(axis=0)
            with np.errstate(invalid="ignore"):  # inf - inf for absurd θ: the caller refuses the result
                Z -= shift
        E = np.exp(Z, out=Z)
        S = E[0] + E[1]
        for k in range(2, K):
            S += E[k]
        lse = np.log(S)
        if shift is not None:
            lse += shift
        return E, S, lse

    def _accurate_loss(self, Wa: np.ndarray) -> np.ndarray:
        """Mean cross-entropy of shape (B,) without cancellation, for W~ of shape (K, B, d+1).

        Per sample, log Σ_k exp(z_k) - z_y = m + log1p(Σ_{k ≠ k*} exp(D_k - m)) with
        D = z - z_y and m = D_{k*} = max_k D >= 0: every term is computed to full relative
        accuracy, so tiny losses of (nearly) separated data stay accurate and never negative.
        """
        K, B, _ = Wa.shape
        Z = (Wa.reshape(K * B, -1) @ self.XaT).reshape(K, B, -1)
        D = Z - np.take_along_axis(Z, np.broadcast_to(self.y, Z.shape[1:])[None], axis=0)
        top = D.argmax(axis=0)[None]
        m = np.take_along_axis(D, top, axis=0)[0]
        E = np.exp(D - m)
        np.put_along_axis(E, top, 0.0, axis=0)
        return (m + np.log1p(E.sum(axis=0))).mean(axis=1)
