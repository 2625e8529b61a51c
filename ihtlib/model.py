"""Model: one linear layer with bias, softmax, mean cross-entropy (chapter 1).

The formula
-----------
A sample x (d features) gets the logits z = W x + b (K classes), the class probabilities
p_k = exp(z_k) / Σ_l exp(z_l), and the training loss is the mean cross-entropy over the
N samples, f(θ) = 1/N Σ_i −log p_{y_i}(x_i; θ) (chapter 1, "The IRIS network and its
loss").  :func:`softmax` and :func:`cross_entropy_loss_and_grad` below are exactly that,
written out for one θ; read them next to the chapter.

Parameter layout
----------------
For ``d`` features and ``K`` classes the parameter vector has ``n = K*d + K`` entries,
counted from 0 like NumPy::

    theta = [W.ravel(), b]          # W has shape (K, d), row-major; b has shape (K,)
    theta[k*d + j] = W[k, j]        # weight from feature j to class k
    theta[K*d + k] = b[k]           # bias of class k

For IRIS (d = 4, K = 3) that is 12 weights followed by 3 biases: n = 15.

Batches, and the fast layer
---------------------------
:meth:`SoftmaxLayer.objective` returns ``fun(θ) -> (loss, grad)``, the object every
algorithm of the library calls.  It accepts ``theta`` of shape ``(..., n)``: leading axes
are independent parameter vectors (for example many random starts of IHT run at once);
losses then have shape ``(...)`` and gradients shape ``(..., n)``.  It computes the same
numbers as :func:`cross_entropy_loss_and_grad`, row by row, with the tuned batched kernel
:class:`ihtlib.fast.objective.BatchedCrossEntropy` (one matrix product for all rows, no
overflow for huge logits, no cancellation for tiny losses); ``tests/test_fast_objective.py``
checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .classifier import Classifier, Objective, feature_and_class_names
from .fast.objective import BatchedCrossEntropy
from .validation import check_array, check_integer, check_real, check_theta, check_X, check_Xy

__all__ = [
    "SoftmaxLayer",
    "SoftmaxObjective",
    "cross_entropy_loss_and_grad",
    "softmax",
    # re-exported: the base classes (ihtlib.classifier), the θ check
    "Classifier",
    "Objective",
    "check_theta",
]


def softmax(Z: ArrayLike, axis: int = -1) -> np.ndarray:
    """The softmax p_k = exp(z_k) / Σ_l exp(z_l) along ``axis``: the book's one softmax.

    Computed as exp(z_k - max_l z_l) / Σ_l exp(z_l - max_l z_l), the same value, so large
    logits cannot overflow.

    Parameters
    ----------
    Z : array_like, shape (..., K, ...)
        Logits; ``axis`` is the class axis.
    axis : int, default -1

    Returns
    -------
    ndarray, the shape of Z
        Probabilities: nonnegative, summing to 1 along ``axis``.
    """
    Z = np.asarray(Z, dtype=np.float64)
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def cross_entropy_loss_and_grad(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The loss f(θ) = 1/N Σ_i −log p_{y_i}(x_i; θ) of chapter 1 and its gradient, literally.

    The gradient of sample i's term with respect to row k of [W | b] is
    (p_ik − [y_i = k]) [x_i; 1] (chapter 3, proof of the Hessian formula); averaged over i.

    Parameters
    ----------
    theta : ndarray, shape (n,)
        One parameter vector θ = [W.ravel(), b], n = K*d + K (the layout above).
    X : ndarray, shape (N, d)
    y : ndarray of int, shape (N,)
        Class labels 0 … K-1.

    Returns
    -------
    loss : float
    grad : ndarray, shape (n,), in the layout of θ

    Notes
    -----
    The reader's version: no input checks, one θ, and −log p_y taken literally, so its
    relative error is about 1e-16 / f(θ) (a loss below 1e-16 comes out as 0) and the loss is
    infinite when some p_y underflows (logit gaps beyond about 700).
    :meth:`SoftmaxLayer.objective` computes the same numbers for batches of θ, with checks
    and without those limits.
    """
    N, d = X.shape
    K = theta.size // (d + 1)  # n = K*d + K
    W, b = theta[: K * d].reshape(K, d), theta[K * d :]
    Z = X @ W.T + b  # z_i = W x_i + b, one row per sample: (N, K)
    P = softmax(Z)  # p_ik = p_k(x_i; θ): (N, K)
    loss = np.mean(-np.log(P[np.arange(N), y]))  # 1/N Σ_i −log p_{y_i}(x_i; θ)
    R = (P - np.eye(K)[y]) / N  # ∂f/∂z_ik = (p_ik − [y_i = k]) / N: (N, K)
    grad_W, grad_b = R.T @ X, R.sum(axis=0)  # Σ_i r_i x_iᵀ (K, d) and Σ_i r_i (K,)
    return float(loss), np.concatenate([grad_W.ravel(), grad_b])


class SoftmaxObjective(Objective):
    """``fun(θ) -> (loss, grad)`` for a :class:`SoftmaxLayer` on fixed data.

    The mean cross-entropy of :func:`cross_entropy_loss_and_grad` (plus the optional ridge
    term ``ridge/2 * ||θ||²``) for θ of shape (..., n), computed for the whole batch by
    :class:`ihtlib.fast.objective.BatchedCrossEntropy`.  ``X`` and ``y`` are checked once,
    here.

    Attributes
    ----------
    model : SoftmaxLayer
    ridge : float
    n_samples : int
        N.
    """

    def __init__(self, model: SoftmaxLayer, X: ArrayLike, y: ArrayLike, ridge: float = 0.0):
        X, y = check_Xy(X, y, model.n_classes)
        if X.shape[1] != model.n_features:
            raise ValueError(f"X must have {model.n_features} columns (n_features), got {X.shape[1]}")
        self.model, self.ridge, self.n_samples = model, check_real(ridge, "ridge", low=0.0), X.shape[0]
        self._batched = BatchedCrossEntropy(X, y, model.n_classes)

    def _rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._batched(rows)


class SoftmaxLayer(Classifier):
    """A single linear layer with bias followed by softmax, trained with mean cross-entropy.

    Parameters
    ----------
    n_features : int
        Number of inputs d (4 for IRIS).
    n_classes : int
        Number of classes K (3 for IRIS), at least 2.

    Attributes
    ----------
    n_params : int
        ``n_classes * n_features + n_classes``; the layout of θ is in the module docstring.

    Examples
    --------
    >>> model = SoftmaxLayer(4, 3)
    >>> model.n_params
    15
    """

    objective_class = SoftmaxObjective

    def __init__(self, n_features: int, n_classes: int):
        for name, value, low in (("n_features", n_features, 1), ("n_classes", n_classes, 2)):
            try:
                check_integer(value, name, low=low)
            except ValueError:
                raise ValueError(f"{name} must be >= {low}, got {value}") from None
        self.n_features = int(n_features)
        self.n_classes = int(n_classes)
        self.n_params = self.n_classes * self.n_features + self.n_classes

    def __repr__(self) -> str:
        return f"SoftmaxLayer(n_features={self.n_features}, n_classes={self.n_classes})"

    # ----------------------------------------------------------------- layout
    def unpack(self, theta: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Split θ of shape (..., n) into ``W`` of shape (..., K, d) and ``b`` of shape (..., K)."""
        theta = check_theta(theta, self.n_params)
        K, d = self.n_classes, self.n_features
        return theta[..., : K * d].reshape(theta.shape[:-1] + (K, d)), theta[..., K * d :]

    def pack(self, W: ArrayLike, b: ArrayLike) -> np.ndarray:
        """Inverse of :meth:`unpack`: θ of shape (..., n) from W (..., K, d) and b (..., K)."""
        W = check_array(W, "W", allow_empty=True)
        b = check_array(b, "b", allow_empty=True)
        K, d = self.n_classes, self.n_features
        if W.shape[-2:] != (K, d) or b.shape[-1:] != (K,) or W.shape[:-2] != b.shape[:-1]:
            raise ValueError(f"W must have shape (..., {K}, {d}) and b shape (..., {K}); got {W.shape}, {b.shape}")
        return np.concatenate([W.reshape(W.shape[:-2] + (K * d,)), b], axis=-1)

    def param_names(
        self, feature_names: Sequence[str] | None = None, class_names: Sequence[str] | None = None
    ) -> list[str]:
        """Readable names of the n parameters in θ order.

        Returns
        -------
        list of str, length n
            ``"W[class, feature]"`` for the weights (row-major), then ``"b[class]"``.
        """
        K, d = self.n_classes, self.n_features
        feature_names, class_names = feature_and_class_names(feature_names, class_names, d, K)
        return [f"W[{c}, {f}]" for c in class_names for f in feature_names] + [f"b[{c}]" for c in class_names]

    # ---------------------------------------------------------- predictions
    def logits(self, theta: ArrayLike, X: ArrayLike) -> np.ndarray:
        """Logits, shape (..., N, K)."""
        W, b = self.unpack(theta)
        X = check_X(X)
        if X.shape[1] != self.n_features:
            raise ValueError(f"X must have {self.n_features} columns, got {X.shape[1]}")
        return np.einsum("nd,...kd->...nk", X, W) + b[..., None, :]
