"""Batched IHT: B runs of Algorithm 5.1 at once, the stopped runs compacted away.

The fast layer of :func:`ihtlib.iht`.  Every run must agree with
:func:`ihtlib.iht.iht_loop` started from its own θ⁰ with its own s and γ (same iterates,
same stopping iteration, by ``tol``, the budget or, with ``settle``, the settling rule
:func:`ihtlib.iht.settled`), until a safeguard stops it:  a run whose loss rises above f(θ⁰)
or stops being finite is marked ``"diverged"`` and keeps its last good iterate.
``tests/test_fast_iht.py`` checks this run by run (ties, per-run s, diverging runs).

What makes it fast:

* ``fun`` is evaluated once per iteration for all runs still going (one matrix product),
  and that evaluation gives both f(θ^{k+1}), for the checks, and ∇f(θ^{k+1}), for the next
  update, which is :func:`~ihtlib.iht.iht_step`'s arithmetic given the gradient already
  known, without its checks (the loop's own arrays need none; :func:`threshold` is
  :func:`~ihtlib.hard_threshold` without them, tested to keep the same entries);
* runs that stop leave the batch (the arrays of the active runs are compacted);
* when the active runs share one s it is passed as one integer (a partition, not a sort per row);
* BLAS is limited to one thread: on products this small more threads only contend.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from tqdm import tqdm

from ..classifier import Objective
from ..iht import SETTLE_RTOL
from .blas import one_blas_thread

#: A loss may rise by this relative amount without counting as an increase (rounding).
RISE_RTOL = 1e-13


def _checks_own_input(fun: Callable) -> bool:
    """True for the library's objectives (:class:`~ihtlib.classifier.Objective`, ``__call__`` not overridden).

    :func:`evaluate` then skips their input check, ``check_theta``: the loop's θ is its own finite
    float64 array of shape (B, n), already checked by :func:`ihtlib.iht`.  The rest of the call
    (the batched loss and gradient, the ridge term, the refusal of non-finite results) is the same.
    """
    return isinstance(fun, Objective) and type(fun).__call__ is Objective.__call__


def evaluate(fun: Callable, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``fun`` on a batch of shape (B, n): losses (B,) and gradients (B, n).

    A run whose loss cannot be computed (``fun`` raises ``FloatingPointError``) gets loss inf.
    """
    try:
        if _checks_own_input(fun):
            with np.errstate(all="ignore"):
                return fun._finish(thetas, thetas, *fun._rows(thetas))
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
    settle: int | None = None,
    settle_rtol: float = SETTLE_RTOL,
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
    settle : int or None
        P of the settling rule (:func:`ihtlib.iht.settled`), or None for no such rule.
    settle_rtol : float

    Returns
    -------
    tuple
        ``theta (B, n), losses (B, T+1), n_iter (B,), status (B,), support_changed_at (B,),
        monotone (B,), message (list of B str)``: the fields of :class:`~ihtlib.iht.IHTResult`.
    """
    with one_blas_thread():
        return _iterate(fun, thetas, s, steps, max_iter, tol, progress, settle, settle_rtol)


def threshold(v: np.ndarray, s: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~ihtlib.hard_threshold` of the rows of v (B, n), without its checks.

    The same operations in the same order (so the same kept entries, ties included), plus
    what the settling rule needs: ``t`` of shape (B, 1), the s-th largest |v_i| of each row,
    which is also M_s of the result (the result keeps those entries of v).
    """
    n = v.shape[1]
    a = np.abs(v)
    if isinstance(s, int):
        t, n_kept, room = np.partition(a, n - s, axis=-1)[:, n - s, None], s * v.shape[0], s
    else:  # the (n - s)-th entry of each sorted row, as take_along_axis picks it
        room = s[:, None]
        t, n_kept = np.sort(a, axis=-1)[np.arange(v.shape[0]), n - s][:, None], int(s.sum())
    keep = a >= t
    if np.count_nonzero(keep) != n_kept:  # a tie with |v|_(s): the lower indices first
        above, tied = a > t, a == t
        keep = above | (tied & (np.cumsum(tied, axis=-1) <= room - np.count_nonzero(above, axis=-1, keepdims=True)))
    return np.where(keep, v, 0.0), t


def _update(
    theta: np.ndarray, grad: np.ndarray, s: int | np.ndarray, step: np.ndarray
) -> tuple[np.ndarray, np.ndarray | bool, np.ndarray]:
    """:func:`~ihtlib.iht.iht_step` for the active runs, given ∇f(θ^k) from the previous evaluation.

    The arithmetic of ``iht_step`` (``θ - γ∇f``, then :func:`threshold`) without re-checking
    the loop's own arrays.  Returns θ^{k+1}, ``blown`` (True for a run whose gradient step
    θ − γ∇f(θ) is not finite: γ∇f overflowed, or ∇f held NaN or inf; such a run stays where
    it is) and the s-th largest magnitude of θ^{k+1} per run, shape (B, 1).
    """
    gamma = step[:, None]
    with np.errstate(all="ignore"):
        v = theta - gamma * grad  # 1. gradient step
    blown = False
    if not np.isfinite(v).all():
        blown = ~np.isfinite(v).all(axis=1)
        v = theta - gamma * np.where(blown[:, None], 0.0, grad)
    new, t = threshold(v, s)  # 2. projection onto C_s
    return new, blown, t


def margins(theta: np.ndarray, grad: np.ndarray, m_s: np.ndarray, step: np.ndarray) -> np.ndarray:
    """The ``margin`` of :func:`~ihtlib.ht_stability` for rows θ with gradients ``grad``: shape (B,).

    ``m_s`` (B, 1) is M_s(θ), the s-th largest |θ_i|; the same operations as ``ht_stability``.
    """
    max_off = np.max(np.where(theta != 0, 0.0, np.abs(grad)), axis=-1)
    return m_s[:, 0] / step - max_off


def _one_level(level: int | np.ndarray) -> int | np.ndarray:
    """``level`` as one int when every active run has the same s (a sweep's block once a level has left it).

    The same update: :func:`threshold` finds the same s-th largest magnitude by a partition
    instead of a sort of every row.
    """
    if np.ndim(level) == 0 or level.size == 0 or not (level == level[0]).all():
        return level
    return int(level[0])


def _grow(history: np.ndarray, k: int, max_iter: int) -> np.ndarray:
    """``history`` (rows k = 0, 1, … of the iterations) with room for row k (doubling, at most max_iter + 1 rows)."""
    if k < history.shape[0]:
        return history
    extra = min(history.shape[0], max_iter + 1 - history.shape[0])
    return np.concatenate([history, np.empty((extra, history.shape[1]))])


def _iterate(
    fun: Callable,
    thetas: np.ndarray,
    s: int | np.ndarray,
    steps: np.ndarray,
    max_iter: int,
    tol: float,
    progress: bool,
    settle: int | None,
    settle_rtol: float,
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
    if settle is not None:  # row k: the HT-stability margin at θ^k of every run
        margin = np.empty_like(losses)
        rank = np.broadcast_to(s, (B,))[:, None] - 1
        margin[0] = margins(theta, grad, np.take_along_axis(-np.sort(-np.abs(theta), axis=-1), rank, axis=-1), step)
    for k in tqdm(range(1, max_iter + 1), disable=not progress, desc="IHT", leave=False):
        losses = _grow(losses, k, max_iter)
        new, blown, m_s = _update(theta, grad, level, step)
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
        if settle is not None:
            margin = _grow(margin, k, max_iter)
            margin[k, runs] = m_k = margins(new, new_grad, m_s, step)
            if k >= settle:
                calm = (k - changed_at[runs] >= settle) & ~done  # support unchanged for P iterations
                if calm.any():
                    f_then, m_then = losses[k - settle, runs], margin[k - settle, runs]
                    calm &= np.abs(f_then - new_loss) <= settle_rtol * np.abs(new_loss)
                    calm &= m_k >= m_then - settle_rtol * np.abs(m_then)
                    if calm.any():
                        status[runs[calm]] = "settled"
                        done |= calm
        theta, grad, loss = new, new_grad, new_loss
        if done.any():
            stop = runs[done]
            thetas[stop] = new[done]
            n_iter[stop] = np.where(status[stop] == "diverged", n_iter[stop], k)
            status[stop] = np.where(status[stop] == "max_iter", "converged", status[stop])
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
        elif status[i] == "settled":
            message[i] = (
                f"settled after {n_iter[i]} iterations: the support unchanged for {settle} iterations, "
                f"loss and HT-stability margin steady to a relative {settle_rtol:g}"
            )
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
