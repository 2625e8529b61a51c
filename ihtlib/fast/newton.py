"""Damped Newton on many supports at once: the machinery behind :func:`ihtlib.minimize_on_supports`.

Must agree with :func:`ihtlib.refit.refit` (Newton's method on one support, with Armijo
backtracking), support by support; ``tests/test_refit.py`` checks it on random supports.

What is added for speed (none of it changes the minimiser, which is unique for ridge > 0):

* supports of one size form a block of B problems; the loss and gradient of all of them come
  from **one** call of the objective on θ of shape (B, n), the Hessian blocks ``∇²_SS f`` from
  :func:`ihtlib.fast.hessian.restricted_hessian`, the Newton systems from one batched solve;
* a problem whose Newton decrement ``½ g_Sᵀ H_SS⁻¹ g_S`` is at most ``tol`` leaves the block
  (compaction), so later steps only work on the problems still running;
* far from the optimum the longer steps t = 4 and 16 are tried besides t = 1 for the problems
  started at θ = 0: on a separable support F falls like exp(-margin · scale) along the Newton
  direction, and a plain Newton step only adds about 1/margin to the scale.  A problem given
  a start (a warm start, HTP's iterate) starts near the right scale: there t = 1 won 87 % of
  the far steps of the exhaustive search and t = 4 or 16 only 4 %, so the two extra trial
  points (two thirds of the objective evaluations) are not tried;
* inside the region of quadratic convergence (decrement below 1e-10) the full step is taken
  without a line search: there the decrease is below the rounding of F itself;
* with ridge > 0 a problem whose gradient bound ``½ ‖g_S‖² / ridge`` is at most ``tol``
  stops before its Hessian is computed (the bound is never below the Newton decrement):
  the Hessian that would only confirm convergence is saved for 79 % of the IRIS supports
  at ridge 1e-8, the iterates are the same bit for bit;
* blocks of at most 1024 problems run on ``n_jobs`` threads with single-threaded BLAS;
* :func:`subset_starts` gives the exhaustive search (:func:`ihtlib.best_subset_path`) its
  warm starts: a support of size s starts from the minimiser of its best subset of size
  s - 1, already solved.  On IRIS the minimisers of the separable supports lie far out
  (‖θ*‖ ≈ 40 at s = 7); from θ = 0 Newton needs about 12 steps to get there, from the best
  subset's minimiser about 4 (measured over all 32,767 supports).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..model import SoftmaxLayer
from .blas import one_blas_thread
from .hessian import augmented, restricted_hessian, support_layout

ARMIJO = 1e-4  # sufficient-decrease constant of the line search (as in ihtlib.refit)
MAX_HALVINGS = 60
FULL_STEP = 1e-10  # below this Newton decrement the full step is taken without line search
EXPAND = 1e-8  # above this Newton decrement, longer steps are tried as well
EXPAND_STEPS = np.array([1.0, 4.0, 16.0])
CHUNK = 1024  # problems per block (bounds the memory of the (B, s, N) arrays)
_SLACK = 8 * np.finfo(float).eps  # rounding allowance of the Armijo test, relative to |F|


class _Block:
    """B restricted problems whose supports all have size s (``idx`` of shape (B, s)), solved together.

    ``fun`` includes the ridge; its Hessian ``fun.ridge · I`` is added to the blocks ``∇²_SS f``.
    ``theta`` (B, n), the starts (zero off the supports), is overwritten.
    """

    def __init__(self, fun: Callable, model: SoftmaxLayer, XaT: np.ndarray, idx: np.ndarray, theta: np.ndarray):
        B, n = theta.shape
        self.fun, self.model, self.XaT, self.idx, self.theta = fun, model, XaT, idx, theta
        F, g = fun(theta)
        self.F = np.array(F, dtype=np.float64).reshape(B)
        self.g = np.array(g, dtype=np.float64).reshape(B, n)
        self.decrement = np.full(B, np.inf)
        self.n_iter = np.zeros(B, dtype=int)
        self.active = np.arange(B)  # problems still running
        self.cold = ~theta.any(axis=1)  # started at θ = 0: the longer trial steps are for these
        self.ridge = fun.ridge
        self.ridge_eye = fun.ridge * np.eye(idx.shape[1])
        self.layout = support_layout(model, idx)

    def newton_step(self, tol: float) -> None:
        """One damped Newton step of every active problem; the finished and the stuck leave."""
        if self.ridge > 0:  # certified without the Hessian: see _certified_by_gradient
            self.active = self.active[~self._certified_by_gradient(tol)]
            if self.active.size == 0:
                return
        active = self.active
        self.active_idx = self.idx[active]
        layout = tuple(part[active] for part in self.layout)
        H = restricted_hessian(self.model, self.XaT, self.theta[active], layout)
        H += self.ridge_eye
        g_S = self.g[active[:, None], self.active_idx]  # (A, s)
        try:
            self.direction = -np.linalg.solve(H, g_S[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # singular (ridge = 0 and a support with a flat direction)
            self.direction = -(np.linalg.pinv(H, hermitian=True) @ g_S[:, :, None])[:, :, 0]
        self.slope = np.einsum("bi,bi->b", g_S, self.direction)  # directional derivative = -λ² <= 0
        self.decrement[active] = -0.5 * self.slope
        running = self.decrement[active] > tol
        far = running & (self.decrement[active] > EXPAND) & self.cold[active]
        accepted = np.zeros(active.size, dtype=bool)
        accepted[self._try_longer_steps(np.flatnonzero(far))] = True
        t = np.where(far & ~accepted, 0.5, 1.0)  # t = 1 failed as well: backtrack from 1/2
        accepted[self._backtrack(np.flatnonzero(running & ~accepted), t)] = True
        # problems with no acceptable step are given up (they stay flagged as not converged)
        self.n_iter[active[accepted]] += 1
        self.active = active[accepted]

    def _certified_by_gradient(self, tol: float) -> np.ndarray:
        """Active problems whose Newton decrement is at most ``tol`` by a bound that needs no Hessian.

        f is convex, so ``H_SS = ∇²_SS f + ridge·I ⪰ ridge·I`` and the decrement
        ``½ g_Sᵀ H_SS⁻¹ g_S`` is at most ``½ ‖g_S‖² / ridge``.  At the end of a solve the
        gradient is at its rounding level (about 1e-16), so this bound meets ``tol`` and the
        last Hessian, which would only confirm convergence, is saved.  Those problems keep
        the bound as their ``decrement`` (never below the decrement itself).
        """
        g_S = self.g[self.active[:, None], self.idx[self.active]]
        bound = 0.5 * np.einsum("bi,bi->b", g_S, g_S) / self.ridge
        done = bound <= tol
        self.decrement[self.active[done]] = bound[done]
        return done

    def _accept(self, positions: np.ndarray, theta: np.ndarray, F: np.ndarray, g: np.ndarray) -> None:
        rows = self.active[positions]
        self.theta[rows], self.F[rows], self.g[rows] = theta, F, g

    def _try_longer_steps(self, far: np.ndarray) -> np.ndarray:
        """Steps t = 1, 4, 16 for the active problems at positions ``far``; the best passing Armijo is taken."""
        if far.size == 0:
            return far
        n = self.theta.shape[1]
        t = EXPAND_STEPS[:, None, None]
        trial = self.theta[self.active[far]][None] + 0.0 * t  # (3, far, n)
        trial[:, np.arange(far.size)[:, None], self.active_idx[far]] += t * self.direction[far][None]
        F_trial, g_trial = self.fun(trial.reshape(-1, n))
        F_trial = np.asarray(F_trial, dtype=np.float64).reshape(t.shape[0], far.size)
        g_trial = np.asarray(g_trial).reshape(t.shape[0], far.size, n)
        F0 = self.F[self.active[far]]
        passes = F_trial <= F0 + ARMIJO * t[:, :, 0] * self.slope[far] + _SLACK * np.abs(F_trial)
        F_best = np.where(passes, F_trial, np.inf)
        best = np.argmin(F_best, axis=0)
        moved = np.isfinite(F_best[best, np.arange(far.size)])
        pick = (best[moved], moved.nonzero()[0])
        # Kept until the next trials replace them: freeing these MB-sized arrays at once lets
        # malloc return the memory to the system, and the next step page-faults it back
        # (measured on the IRIS search: 2.5x the page faults, +40 % CPU time).
        self._trials = trial, F_trial, g_trial
        self._accept(far[moved], trial[pick], F_trial[pick], g_trial[pick])
        return far[moved]

    def _backtrack(self, todo: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Armijo backtracking from step ``t`` for the active problems at positions ``todo``."""
        moved = [todo[:0]]
        for _ in range(MAX_HALVINGS):
            if todo.size == 0:
                break
            trial = self.theta[self.active[todo]].copy()
            trial[np.arange(todo.size)[:, None], self.active_idx[todo]] += t[todo, None] * self.direction[todo]
            F_trial, g_trial = self.fun(trial)
            F_trial = np.asarray(F_trial, dtype=np.float64).reshape(todo.size)
            F0 = self.F[self.active[todo]]
            armijo = F_trial <= F0 + ARMIJO * t[todo] * self.slope[todo] + _SLACK * np.abs(F0)
            passes = armijo | (self.decrement[self.active[todo]] <= FULL_STEP)
            self._accept(todo[passes], trial[passes], F_trial[passes], g_trial[passes])
            self._last_halving = trial, F_trial, g_trial  # kept, as self._trials above
            moved.append(todo[passes])
            t[todo[~passes]] *= 0.5
            todo = todo[~passes]
        return np.concatenate(moved)


def newton_block(
    fun: Callable, model: SoftmaxLayer, XaT: np.ndarray, idx: np.ndarray, theta: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Damped Newton on B problems whose supports all have size s (``idx`` of shape (B, s)).

    Agrees with :func:`ihtlib.refit.refit` on each row.  ``fun`` includes the ridge.
    ``theta`` (B, n), the starts (zero off the supports), is overwritten.

    Returns
    -------
    theta (B, n), F (B,), g (B, n), decrement (B,), n_iter (B,)
    """
    block = _Block(fun, model, XaT, idx, theta)
    for _ in range(max_iter):
        if block.active.size == 0:
            break
        block.newton_step(tol)
    return block.theta, block.F, block.g, block.decrement, block.n_iter


def subset_starts(
    mask: np.ndarray, solved_mask: np.ndarray, solved_F: np.ndarray, solved_theta: np.ndarray
) -> np.ndarray:
    """Warm starts for supports of size s from solved supports of size s - 1.

    Each row of ``mask`` starts from the solved minimiser with the lowest objective among
    its subsets of size s - 1 (all of them feasible on the larger support, and each no worse
    than θ = 0 there); rows with no solved subset start from θ = 0.  For ridge > 0 the
    restricted minimiser is unique, so the start changes where Newton's method ends only by
    its stopping tolerance.

    Parameters
    ----------
    mask : ndarray of bool, shape (B, n)
        Supports, all of one size s >= 1, n <= 62.
    solved_mask : ndarray of bool, shape (C, n)
        Solved supports, all of size s - 1.
    solved_F : ndarray, shape (C,)
        Their restricted minima.
    solved_theta : ndarray, shape (C, n)
        Their minimisers (zero off their supports).

    Returns
    -------
    ndarray, shape (B, n)
    """
    B, n = mask.shape
    if solved_mask.shape[0] == 0:
        return np.zeros((B, n))
    bits = np.int64(1) << np.arange(n, dtype=np.int64)  # a support as one integer code
    codes, solved = mask @ bits, solved_mask @ bits
    order = np.argsort(solved)
    idx = np.nonzero(mask)[1].reshape(B, -1)  # (B, s), s - 1 >= 0 solved indices each
    subsets = codes[:, None] ^ bits[idx]  # (B, s): S without one of its indices
    where = np.minimum(np.searchsorted(solved, subsets, sorter=order), solved.size - 1)
    rows = order[where]
    found = solved[rows] == subsets
    F = np.where(found, solved_F[rows], np.inf)
    best = np.argmin(F, axis=1)
    theta = solved_theta[rows[np.arange(B), best]]
    theta[~found.any(axis=1)] = 0.0
    return theta


def solve_supports(
    fun: Callable,
    model: SoftmaxLayer,
    X: np.ndarray,
    mask: np.ndarray,
    theta: np.ndarray,
    tol: float,
    max_iter: int,
    n_jobs: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every row of ``mask`` (B, n) its own restricted problem, in blocks of one support size.

    Agrees with :func:`ihtlib.refit.refit` row by row.  ``theta`` (B, n), the starts (zero
    off the supports), is overwritten.  The result does not depend on ``n_jobs``.

    Returns
    -------
    theta (B, n), F (B,), g (B, n), decrement (B,), n_iter (B,)
    """
    B, n = mask.shape
    XaT = np.ascontiguousarray(augmented(X).T)
    F, G = np.empty(B), np.empty((B, n))
    decrement, n_iter = np.zeros(B), np.zeros(B, dtype=int)
    sizes = mask.sum(axis=1)
    blocks = []
    for size in np.unique(sizes):
        rows = np.flatnonzero(sizes == size)
        if size == 0:  # the empty support: θ = 0 is the only point
            F[rows], G[rows] = fun(theta[rows])
            continue
        idx = np.nonzero(mask[rows])[1].reshape(rows.size, size)  # sorted indices per row
        blocks += [(rows[lo : lo + CHUNK], idx[lo : lo + CHUNK]) for lo in range(0, rows.size, CHUNK)]

    def run(block: tuple[np.ndarray, np.ndarray]) -> None:
        r, idx = block
        theta[r], F[r], G[r], decrement[r], n_iter[r] = newton_block(
            fun, model, XaT, idx, theta[r].copy(), tol, max_iter
        )

    # Blocks are independent and write disjoint rows.  The matrices are small, so BLAS runs
    # single-threaded and the blocks run on n_jobs threads (NumPy releases the GIL).
    with one_blas_thread():
        if n_jobs > 1 and len(blocks) > 1:
            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                list(pool.map(run, blocks))
        else:
            for block in blocks:
                run(block)
    return theta, F, G, decrement, n_iter
