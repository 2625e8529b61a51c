"""Batched IHT: B runs of Algorithm 5.1 at once, the stopped runs compacted away.

The fast layer of :func:`ihtlib.iht`.  Every run must agree with
:func:`ihtlib.iht.iht_loop` started from its own θ⁰ with its own s and γ (same iterates,
same stopping iteration), until a safeguard stops it:  a run whose loss rises above f(θ⁰)
or stops being finite is marked ``"diverged"`` and keeps its last good iterate.
``tests/test_fast_iht.py`` checks this run by run (ties, per-run s, diverging runs).

What makes it fast:

* ``fun`` is evaluated once per iteration for all runs still going (one matrix product),
  and that evaluation gives both f(θ^{k+1}), for the checks, and ∇f(θ^{k+1}), for the next
  update, which is :func:`~ihtlib.iht.iht_step` given the gradient already known;
* runs that stop leave the batch (the arrays of the active runs are compacted);
* when the active runs share one s it is passed as one integer (a partition, not a sort per row);
* BLAS is limited to one thread: on products this small more threads only contend.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from threadpoolctl import ThreadpoolController
from tqdm import tqdm

from ..iht import iht_step

#: Limits BLAS threads during IHT: on (B·K, d+1) products, extra threads only contend
#: (measured: a B = 750 batch ran 10 times slower with two OpenBLAS threads on a busy machine).
_BLAS = ThreadpoolController()

#: A loss may rise by this relative amount without counting as an increase (rounding).
RISE_RTOL = 1e-13


def evaluate(fun: Callable, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``fun`` on a batch of shape (B, n): losses (B,) and gradients (B, n).

    A run whose loss cannot be computed (``fun`` raises ``FloatingPointError``) gets loss inf.
    """
    try:
        with np.errstate(all="ignore"):
            out = fun(thetas)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"fun must return a pair (loss, grad), got {type(out).__name__}")
        loss, grad = np.asarray(out[0], dtype=np.float64), np.asarray(out[1], dtype=np.float64)
        if loss.size != thetas.shape[0] or grad.size != thetas.size:
            raise ValueError(
                f"fun(θ) for θ of shape {thetas.shape} must return a loss of shape ({thetas.shape[0]},) and a "
                f"gradient of shape {thetas.shape}, got shapes {loss.shape} and {grad.shape}"
            )
        return loss.reshape(thetas.shape[0]), grad.reshape(thetas.shape)
    except FloatingPointError:
        if thetas.shape[0] == 1:
            return np.array([np.inf]), np.zeros_like(thetas)
        parts = [evaluate(fun, thetas[i : i + 1]) for i in range(thetas.shape[0])]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def iht_batch(
    fun: Callable,
    thetas: np.ndarray,
    s: int | np.ndarray,
    steps: np.ndarray,
    max_iter: int,
    tol: float,
    progress: bool,
) -> tuple:
    """Run IHT from every row of ``thetas`` (validated by :func:`ihtlib.iht`; updated in place).

    Parameters
    ----------
    fun : callable
        ``fun(θ) -> (loss, grad)`` for θ of shape (b, n), any b <= B.
    thetas : ndarray, shape (B, n)
        The s-sparse starts.
    s : int or ndarray of int, shape (B,)
    steps : ndarray, shape (B,)
    max_iter : int
    tol : float
    progress : bool

    Returns
    -------
    tuple
        ``theta (B, n), losses (B, T+1), n_iter (B,), status (B,), support_changed_at (B,),
        monotone (B,), message (list of B str)``: the fields of :class:`~ihtlib.iht.IHTResult`.
    """
    with _BLAS.limit(limits=1, user_api="blas"):
        return _iterate(fun, thetas, s, steps, max_iter, tol, progress)


def _update(
    theta: np.ndarray, grad: np.ndarray, s: int | np.ndarray, step: np.ndarray
) -> tuple[np.ndarray, np.ndarray | bool]:
    """:func:`~ihtlib.iht.iht_step` for the active runs, given ∇f(θ^k) from the previous evaluation.

    Returns θ^{k+1} and ``blown``: True for a run whose gradient step θ − γ∇f(θ) is not finite
    (γ∇f overflowed, or ∇f held NaN or inf); such a run stays where it is.
    """
    with np.errstate(all="ignore"):
        try:
            return iht_step(lambda _theta: (None, grad), theta, s, step), False
        except ValueError:
            blown = ~np.isfinite(theta - step[:, None] * grad).all(axis=1)
            if not blown.any():
                raise
            grad = np.where(blown[:, None], 0.0, grad)
            return iht_step(lambda _theta: (None, grad), theta, s, step), blown


def _one_level(level: int | np.ndarray) -> int | np.ndarray:
    """``level`` as one int when every active run has the same s (a sweep's block once a level has left it).

    The same update: :func:`~ihtlib.hard_threshold` finds the same s-th largest magnitude by a
    partition instead of a sort of every row, and the per-row checks of s are skipped.
    """
    if np.ndim(level) == 0 or level.size == 0 or not (level == level[0]).all():
        return level
    return int(level[0])


def _iterate(
    fun: Callable, thetas: np.ndarray, s: int | np.ndarray, steps: np.ndarray, max_iter: int, tol: float, progress: bool
) -> tuple:
    """The loop of :func:`iht_batch`, with BLAS already limited."""
    B = thetas.shape[0]
    loss, grad = evaluate(fun, thetas)
    if not np.all(np.isfinite(loss)):
        raise ValueError("the loss at theta0 is not finite; start from a smaller theta0")
    # row k: f(θ^k) of every run; grows with the iterations actually run (doubling, at most max_iter + 1)
    losses = np.empty((min(max_iter, 1023) + 1, B))
    losses[0] = loss
    n_iter = np.full(B, max_iter)
    status = np.full(B, "max_iter", dtype=object)
    changed_at = np.zeros(B, dtype=int)
    monotone = np.ones(B, dtype=bool)
    message = [""] * B
    # The active runs, compacted: row j of theta, grad, loss, step, level, limit belongs to run runs[j].
    runs, theta, step, level = np.arange(B), thetas.copy(), steps, _one_level(s)
    limit = loss + RISE_RTOL * np.abs(loss)  # a run diverges when its loss exceeds f(θ^0)
    for k in tqdm(range(1, max_iter + 1), disable=not progress, desc="IHT", leave=False):
        if k >= losses.shape[0]:
            losses = np.concatenate([losses, np.empty((min(losses.shape[0], max_iter + 1 - losses.shape[0]), B))])
        new, blown = _update(theta, grad, level, step)
        new_loss, new_grad = evaluate(fun, new)
        bad = ~(new_loss <= limit) | blown  # also catches NaN and inf
        done = np.abs(new - theta).max(axis=1) <= tol
        if bad.any():
            for j in np.flatnonzero(bad):
                status[runs[j]], n_iter[runs[j]] = "diverged", k - 1
                was_blown = blown is not False and bool(blown[j])
                message[runs[j]] = _divergence_message(k, was_blown, losses[0, runs[j]], new_loss[j], steps[runs[j]])
            monotone[runs[bad]] = False
            new[bad], new_loss[bad] = theta[bad], loss[bad]  # keep the last good iterate
            done |= bad
        rose = new_loss > loss + RISE_RTOL * np.abs(loss)
        if rose.any():
            monotone[runs[rose]] = False
        changed = ((new == 0) != (theta == 0)).any(axis=1)
        if changed.any():
            changed_at[runs[changed]] = k
        losses[k, runs] = new_loss
        theta, grad, loss = new, new_grad, new_loss
        if done.any():
            stop = runs[done]
            thetas[stop] = new[done]
            n_iter[stop] = np.where(status[stop] == "diverged", n_iter[stop], k)
            status[stop] = np.where(status[stop] == "diverged", "diverged", "converged")
            keep = ~done
            runs, theta, grad, loss = runs[keep], theta[keep], grad[keep], loss[keep]
            step, limit, level = step[keep], limit[keep], level if np.ndim(level) == 0 else _one_level(level[keep])
            if runs.size == 0:
                break
    thetas[runs] = theta
    T = int(n_iter.max())
    losses = np.ascontiguousarray(losses[: T + 1].T)
    for i in range(B):
        losses[i, n_iter[i] + 1 :] = losses[i, n_iter[i]]
        if status[i] == "converged":
            message[i] = f"converged after {n_iter[i]} iterations"
        elif status[i] == "max_iter":
            message[i] = f"stopped at the budget of {max_iter} iterations without meeting tol={tol:g}"
    return thetas, losses, n_iter, status.astype(str), changed_at, monotone, message


def _divergence_message(k: int, blown: bool, loss0: float, loss_k: float, step: float) -> str:
    """Why run stopped at iteration k, and what to do."""
    fix = "use a smaller step (at most 1/L2s^val, e.g. 1/smoothness_bound)"
    if blown:
        return (
            f"diverged: the gradient step at iteration {k} was not finite (step {step:.4g} times the gradient "
            f"overflowed, or fun returned a NaN or infinite gradient); {fix} or check fun"
        )
    rose = "rose" if np.isfinite(loss_k) else "was not finite: it went"
    return f"diverged: the loss {rose} from {loss0:.4g} at the start to {loss_k:.4g} at iteration {k} with step " + (
        f"{step:.4g}; {fix}"
    )
