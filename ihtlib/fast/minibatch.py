"""Mini-batch IHT for R runs of a softmax layer at once: the fast layer of ``minibatch_iht_runs``.

Every run must agree with the literal :func:`ihtlib.minibatch.minibatch_iht` started from its
own θ⁰ with its own step and seed: the same shuffles (each run's generator draws one
permutation per epoch, as the literal loop does), the same batches (``np.array_split`` of
the shuffled order into ⌈N/b_e⌉ parts, indices sorted), the same update
:func:`~ihtlib.iht.iht_step`, so the same iterates up to rounding.
``tests/test_minibatch.py`` checks this run by run.

What makes it fast:

* the R runs share the batch sizes, so batch j of every run has the same size m: the
  features of all R batches are gathered into one (R, m, d+1) array and the logits and
  gradients of all runs come from two batched matrix products (the mean cross-entropy of
  :func:`ihtlib.model.cross_entropy_loss_and_grad`, written for a stack of batches);
* no per-update objective object and no per-update validation (done once by
  :func:`ihtlib.minibatch_iht_runs`): the update is :func:`~ihtlib.iht.iht_step`'s
  H_s(θ − γ∇f_B(θ)) without its checks, one partition for all rows, and the literal
  :func:`~ihtlib.hard_threshold` whenever the s-th largest magnitude of a row is tied;
* BLAS is limited to one thread: these products are tiny, and one thread also rounds the
  same way on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..thresholding import hard_threshold
from .blas import one_blas_thread

__all__ = ["softmax_minibatch_runs"]


def softmax_minibatch_runs(
    X: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    thetas: np.ndarray,
    s: int | np.ndarray,
    steps: np.ndarray,
    n_epochs: int,
    rngs: list[np.random.Generator],
    step_factor: Callable[[int], float],
    batch_size_of: Callable[[int], int],
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """Mini-batch IHT for a :class:`~ihtlib.SoftmaxLayer`, R runs together (inputs validated).

    Parameters
    ----------
    X : ndarray, shape (N, d)
    y : ndarray of int, shape (N,)
        Labels 0 … K-1.
    n_classes : int
        K; θ = [W.ravel(), b] with W of shape (K, d), n = K*d + K.
    thetas : ndarray, shape (R, n)
        The s-sparse starts.
    s : int or ndarray of int, shape (R,)
    steps : ndarray, shape (R,)
        γ of each run; update k uses γ · ``step_factor(k)``.
    n_epochs : int
    rngs : list of R numpy Generators
        Run r's shuffles (one ``permutation(N)`` per epoch).
    step_factor : callable k -> float
    batch_size_of : callable e -> int
        b_e, the batch size of epoch e.

    Returns
    -------
    history : ndarray, shape (R, E+1, n)
        θ⁰ and θ after each epoch, per run.
    support_changed_at : ndarray of int, shape (R,)
        The last epoch in which an update changed the run's support (0: never).
    n_steps : int
        K, the number of updates of every run.
    batch_sizes : ndarray of int, shape (E,)
    step_history : ndarray, shape (R, K)
        γ_k of every update of every run.

    Raises
    ------
    FloatingPointError
        The logits of some run overflowed (|θ| too large for float64), as the objective raises.
    ValueError
        The gradient step θ − γ∇f_B(θ) overflowed (the message of :func:`~ihtlib.iht.iht_step`).
    """
    with one_blas_thread():
        return _run(X, y, n_classes, thetas, s, steps, n_epochs, rngs, step_factor, batch_size_of)


def _run(
    X: np.ndarray,
    y: np.ndarray,
    K: int,
    thetas: np.ndarray,
    s: int | np.ndarray,
    steps: np.ndarray,
    n_epochs: int,
    rngs: list[np.random.Generator],
    step_factor: Callable[[int], float],
    batch_size_of: Callable[[int], int],
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """The loop of :func:`softmax_minibatch_runs`, with BLAS already limited."""
    N, d = X.shape
    R = thetas.shape[0]
    X1 = np.hstack([X, np.ones((N, 1))])  # x~ = [x; 1]
    Y = np.eye(K)[y]  # one-hot labels, (N, K)
    theta = thetas.copy()
    history = np.empty((R, n_epochs + 1, theta.shape[1]))
    history[:, 0] = theta
    changed_at = np.zeros(R, dtype=int)
    batch_sizes, step_history, k = [], [], 0
    for epoch in range(n_epochs):
        b_e = batch_size_of(epoch)
        batch_sizes.append(b_e)
        orders = np.stack([rng.permutation(N) for rng in rngs])  # one shuffle per run
        for part in np.array_split(np.arange(N), math.ceil(N / b_e)):  # positions of batch j
            B = np.sort(orders[:, part], axis=1)  # (R, m): the samples of every run's batch
            grad = _batch_gradients(theta, X1[B], Y[B], K, d)
            gamma_k = steps * step_factor(k)
            new = _threshold(theta - gamma_k[:, None] * grad, s)  # H_s(θ − γ_k ∇f_B(θ)), every run
            changed_at[((new != 0) != (theta != 0)).any(axis=1)] = epoch + 1
            theta, k = new, k + 1
            step_history.append(gamma_k)
        history[:, epoch + 1] = theta
    return history, changed_at, k, np.array(batch_sizes, dtype=int), np.stack(step_history, axis=1)


def _threshold(v: np.ndarray, s: int | np.ndarray) -> np.ndarray:
    """H_s(v) for every row of v (R, n), the member :func:`~ihtlib.hard_threshold` returns."""
    if not np.isfinite(v).all():
        raise ValueError("the gradient step θ − γ∇f(θ) overflowed; use a smaller step")
    if not isinstance(s, int):
        return hard_threshold(v, s)
    R, n = v.shape
    a = np.abs(v)
    keep = a >= np.partition(a, n - s, axis=1)[:, n - s, None]  # the s largest magnitudes ...
    if np.count_nonzero(keep) != R * s:  # ... unless one is tied with the s-th: the literal tie rule
        return hard_threshold(v, s)
    return np.where(keep, v, 0.0)


def _batch_gradients(theta: np.ndarray, Xb: np.ndarray, Yb: np.ndarray, K: int, d: int) -> np.ndarray:
    """∇f_{B_r}(θ_r) for every run r: (R, n) from θ (R, n), Xb (R, m, d+1), Yb (R, m, K)."""
    R, m = Xb.shape[:2]
    Wb = np.concatenate([theta[:, : K * d].reshape(R, K, d), theta[:, K * d :, None]], axis=2)  # [W | b]
    with np.errstate(over="ignore", invalid="ignore"):
        Z = Xb @ Wb.transpose(0, 2, 1)  # logits z_i = W x_i + b, (R, m, K)
        Z -= Z.max(axis=2, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=2, keepdims=True)  # softmax
        G = (P - Yb).transpose(0, 2, 1) @ Xb / m  # 1/m Σ_i (p_i − e_{y_i}) x~_iᵀ, (R, K, d+1)
    if not np.isfinite(G).all():
        raise FloatingPointError("the loss or its gradient is not finite: |θ| is too large for float64")
    return np.concatenate([G[:, :, :d].reshape(R, K * d), G[:, :, d]], axis=1)
