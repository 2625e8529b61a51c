"""Exhaustive best-subset search: the exact optimum of the sparse problem for small n.

For the IRIS network n = 15, so there are only ``2**15 - 1 = 32,767`` nonempty supports.
On each support S the restricted problem

    minimise  F(θ) = f(θ) + (ridge/2) ‖θ‖²   subject to  supp(θ) ⊆ S

is smooth and, for ``ridge > 0``, strictly convex (f, the mean softmax cross-entropy, is
convex).  So it has exactly one minimiser, and damped Newton finds it to machine
accuracy in a few dozen steps.  Enumerating every support of size s and keeping the best
restricted minimum gives the **global** minimiser of F over ``‖θ‖₀ <= s``:
every θ with ``‖θ‖₀ <= s`` lies in some coordinate subspace of size s.

Why a ridge?  On IRIS the class setosa is linearly separable, so on many supports the
cross-entropy alone has no minimiser (its infimum is approached as ‖θ‖ → ∞).  A tiny
ridge (default 1e-8) restores a unique minimiser without changing the loss noticeably.

How it is computed
------------------
All supports of one size are solved at once (a batch of B problems):

* loss and gradient of every problem come from **one** call of
  ``model.objective(X, y, ridge)`` on the batch θ of shape (B, n);
* the Hessian of the cross-entropy (:func:`softmax_hessian`) is
  ``(1/N) Σ_i (diag p_i - p_i p_iᵀ) ⊗ x̃_i x̃_iᵀ`` in the θ layout of
  :mod:`ihtlib.model`, computed for the batch with one matrix product;
* the Newton system of problem b is restricted to its support with a mask:
  ``H̃ = M H M + (I - M)`` and ``g̃ = M g`` (M = diag of the 0/1 support mask), so the
  whole batch is one ``np.linalg.solve`` on a stack of n×n matrices and the step is
  exactly zero off the support;
* each problem does its own Armijo backtracking; a problem stops when its Newton
  decrement ``λ²/2 = ½ g̃ᵀ H̃⁻¹ g̃`` (an estimate of ``F(θ) - F*``) is below ``tol``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import combinations
from math import comb

import numpy as np
from numpy.typing import ArrayLike
from threadpoolctl import threadpool_limits

from .model import SoftmaxLayer
from .validation import (
    MAX_PROBLEMS,
    check_array,
    check_budget,
    check_integer,
    check_real,
    check_s,
    check_theta,
    check_tol,
    check_X,
)

__all__ = [
    "softmax_hessian",
    "RestrictedFit",
    "minimize_on_supports",
    "BestSubsetResult",
    "best_subset",
    "best_subset_path",
    "supports_to_mask",
]

_ARMIJO = 1e-4  # sufficient-decrease constant of the line search
_MAX_HALVINGS = 60
_FULL_STEP = 1e-10  # below this Newton decrement the full Newton step is taken without line search
_EXPAND = 1e-8  # above this Newton decrement, longer steps are tried as well
_EXPAND_STEPS = np.array([1.0, 4.0, 16.0])
_CHUNK = 1024  # problems per Newton block (bounds the memory of the (B, s, N) arrays)


# --------------------------------------------------------------------------- Hessian
def _hessian_setup(model: SoftmaxLayer, X: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Constant parts of the Hessian: x̃ x̃ᵀ / N per sample and the θ-layout permutation."""
    X = check_X(X)
    K, d = model.n_classes, model.n_features
    if X.shape[1] != d:
        raise ValueError(f"X must have {d} columns (n_features), got {X.shape[1]}")
    N = X.shape[0]
    Xa = np.hstack([X, np.ones((N, 1))])  # (N, d+1)
    XX = (Xa[:, :, None] * Xa[:, None, :]).reshape(N, (d + 1) ** 2) / N  # (N, (d+1)²)
    # θ index t -> (class c, augmented feature j) -> position c*(d+1) + j of the augmented layout
    perm = np.concatenate([np.arange(K * d) // d * (d + 1) + np.arange(K * d) % d, np.arange(K) * (d + 1) + d])
    return Xa, XX, perm


def _hessian_batch(
    model: SoftmaxLayer, Xa: np.ndarray, XX: np.ndarray, perm: np.ndarray, theta2: np.ndarray
) -> np.ndarray:
    """Cross-entropy Hessian for θ of shape (B, n) -> (B, n, n) (no ridge)."""
    K, d = model.n_classes, model.n_features
    B, N = theta2.shape[0], Xa.shape[0]
    Wa = np.empty((B, K, d + 1))
    Wa[:, :, :d] = theta2[:, : K * d].reshape(B, K, d)
    Wa[:, :, d] = theta2[:, K * d :]
    Z = np.einsum("bkj,ij->kbi", Wa, Xa)  # logits, (K, B, N)
    Z -= Z.max(axis=0)
    P = np.exp(Z)
    P /= P.sum(axis=0)
    A = -P[:, None] * P[None, :]  # (K, K, B, N): diag p - p pᵀ, entry by entry
    for k in range(K):
        # p_k (1 - p_k) as p_k * (sum of the other p_l): no cancellation when p_k is close to 1,
        # which is where the separable directions of IRIS put the minimiser
        others = sum(P[m] for m in range(K) if m != k)
        A[k, k] = P[k] * others
    Haug = (A.reshape(K * K * B, N) @ XX).reshape(K, K, B, d + 1, d + 1)
    Haug = Haug.transpose(2, 0, 3, 1, 4).reshape(B, K * (d + 1), K * (d + 1))
    return Haug[:, perm][:, :, perm]


def softmax_hessian(model: SoftmaxLayer, X: ArrayLike, theta: ArrayLike, ridge: float = 0.0) -> np.ndarray:
    """Hessian of the mean softmax cross-entropy (plus ``ridge/2 ‖θ‖²``) of a :class:`SoftmaxLayer`.

    ``∇²f(θ) = (1/N) Σ_i (diag p_i - p_i p_iᵀ) ⊗ x̃_i x̃_iᵀ`` with ``x̃ = [x; 1]`` and ``p_i``
    the softmax probabilities of sample i, written in the θ layout of :mod:`ihtlib.model`
    (``θ[k*d + j] = W[k, j]``, ``θ[K*d + k] = b[k]``).  It does not depend on the labels.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    theta : array_like, shape (..., n)
    ridge : float, default 0
        Adds ``ridge * I``.

    Returns
    -------
    ndarray, shape (..., n, n)
        Symmetric positive semidefinite (positive definite for ``ridge > 0``).
    """
    _check_softmax(model)
    Xa, XX, perm = _hessian_setup(model, X)
    n = model.n_params
    theta = check_theta(theta, n)
    ridge = _check_ridge(ridge)
    theta2 = theta.reshape(-1, n)
    B, N, K = theta2.shape[0], Xa.shape[0], model.n_classes
    check_budget(max(B * n * n, K * K * B * N), f"the Hessians of {B} points", "pass fewer points at once")
    H = _hessian_batch(model, Xa, XX, perm, theta2)
    if ridge:
        H += ridge * np.eye(n)
    return H.reshape(theta.shape[:-1] + (n, n))


def _check_ridge(ridge: float) -> float:
    return check_real(ridge, "ridge", low=0.0)


def _check_softmax(model: object) -> None:
    if not isinstance(model, SoftmaxLayer):
        raise TypeError(
            f"model must be a SoftmaxLayer (the exact Newton solver uses its Hessian), got {type(model).__name__}"
        )


# --------------------------------------------------------------- restricted solver
def supports_to_mask(supports: ArrayLike | Sequence, n: int) -> np.ndarray:
    """Supports as a boolean mask of shape (B, n).

    Parameters
    ----------
    supports : boolean array of shape (B, n) or (n,), or a sequence of index tuples
        (supports of different sizes may be mixed).
    n : int

    Returns
    -------
    ndarray of bool, shape (B, n)
    """
    if isinstance(supports, (str, bytes)) or not isinstance(supports, (Sequence, np.ndarray)):
        raise TypeError(f"supports must be a boolean mask (B, {n}) or a sequence of index tuples, got {supports!r:.60}")
    arr = supports if isinstance(supports, np.ndarray) else np.asarray(supports, dtype=object)
    if isinstance(arr, np.ndarray) and arr.dtype == bool:
        mask = np.atleast_2d(arr)
        if mask.shape[-1] != n or mask.ndim != 2:
            raise ValueError(f"a support mask must have shape (B, {n}), got {arr.shape}")
        return mask.copy()
    supports = list(supports)
    if supports and np.ndim(supports[0]) == 0:  # one support given as a flat tuple of indices
        supports = [supports]
    mask = np.zeros((len(supports), n), dtype=bool)
    for b, S in enumerate(supports):
        raw = np.asarray(S)
        if raw.size and raw.dtype.kind not in "iu":
            raise TypeError(f"support {S!r:.60} must hold integer indices in 0 … {n - 1}, got dtype {raw.dtype}")
        idx = raw.astype(np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"support {tuple(S)} has indices outside 0 … {n - 1}")
        mask[b, idx] = True
    return mask


@dataclass
class RestrictedFit:
    """What :func:`minimize_on_supports` returns: one entry per support.

    Attributes
    ----------
    theta : ndarray, shape (B, n)
        The minimiser of ``F = f + ridge/2 ‖θ‖²`` with ``supp(θ) ⊆ S_b`` (zero off S_b).
    objective : ndarray, shape (B,)
        ``F(θ_b)``.
    loss : ndarray, shape (B,)
        The cross-entropy part ``f(θ_b)``.
    grad_norm : ndarray, shape (B,)
        ‖∇_S F(θ_b)‖_∞, the first-order residual on the support.
    decrement : ndarray, shape (B,)
        Last Newton decrement ``½ g̃ᵀ H̃⁻¹ g̃`` (≈ F(θ_b) - F*_b).
    n_iter : ndarray of int, shape (B,)
        Newton steps taken.
    converged : ndarray of bool, shape (B,)
        ``decrement <= tol``.
    mask : ndarray of bool, shape (B, n)
    ridge : float
    """

    theta: np.ndarray
    objective: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    decrement: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    mask: np.ndarray
    ridge: float


def _softmax_probs(model: SoftmaxLayer, XaT: np.ndarray, theta2: np.ndarray) -> np.ndarray:
    """Softmax probabilities for θ of shape (B, n): array of shape (B, K, N)."""
    K, d = model.n_classes, model.n_features
    B = theta2.shape[0]
    Wa = np.empty((B, K, d + 1))
    Wa[:, :, :d] = theta2[:, : K * d].reshape(B, K, d)
    Wa[:, :, d] = theta2[:, K * d :]
    Z = (Wa.reshape(B * K, d + 1) @ XaT).reshape(B, K, -1)
    Z -= Z.max(axis=1, keepdims=True)
    P = np.exp(Z, out=Z)
    P /= P.sum(axis=1, keepdims=True)
    return P


def _restricted_hessian(
    model: SoftmaxLayer, XaT: np.ndarray, theta2: np.ndarray, cls: np.ndarray, feat: np.ndarray, same: np.ndarray
) -> np.ndarray:
    """Cross-entropy Hessian restricted to each problem's support, shape (B, s, s).

    ``H_SS[a, c] = (1/N) Σ_i x̃_i[f_a] x̃_i[f_c] (δ(k_a, k_c) p_i[k_a] - p_i[k_a] p_i[k_c])`` where
    θ index ``S[a]`` is the weight of augmented feature ``f_a`` into class ``k_a``.  With
    ``V[a, i] = x̃_i[f_a]`` and ``U[a, i] = p_i[k_a] V[a, i]``:  ``H_SS = (U Vᵀ) ⊙ same - U Uᵀ``,
    which is exact (no 1 - p cancellation: the p pᵀ part is a product, the diagonal part a sum).
    """
    B = theta2.shape[0]
    N = XaT.shape[1]
    P = _softmax_probs(model, XaT, theta2)
    V = XaT[feat]  # (B, s, N)
    U = P[np.arange(B)[:, None], cls] * V  # (B, s, N)
    H = np.matmul(U, V.transpose(0, 2, 1))
    H *= same
    H -= np.matmul(U, U.transpose(0, 2, 1))
    H *= 1.0 / N
    return H


def _newton_block(
    fun: Callable,
    model: SoftmaxLayer,
    XaT: np.ndarray,
    idx: np.ndarray,
    theta: np.ndarray,
    ridge: float,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Damped Newton on B restricted problems whose supports all have size s: idx of shape (B, s).

    ``theta`` (B, n) is the start (zero off the supports) and is overwritten.
    Returns theta, F, g, decrement, n_iter.
    """
    B, n = theta.shape
    K, d = model.n_classes, model.n_features
    s = idx.shape[1]
    cls = np.where(idx < K * d, idx // d, idx - K * d)
    feat = np.where(idx < K * d, idx % d, d)
    same_all = (cls[:, :, None] == cls[:, None, :]).astype(np.float64)
    ridge_eye = ridge * np.eye(s)
    rows = np.arange(B)[:, None]
    F, g = fun(theta)
    F = np.array(F, dtype=np.float64).reshape(B)
    g = np.array(g, dtype=np.float64).reshape(B, n)
    dec = np.full(B, np.inf)
    n_iter = np.zeros(B, dtype=int)
    act = np.arange(B)
    for _ in range(max_iter):
        if act.size == 0:
            break
        ia = idx[act]
        H = _restricted_hessian(model, XaT, theta[act], cls[act], feat[act], same_all[act])
        H += ridge_eye
        gS = g[act[:, None], ia]  # (A, s)
        try:
            step = -np.linalg.solve(H, gS[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # singular (ridge = 0 and a support with a flat direction)
            step = -(np.linalg.pinv(H, hermitian=True) @ gS[:, :, None])[:, :, 0]
        gd = np.einsum("bi,bi->b", gS, step)  # = -λ², <= 0
        dec[act] = -0.5 * gd
        done = dec[act] <= tol
        # Far from the optimum, also try longer steps t = 4, 16 and keep the best one that passes
        # Armijo: on a separable support F falls like exp(-margin * scale) along the Newton
        # direction, and a plain Newton step only adds about 1/margin to the scale.
        t = np.ones(act.size)
        accepted = np.zeros(act.size, dtype=bool)
        far = np.flatnonzero(~done & (dec[act] > _EXPAND))
        if far.size:
            mults = _EXPAND_STEPS[:, None, None]
            cand = theta[act[far]][None] + 0.0 * mults
            cand[:, rows[: far.size], ia[far]] += mults * step[far][None]
            Fc, gc = fun(cand.reshape(-1, n))
            Fc = np.asarray(Fc, dtype=np.float64).reshape(mults.shape[0], far.size)
            gc = np.asarray(gc).reshape(mults.shape[0], far.size, n)
            ok = Fc <= F[act[far]] + _ARMIJO * mults[:, :, 0] * gd[far] + 8 * np.finfo(float).eps * np.abs(Fc)
            Fbest = np.where(ok, Fc, np.inf)
            j = np.argmin(Fbest, axis=0)
            good = np.isfinite(Fbest[j, np.arange(far.size)])
            sel = far[good]
            acc = act[sel]
            theta[acc], F[acc], g[acc] = cand[j[good], good.nonzero()[0]], Fc[j[good], good], gc[j[good], good]
            accepted[sel] = True
            t[far[~good]] = 0.5  # t = 1 failed too: backtrack from 1/2
        todo = np.flatnonzero(~done & ~accepted)
        for _h in range(_MAX_HALVINGS):
            if todo.size == 0:
                break
            cand = theta[act[todo]].copy()
            cand[rows[: todo.size], ia[todo]] += t[todo, None] * step[todo]
            Fc, gc = fun(cand)
            Fc = np.asarray(Fc, dtype=np.float64).reshape(todo.size)
            F0 = F[act[todo]]
            slack = 8 * np.finfo(float).eps * np.abs(F0)  # rounding allowance near the optimum
            # Inside the region of quadratic convergence (tiny decrement) the full step is taken:
            # there the decrease is below the rounding of F itself (|logits| ~ 100 on separable
            # supports), so F can no longer judge the step, while the gradient still can.
            ok = (Fc <= F0 + _ARMIJO * t[todo] * gd[todo] + slack) | (dec[act[todo]] <= _FULL_STEP)
            acc = act[todo[ok]]
            theta[acc], F[acc], g[acc] = cand[ok], Fc[ok], gc[ok]
            accepted[todo[ok]] = True
            t[todo[~ok]] *= 0.5
            todo = todo[~ok]
        # problems with no acceptable step are given up (they stay flagged as not converged)
        n_iter[act[accepted]] += 1
        act = act[accepted]
    return theta, F, g, dec, n_iter


def minimize_on_supports(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    supports: ArrayLike | Sequence,
    ridge: float = 1e-8,
    theta0: ArrayLike | None = None,
    tol: float = 1e-20,
    max_iter: int = 200,
    n_jobs: int = 2,
) -> RestrictedFit:
    """Minimise ``f(θ) + ridge/2 ‖θ‖²`` over θ with ``supp(θ) ⊆ S``, for a batch of supports S.

    Batched damped Newton (module docstring); every support is its own problem.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    supports : boolean mask (B, n), or a sequence of index tuples (sizes may differ)
    ridge : float, default 1e-8
        Must be > 0 unless every restricted problem has a minimiser.
    theta0 : array_like, shape (B, n), optional
        Starting points (entries off the support are ignored); default θ = 0.
    tol : float, default 1e-20
        Stop a problem when its Newton decrement ``½ g̃ᵀ H̃⁻¹ g̃`` is at most ``tol``.
    max_iter : int, default 200
        Newton steps per problem.
    n_jobs : int, default 2
        Blocks of problems run on this many threads (BLAS single-threaded); the result
        does not depend on it.

    Returns
    -------
    RestrictedFit
    """
    _check_softmax(model)
    ridge = _check_ridge(ridge)
    n = model.n_params
    fun = model.objective(X, y, ridge=ridge)
    mask = supports_to_mask(supports, n)
    B = mask.shape[0]
    if B == 0:
        raise ValueError("supports is empty; pass at least one support (a tuple of indices or a mask row)")
    check_budget(B * n, f"{B} supports of {n} parameters", "pass fewer supports at once")
    if theta0 is None:
        theta = np.zeros((B, n))
    else:
        theta0 = check_array(theta0, "theta0", ndim=(1, 2))
        if theta0.shape[-1] != n or (theta0.ndim == 2 and theta0.shape[0] not in (1, B)):
            raise ValueError(f"theta0 must have shape ({n},) or ({B}, {n}) (one row per support), got {theta0.shape}")
        theta = np.array(np.broadcast_to(theta0, (B, n)))
        theta[~mask] = 0.0
    max_iter = check_integer(max_iter, "max_iter", low=1)
    tol = check_tol(tol)
    n_jobs = check_integer(n_jobs, "n_jobs", low=1)
    Xa, _, _ = _hessian_setup(model, X)
    XaT = np.ascontiguousarray(Xa.T)
    F = np.empty(B)
    G = np.empty((B, n))
    dec = np.zeros(B)
    n_iter = np.zeros(B, dtype=int)
    sizes = mask.sum(axis=1)
    tasks = []
    for size in np.unique(sizes):
        rows = np.flatnonzero(sizes == size)
        if size == 0:  # the empty support: θ = 0 is the only point
            F0, G0 = fun(theta[rows])
            F[rows], G[rows] = F0, G0
            continue
        idx_all = np.nonzero(mask[rows])[1].reshape(rows.size, size)  # sorted indices per row
        tasks += [(rows[lo : lo + _CHUNK], idx_all[lo : lo + _CHUNK]) for lo in range(0, rows.size, _CHUNK)]

    def run(task: tuple[np.ndarray, np.ndarray]) -> None:
        r, idx = task
        theta[r], F[r], G[r], dec[r], n_iter[r] = _newton_block(
            fun, model, XaT, idx, theta[r].copy(), ridge, float(tol), int(max_iter)
        )

    # Blocks are independent and write disjoint rows.  The matrices are small, so BLAS runs
    # single-threaded and the blocks run on n_jobs threads (NumPy releases the GIL).
    with threadpool_limits(limits=1, user_api="blas"):
        if n_jobs > 1 and len(tasks) > 1:
            with ThreadPoolExecutor(max_workers=int(n_jobs)) as pool:
                list(pool.map(run, tasks))
        else:
            for task in tasks:
                run(task)
    loss = np.asarray(model.objective(X, y)(theta)[0], dtype=np.float64).reshape(B)
    grad_norm = np.abs(np.where(mask, G, 0.0)).max(axis=1, initial=0.0)
    return RestrictedFit(theta, F, loss, grad_norm, dec, n_iter, dec <= tol, mask, ridge)


# ------------------------------------------------------------------- best subset
@dataclass
class BestSubsetResult:
    """The exact best s-sparse solution, and the restricted optimum of every support of size s.

    Attributes
    ----------
    s : int
    objective : float
        ``min F`` over ``‖θ‖₀ <= s``, with ``F = f + ridge/2 ‖θ‖²``.
    loss : float
        Cross-entropy part ``f(θ*)`` of the minimiser.
    theta : ndarray, shape (n,)
        The minimiser θ*.
    support : tuple of int
        The support S* (size s) on which the minimum is attained.
    all_supports : ndarray of int, shape (C(n, s), s)
        Every support of size s, in ``itertools.combinations`` order.
    all_objectives, all_losses : ndarray, shape (C(n, s),)
        Restricted minimum of F, and its cross-entropy part, on each support.
    all_thetas : ndarray, shape (C(n, s), n)
        The restricted minimisers.
    ridge : float
    max_decrement : float
        Largest final Newton decrement over the supports (all should be <= tol).
    n_converged : int
        Supports whose Newton solve met ``tol``.
    """

    s: int
    objective: float
    loss: float
    theta: np.ndarray
    support: tuple
    all_supports: np.ndarray = field(repr=False)
    all_objectives: np.ndarray = field(repr=False)
    all_losses: np.ndarray = field(repr=False)
    all_thetas: np.ndarray = field(repr=False)
    ridge: float = 0.0
    max_decrement: float = 0.0
    n_converged: int = 0

    @property
    def all_converged(self) -> bool:
        """True when the Newton solve met ``tol`` on every support (else see ``n_converged``)."""
        return self.n_converged == self.n_supports

    @property
    def n_supports(self) -> int:
        """Number of supports of size s, C(n, s)."""
        return int(self.all_objectives.shape[0])

    def rank_of(self, support: Sequence[int]) -> int:
        """Rank (0 = best) of a support of size s among all supports, by restricted objective."""
        if isinstance(support, (str, bytes)) or not isinstance(support, (Sequence, np.ndarray)):
            raise TypeError(f"support must be a tuple of {self.s} indices, got {support!r:.60}")
        S = tuple(sorted(check_integer(i, "support index", 0, self.all_thetas.shape[1] - 1) for i in support))
        hits = np.flatnonzero((self.all_supports == np.asarray(S)).all(axis=1)) if len(S) == self.s else []
        if len(hits) == 0:
            raise ValueError(f"{S} is not a support of size {self.s}")
        return int(np.sum(self.all_objectives < self.all_objectives[hits[0]]))


def _check_level(s: int, n: int) -> int:
    s = check_s(s, n)
    if comb(n, s) > MAX_PROBLEMS:
        raise ValueError(
            f"C({n}, {s}) = {comb(n, s)} supports are too many to enumerate (limit {MAX_PROBLEMS}); "
            "use IHT (iht, sparsity_sweep) for this s"
        )
    return s


def _level_supports(n: int, s: int) -> np.ndarray:
    """Every support of size s as an int array of shape (C(n, s), s), in combinations order."""
    return np.array(list(combinations(range(n), s)), dtype=np.int64).reshape(-1, s)


def _result_for_level(s: int, supports: np.ndarray, fit: RestrictedFit, rows: slice) -> BestSubsetResult:
    objective = fit.objective[rows]
    i = int(np.argmin(objective))  # ties: the first support in combinations order
    theta = fit.theta[rows]
    return BestSubsetResult(
        s=s,
        objective=float(objective[i]),
        loss=float(fit.loss[rows][i]),
        theta=theta[i].copy(),
        support=tuple(int(j) for j in supports[i]),
        all_supports=supports,
        all_objectives=objective.copy(),
        all_losses=fit.loss[rows].copy(),
        all_thetas=theta.copy(),
        ridge=fit.ridge,
        max_decrement=float(fit.decrement[rows].max()),
        n_converged=int(fit.converged[rows].sum()),
    )


def best_subset_path(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    s_values: Iterable[int] | None = None,
    ridge: float = 1e-8,
    tol: float = 1e-20,
    max_iter: int = 200,
    n_jobs: int = 2,
) -> dict[int, BestSubsetResult]:
    """:func:`best_subset` for several sparsity levels, solved as one batch.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    s_values : iterable of int, optional
        Default: every level 1 … n (for IRIS: all 32,767 nonempty supports).
    ridge, tol, max_iter, n_jobs
        As in :func:`best_subset`.

    Returns
    -------
    dict
        ``{s: BestSubsetResult}`` in the order of ``s_values``.

    Raises
    ------
    TypeError, ValueError
        A level that is not an integer in 1 … n, a repeated level, or an empty list.
    """
    _check_softmax(model)
    n = model.n_params
    if s_values is not None and (isinstance(s_values, (str, bytes)) or not isinstance(s_values, Iterable)):
        raise TypeError(f"s_values must be an iterable of integers such as [1, 2, 3] (or None), got {s_values!r}")
    levels = [_check_level(s, n) for s in (range(1, n + 1) if s_values is None else s_values)]
    if not levels:
        raise ValueError(f"s_values is empty; pass at least one sparsity level in 1 … {n}")
    if len(set(levels)) != len(levels):
        raise ValueError(f"s_values has repeated levels: {levels}")
    total = sum(comb(n, s) for s in levels)
    if total > MAX_PROBLEMS:
        raise ValueError(
            f"the levels {levels[0]} … {levels[-1]} have {total} supports in all, more than the limit of "
            f"{MAX_PROBLEMS}; pass fewer levels (s_values)"
        )
    supports = {s: _level_supports(n, s) for s in levels}
    mask = np.zeros((sum(v.shape[0] for v in supports.values()), n), dtype=bool)
    bounds, lo = {}, 0
    for s, sup in supports.items():
        np.put_along_axis(mask[lo : lo + sup.shape[0]], sup, True, axis=1)
        bounds[s] = slice(lo, lo + sup.shape[0])
        lo += sup.shape[0]
    fit = minimize_on_supports(model, X, y, mask, ridge=ridge, tol=tol, max_iter=max_iter, n_jobs=n_jobs)
    return {s: _result_for_level(s, supports[s], fit, bounds[s]) for s in levels}


def best_subset(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    s: int,
    ridge: float = 1e-8,
    tol: float = 1e-20,
    max_iter: int = 200,
    n_jobs: int = 2,
) -> BestSubsetResult:
    """Exact minimiser of ``f(θ) + ridge/2 ‖θ‖²`` subject to ``‖θ‖₀ <= s``, by enumeration.

    Every support of size exactly s is solved (:func:`minimize_on_supports`); a support of
    smaller size is contained in one of size s, so nothing is missed.

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    s : int, 1 <= s <= n
    ridge : float, default 1e-8
        Makes every restricted problem strictly convex (needed on separable data).
    tol, max_iter
        Newton stopping rule, as in :func:`minimize_on_supports`.
    n_jobs : int, default 2
        Threads; the result does not depend on it.

    Returns
    -------
    BestSubsetResult
        Ties between supports go to the first in ``combinations`` order.

    Raises
    ------
    TypeError
        ``s`` is not an integer.
    ValueError
        ``s`` outside 1 … n, or too many supports to enumerate.
    """
    return best_subset_path(model, X, y, [s], ridge=ridge, tol=tol, max_iter=max_iter, n_jobs=n_jobs)[s]
