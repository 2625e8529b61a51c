"""What every model of the book offers: the base classes of ``SoftmaxLayer`` and ``MLP``.

:class:`Classifier` turns a model's ``logits`` and ``objective_class`` into ``objective``,
``loss``, ``grad``, ``loss_and_grad``, ``predict_proba``, ``predict`` and ``accuracy`` for
θ of shape (..., n).  :class:`Objective` is the callable ``fun(θ) -> (loss, grad)`` every
algorithm of the library takes: it checks θ, adds the ridge term, refuses non-finite
results and restores the batch shape around a subclass's computation on (B, n) rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .validation import check_theta, check_Xy

__all__ = ["Classifier", "Objective", "feature_and_class_names"]


class Classifier(ABC):
    """What every model of the book offers once it has ``objective`` and ``logits``.

    :class:`SoftmaxLayer` and :class:`ihtlib.MLP` derive from it: they define
    ``n_classes``, ``objective_class`` and :meth:`logits`, and inherit :meth:`objective`,
    ``loss``, ``grad``, ``loss_and_grad``, ``predict_proba``, ``predict`` and ``accuracy``,
    the same for both, for θ of shape (..., n).
    """

    n_classes: int
    objective_class: type[Objective]  # what objective() builds

    def objective(self, X: ArrayLike, y: ArrayLike, ridge: float = 0.0) -> Objective:
        """The training loss on fixed data as a callable ``fun(θ) -> (loss, grad)``.

        Validates ``X`` and ``y`` once; use it inside loops (IHT, Monte Carlo).

        Parameters
        ----------
        X : array_like, shape (N, d)
        y : array_like of int, shape (N,)
        ridge : float, default 0
            Adds ``ridge/2 * ||θ||²`` to the loss.

        Returns
        -------
        Objective
            An instance of ``objective_class`` (:class:`SoftmaxObjective` for the softmax layer).
        """
        return self.objective_class(self, X, y, ridge)

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
        from .model import softmax  # the book's one softmax (ihtlib.model imports this module)

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


def feature_and_class_names(
    feature_names: Sequence[str] | None, class_names: Sequence[str] | None, n_features: int, n_classes: int
) -> tuple[list[str], list[str]]:
    """The names of the d inputs and the K classes: the given ones, or ``x0, x1, …`` and ``0, 1, …``.

    Raises
    ------
    ValueError
        When the given lists do not have d and K entries.
    """
    d, K = n_features, n_classes
    feature_names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(d)]
    class_names = list(class_names) if class_names is not None else [str(k) for k in range(K)]
    if len(feature_names) != d or len(class_names) != K:
        raise ValueError(f"need {d} feature names and {K} class names, got {len(feature_names)} and {len(class_names)}")
    return feature_names, class_names
