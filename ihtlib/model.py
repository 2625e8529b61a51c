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

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .fast.objective import BatchedCrossEntropy
from .validation import check_array, check_integer, check_real, check_theta, check_X, check_Xy

__all__ = [
    "Classifier",
    "Objective",
    "SoftmaxLayer",
    "SoftmaxObjective",
    "cross_entropy_loss_and_grad",
    "softmax",
    "check_theta",  # re-exported
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
    The reader's version: no input checks, one θ, and −log p_y is taken literally, so it
    loses accuracy when the loss is below about 1e-15 and overflows when p_y underflows
    (logit gaps beyond about 700).  :meth:`SoftmaxLayer.objective` computes the same
    numbers for batches, checked and without those limits.
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


class Classifier(ABC):
    """What every model of the book offers once it has ``objective`` and ``logits``.

    :class:`SoftmaxLayer` and :class:`ihtlib.MLP` derive from it: they define
    ``n_classes``, :meth:`objective` and :meth:`logits`, and inherit ``loss``, ``grad``,
    ``loss_and_grad``, ``predict_proba``, ``predict`` and ``accuracy``, the same for both,
    for θ of shape (..., n).
    """

    n_classes: int

    @abstractmethod
    def objective(self, X: ArrayLike, y: ArrayLike, ridge: float = 0.0) -> Objective:
        """The training loss on fixed data as ``fun(θ) -> (loss, grad)``."""

    @abstractmethod
    def logits(self, theta: ArrayLike, X: ArrayLike) -> np.ndarray:
        """Logits, shape (..., N, K)."""

    def loss(self, theta: ArrayLike, X: ArrayLike, y: ArrayLike) -> np.ndarray | float:
        """Mean cross-entropy, shape (...) for θ of shape (..., n)."""
        return self.objective(X, y).loss(theta)

    def grad(self, theta: ArrayLike, X: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Gradient of the mean cross-entropy, shape (..., n)."""
        return self.objective(X, y)(theta)[1]

    def loss_and_grad(self, theta: ArrayLike, X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray | float, np.ndarray]:
        """``(loss, grad)`` with shapes (...) and (..., n)."""
        return self.objective(X, y)(theta)

    def _finite_logits(self, theta: ArrayLike, X: ArrayLike) -> np.ndarray:
        """Logits, or FloatingPointError (as the objective raises) when they overflow."""
        with np.errstate(all="ignore"):
            Z = self.logits(theta, X)
        if not np.all(np.isfinite(Z)):
            raise FloatingPointError(
                "the logits are not finite: |θ| or |X| is too large for float64; "
                "use smaller parameters (a smaller step or start) or rescale X"
            )
        return Z

    def predict_proba(self, theta: ArrayLike, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (..., N, K).

        Raises
        ------
        FloatingPointError
            The logits overflow float64 (the objective raises the same).
        """
        return softmax(self._finite_logits(theta, X), axis=-1)

    def predict(self, theta: ArrayLike, X: ArrayLike) -> np.ndarray:
        """Predicted class (argmax of the logits; ties go to the lower class), shape (..., N)."""
        return np.argmax(self._finite_logits(theta, X), axis=-1)

    def accuracy(self, theta: ArrayLike, X: ArrayLike, y: ArrayLike) -> np.ndarray | float:
        """Fraction of correctly classified samples, shape (...)."""
        X, y = check_Xy(X, y, self.n_classes)
        fraction = np.mean(self.predict(theta, X) == y, axis=-1)
        return float(fraction) if np.ndim(fraction) == 0 else fraction


class Objective:
    """A training loss on fixed data, called as ``fun(θ) -> (loss, grad)``.

    Call it with θ of shape (..., n): it returns the loss of shape (...) (a float for one θ)
    and the gradient of shape (..., n); ``.loss(θ)`` and ``.grad(θ)`` return one of the two.
    A subclass sets ``model`` (with ``n_params``) and ``ridge`` and computes the plain loss of
    a (B, n) batch in :meth:`_rows`; this class checks θ, adds ``ridge/2 * ||θ||²``, refuses
    non-finite results (``FloatingPointError``) and restores θ's batch shape.
    """

    model: Classifier
    ridge: float

    def __call__(self, theta: ArrayLike) -> tuple[np.ndarray | float, np.ndarray]:
        """Loss of shape (...) and gradient of shape (..., n) at θ of shape (..., n)."""
        n = self.model.n_params
        theta = check_theta(theta, n)
        if theta.size == 0:  # an empty batch: nothing to compute
            return np.zeros(theta.shape[:-1]), np.zeros(theta.shape)
        rows = theta.reshape(-1, n)
        with np.errstate(over="ignore", invalid="ignore"):  # absurd θ: FloatingPointError in _finish
            loss, grad = self._rows(rows)
            return self._finish(theta, rows, loss, grad)

    def _rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Loss (B,) and gradient (B, n) without the ridge term, for checked ``rows`` (B, n), B >= 1."""
        raise NotImplementedError

    def _finish(self, theta: np.ndarray, rows: np.ndarray, loss: np.ndarray, grad: np.ndarray):
        """Add the ridge term, refuse non-finite results, restore θ's batch shape."""
        if self.ridge:
            loss = loss + 0.5 * self.ridge * np.einsum("bi,bi->b", rows, rows)
            grad += self.ridge * rows
        if not (np.isfinite(loss).all() and np.isfinite(grad).all()):
            raise FloatingPointError("the loss or its gradient is not finite: |θ| is too large for float64")
        loss = loss.reshape(theta.shape[:-1])
        return (float(loss) if loss.ndim == 0 else loss), grad.reshape(theta.shape)

    def loss(self, theta: ArrayLike) -> np.ndarray | float:
        """Loss only, shape (...)."""
        return self(theta)[0]

    def grad(self, theta: ArrayLike) -> np.ndarray:
        """Gradient only, shape (..., n)."""
        return self(theta)[1]


# The names ihtlib.mlp imported before issue 11; kept until it imports Classifier and Objective.
ClassifierMethods = Classifier
ObjectiveMethods = Objective


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
        feature_names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(d)]
        class_names = list(class_names) if class_names is not None else [str(k) for k in range(K)]
        if len(feature_names) != d or len(class_names) != K:
            raise ValueError(f"need {d} feature names and {K} class names")
        return [f"W[{c}, {f}]" for c in class_names for f in feature_names] + [f"b[{c}]" for c in class_names]

    # --------------------------------------------------------- the objective
    def objective(self, X: ArrayLike, y: ArrayLike, ridge: float = 0.0) -> SoftmaxObjective:
        """The training objective on fixed data as a callable ``fun(θ) -> (loss, grad)``.

        Validates ``X`` and ``y`` once; use it inside loops (IHT, Monte Carlo).

        Parameters
        ----------
        X : array_like, shape (N, d)
        y : array_like of int, shape (N,)
        ridge : float, default 0
            Adds ``ridge/2 * ||θ||²`` to the loss.

        Returns
        -------
        SoftmaxObjective
        """
        return SoftmaxObjective(self, X, y, ridge)

    def logits(self, theta: ArrayLike, X: ArrayLike) -> np.ndarray:
        """Logits, shape (..., N, K)."""
        W, b = self.unpack(theta)
        X = check_X(X)
        if X.shape[1] != self.n_features:
            raise ValueError(f"X must have {self.n_features} columns, got {X.shape[1]}")
        return np.einsum("nd,...kd->...nk", X, W) + b[..., None, :]


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
