"""Model: one linear layer with bias, softmax, mean cross-entropy.

Parameter layout
----------------
For ``d`` features and ``K`` classes the parameter vector has ``n = K*d + K`` entries::

    theta = [W.ravel(), b]          # W has shape (K, d), row-major; b has shape (K,)
    theta[k*d + j] = W[k, j]        # weight from feature j to class k
    theta[K*d + k] = b[k]           # bias of class k

For IRIS (d = 4, K = 3) that is 12 weights followed by 3 biases: n = 15.

Batches
-------
Every method accepts ``theta`` of shape ``(..., n)``: leading axes are independent
parameter vectors (for example many random starts of IHT run at once).  Losses
then have shape ``(...)`` and gradients shape ``(..., n)``.

How it is computed
------------------
With ``x~ = [x; 1]`` and ``W~ = [W | b]`` (shape (K, d+1)) the logits of all B runs come
from **one** matrix product ``W~ @ X~.T``, stored class-first as (K, B, N) so that sums
over the classes run over contiguous blocks, and the gradient from one more,
``P @ X~``.  Because ``y`` is fixed, the data term ``c = Y @ X~ / N`` (Y one-hot) is
computed once: the mean true-class logit is ``<θ, c>`` and the gradient is
``P @ X~ / N - c``, so neither needs another pass over the (K, B, N) array.  The softmax is shifted by
the largest logit only when a cheap bound says ``exp`` could overflow or underflow
(see :meth:`SoftmaxObjective._softmax_parts`); the result is the same log-sum-exp.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .validation import check_array, check_integer, check_real, check_theta, check_X, check_Xy

__all__ = [
    "ClassifierMethods",
    "ObjectiveMethods",
    "SoftmaxLayer",
    "SoftmaxObjective",
    "softmax",
    "check_theta",  # re-exported
]

# exp(t) is a normal float64 with full precision for |t| < ~700; stay well inside.
_SAFE_LOGIT = 300.0
# mean(logsumexp) - mean(true logit) loses about eps * |logit| to cancellation; below this
# multiple of the logit bound the loss is recomputed per sample as log1p(Σ exp(z_k - z_max)).
_CANCELLATION_RATIO = 1e-6


def softmax(Z: ArrayLike, axis: int = -1) -> np.ndarray:
    """The softmax p_k = exp(z_k) / Σ_j exp(z_j) along ``axis``: the book's one softmax.

    Computed as exp(z_k - max_j z_j) / Σ_j exp(z_j - max_j z_j), the same value, so large
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


class ClassifierMethods:
    """What every model of the book offers once it has ``objective`` and ``logits``.

    :class:`SoftmaxLayer` and :class:`ihtlib.MLP` inherit these, so both answer
    ``loss``, ``grad``, ``loss_and_grad``, ``predict_proba``, ``predict`` and
    ``accuracy`` the same way, for θ of shape (..., n).
    """

    n_classes: int

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
        acc = np.mean(self.predict(theta, X) == y, axis=-1)
        return float(acc) if np.ndim(acc) == 0 else acc


class SoftmaxLayer(ClassifierMethods):
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


class ObjectiveMethods:
    """Shared tail of every objective ``fun(θ) -> (loss, grad)``: ridge, checks, shapes."""

    ridge: float

    def _finish(self, theta: np.ndarray, theta2: np.ndarray, loss: np.ndarray, grad: np.ndarray):
        """Add the ridge term, refuse non-finite results, restore θ's batch shape."""
        if self.ridge:
            loss = loss + 0.5 * self.ridge * np.einsum("bi,bi->b", theta2, theta2)
            grad += self.ridge * theta2
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


class SoftmaxObjective(ObjectiveMethods):
    """``fun(θ) -> (loss, grad)`` for a :class:`SoftmaxLayer` on fixed data.

    Call it with θ of shape (..., n); it returns the mean cross-entropy (plus the
    optional ridge term) of shape (...) and its gradient of shape (..., n).
    ``.loss(θ)`` and ``.grad(θ)`` return one of the two.
    """

    def __init__(self, model: SoftmaxLayer, X: ArrayLike, y: ArrayLike, ridge: float = 0.0):
        X, y = check_Xy(X, y, model.n_classes)
        if X.shape[1] != model.n_features:
            raise ValueError(f"X must have {model.n_features} columns (n_features), got {X.shape[1]}")
        ridge = check_real(ridge, "ridge", low=0.0)
        K, d = model.n_classes, model.n_features
        N = X.shape[0]
        self.model, self.ridge, self.n_samples = model, ridge, N
        self.Xa = np.ascontiguousarray(np.hstack([X, np.ones((N, 1))]))  # (N, d+1)
        self.XaT = np.ascontiguousarray(self.Xa.T)  # (d+1, N)
        Y = np.zeros((K, N))
        Y[y, np.arange(N)] = 1.0
        C = Y @ self.Xa / N  # (K, d+1): the data term of the gradient
        self.c = np.concatenate([C[:, :d].ravel(), C[:, d]])  # the same in θ layout, (n,)
        self.Xa_over_N = self.Xa / N
        # |logit_k| <= ||w~_k||_1 * x_max, and ||w~_k||_1 = (|θ| @ class_of)[k]
        self.x_max = float(np.abs(self.Xa).max())
        self.y = y
        self.class_of = np.zeros((model.n_params, K))
        self.class_of[np.arange(K * d), np.repeat(np.arange(K), d)] = 1.0
        self.class_of[K * d + np.arange(K), np.arange(K)] = 1.0

    def _augmented(self, theta2: np.ndarray) -> np.ndarray:
        """(B, n) -> W~ of shape (K, B, d+1), the class axis first."""
        K, d = self.model.n_classes, self.model.n_features
        B = theta2.shape[0]
        Wa = np.empty((K, B, d + 1))
        Wa[:, :, :d] = theta2[:, : K * d].reshape(B, K, d).transpose(1, 0, 2)
        Wa[:, :, d] = theta2[:, K * d :].T
        return Wa

    def _softmax_parts(self, Wa: np.ndarray, safe: bool):
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
            with np.errstate(invalid="ignore"):  # inf - inf for absurd θ; caught below
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

    def __call__(self, theta: ArrayLike) -> tuple[np.ndarray | float, np.ndarray]:
        """Loss of shape (...) and gradient of shape (..., n) at θ of shape (..., n)."""
        n = self.model.n_params
        theta = check_theta(theta, n)
        if theta.size == 0:  # an empty batch: nothing to compute
            return np.zeros(theta.shape[:-1]), np.zeros(theta.shape)
        with np.errstate(over="ignore", invalid="ignore"):  # absurd θ: FloatingPointError in _finish
            return self._evaluate(theta, theta.reshape(-1, n))

    def _evaluate(self, theta: np.ndarray, theta2: np.ndarray) -> tuple[np.ndarray | float, np.ndarray]:
        """The body of :meth:`__call__` on a checked θ and its (B, n) view."""
        model = self.model
        K, d, n = model.n_classes, model.n_features, model.n_params
        Wa = self._augmented(theta2)
        logit_bound = (np.abs(theta2) @ self.class_of).max(axis=1, initial=0.0) * self.x_max  # (B,)
        E, S, lse = self._softmax_parts(Wa, logit_bound.max(initial=0.0) < _SAFE_LOGIT)
        _, B, N = E.shape
        # mean_i log sum_k exp(z_ik)  -  mean_i z_(i, y_i);  the second term is <θ, c>.
        loss = lse.sum(axis=1) * (1.0 / N) - (theta2 * self.c).sum(axis=1)  # rowwise: batch == single
        small = loss < _CANCELLATION_RATIO * logit_bound
        if small.any():  # nearly separated: the difference above has lost its digits
            loss[small] = self._accurate_loss(Wa[:, small])
        P = np.multiply(E, np.reciprocal(S, out=S), out=E)  # softmax, (K, B, N)
        Ga = (P.reshape(K * B, N) @ self.Xa_over_N).reshape(K, B, d + 1)
        grad = np.empty((B, n))
        grad[:, : K * d] = Ga[:, :, :d].transpose(1, 0, 2).reshape(B, K * d)
        grad[:, K * d :] = Ga[:, :, d].T
        grad -= self.c
        return self._finish(theta, theta2, loss, grad)
