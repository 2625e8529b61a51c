"""The intuition figure of chapter 3: curvature along all directions against 2s-sparse ones.

``plot_restricted_curvature`` shows why the restricted smoothness constant L2s is smaller
than the global one, λ_max(H): both forms of restricted smoothness (the value form and the
gradient form) drawn for random and for the extreme directions of a Hessian H.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from math import comb

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..validation import check_array, check_budget, check_combinations, check_integer, check_s, check_seed

__all__ = ["plot_restricted_curvature"]


def plot_restricted_curvature(
    H: ArrayLike,
    s: int,
    n_directions: int = 2000,
    seed: object = 0,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Curvature along all directions against curvature along directions on 2s coordinates.

    ``H`` is the Hessian of a quadratic ``f(θ) = ½ θᵀHθ`` (or of any ``f`` at one point).  For
    a unit direction ``u``, ``uᵀHu`` is the curvature of ``f`` along ``u`` (the quotient that
    the value form of RSS bounds) and ``‖Hu‖`` the stretch of the gradient (the ratio that the
    gradient form bounds).  Over all unit ``u`` both reach the global constant ``λ_max(H)``;
    over unit ``u`` supported on ``min(2s, n)`` coordinates they reach
    ``L2s^val = max_T λ_max(H_TT)`` and ``L2s^grad = max_T σ_max(H[:, T])``, which are smaller
    unless a top eigenvector of ``H`` fits on ``2s`` coordinates.

    Parameters
    ----------
    H : array_like, shape (n, n), symmetric positive semidefinite, n >= 2
    s : int, 1 <= s <= n
        The sparsity level of the left panel (directions on ``min(2s, n)`` coordinates).
    n_directions : int, default 2000
        Random unit directions drawn of each kind (dense, and on ``min(2s, n)`` random coordinates).
    seed : int, sequence of int, Generator or None, default 0
    axes : pair of Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Top: ``(uᵀHu, ‖Hu‖)`` of the random directions (grey: dense; blue: on ``2s``
        coordinates), the exact maximisers as markers, ``L2s^val`` (dashed vertical line),
        ``L2s^grad`` (dotted horizontal line), and the two curves that enclose every unit
        direction, ``‖Hu‖ = uᵀHu`` and ``‖Hu‖ = √(λ_max uᵀHu)``.  Bottom: ``L2s^val``,
        ``L2s^grad`` and ``λ_max(H)`` against the sparsity level ``1, …, ⌈n/2⌉``.
    """
    H = check_array(H, "H", ndim=2)
    n = H.shape[0]
    if H.shape != (n, n) or n < 2:
        raise ValueError(f"H must be a square matrix of shape (n, n) with n >= 2, got shape {H.shape}")
    scale = max(1.0, float(np.abs(H).max()))
    if not np.allclose(H, H.T, rtol=0.0, atol=1e-12 * scale):
        raise ValueError("H must be symmetric (H == H.T up to rounding); pass (H + H.T) / 2")
    eigvals, eigvecs = np.linalg.eigh(H)
    if eigvals[0] < -1e-10 * scale:
        raise ValueError(f"H must be positive semidefinite, its smallest eigenvalue is {eigvals[0]:.3g}")
    s = check_s(s, n)
    n_directions = check_integer(n_directions, "n_directions", low=1, high=1_000_000)
    rng = check_seed(seed)
    if axes is not None and len(axes) != 2:
        raise ValueError(f"axes must be a pair of Axes (directions, constants), got {len(axes)}")
    levels = list(range(1, (n + 1) // 2 + 1))
    total = sum(check_combinations(n, min(2 * k, n), "coordinate sets of H", "pass a smaller H") for k in levels)
    check_combinations(total, 1, "coordinate sets of H", "pass a smaller H")
    size_max = max(levels, key=lambda k: comb(n, min(2 * k, n)) * min(2 * k, n))
    k_max = min(2 * size_max, n)
    check_budget(comb(n, k_max) * n * k_max, "the column blocks of H", "pass a smaller H")

    def constants(size: int) -> tuple[float, float, np.ndarray, np.ndarray]:
        """L^val, L^grad over all coordinate sets of this size, and a unit maximiser of each."""
        T = np.array(list(combinations(range(n), size)))
        lam, vec = np.linalg.eigh(H[T[:, :, None], T[:, None, :]])
        _, sig, vt = np.linalg.svd(H[:, T].transpose(1, 0, 2))
        iv, ig = int(np.argmax(lam[:, -1])), int(np.argmax(sig[:, 0]))
        u_val, u_grad = np.zeros(n), np.zeros(n)
        u_val[T[iv]], u_grad[T[ig]] = vec[iv, :, -1], vt[ig, 0]
        return float(lam[iv, -1]), float(sig[ig, 0]), u_val, u_grad

    table = {k: constants(min(2 * k, n)) for k in levels}
    lam_max = float(eigvals[-1])
    L_val, L_grad, u_val, u_grad = table[s] if s in table else constants(n)
    size = min(2 * s, n)

    dense = rng.normal(size=(n_directions, n))
    keep = np.argsort(rng.random((n_directions, n)), axis=1)[:, :size]
    sparse = np.zeros((n_directions, n))
    np.put_along_axis(sparse, keep, rng.normal(size=(n_directions, size)), axis=1)

    def curvature_stretch(U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        U = U / np.maximum(np.linalg.norm(U, axis=-1, keepdims=True), 1e-300)
        HU = U @ H
        return np.einsum("...i,...i->...", U, HU), np.linalg.norm(HU, axis=-1)

    if axes is None:
        fig, axes = plt.subplots(2, 1, figsize=(7, 8.4), layout="constrained", height_ratios=[1.5, 1])
    else:
        fig = axes[0].figure
    ax = axes[0]
    q, r = curvature_stretch(dense)
    ax.scatter(q, r, s=6, color="0.6", alpha=0.5, lw=0, label="random unit directions (all coordinates)")
    q, r = curvature_stretch(sparse)
    ax.scatter(q, r, s=6, color="C0", alpha=0.5, lw=0, label=f"random unit directions on {size} coordinates")
    grid = np.linspace(0.0, lam_max, 200)
    ax.plot(grid, grid, color="k", lw=0.8, label=r"$\Vert Hu \Vert = u^\top H u$ (eigenvectors)")
    ax.plot(
        grid,
        np.sqrt(lam_max * grid),
        color="k",
        lw=0.8,
        ls="-.",
        label=r"$\Vert Hu \Vert = \sqrt{\lambda_{\max} u^\top H u}$",
    )
    ax.axvline(L_val, color="C0", ls="--", lw=1.2)
    ax.axhline(L_grad, color="C1", ls=":", lw=1.5)
    (q_val,), (r_val,) = curvature_stretch(u_val[None])
    (q_grad,), (r_grad,) = curvature_stretch(u_grad[None])
    ax.plot(
        [lam_max], [lam_max], "*", color="k", ms=13, label=rf"top eigenvector: $\lambda_{{\max}}(H)$ = {lam_max:.3f}"
    )
    ax.plot(
        [q_val],
        [r_val],
        "s",
        color="C0",
        mec="k",
        ms=12,
        label=rf"largest curvature on {size} coordinates: $L^{{\mathrm{{val}}}}_{{2s}}$ = {L_val:.3f}",
    )
    ax.plot(
        [q_grad],
        [r_grad],
        "^",
        color="C1",
        mec="k",
        ms=8,
        label=rf"largest stretch on {size} coordinates: $L^{{\mathrm{{grad}}}}_{{2s}}$ = {L_grad:.3f}",
    )
    ax.set_xlim(0.0, 1.05 * lam_max)
    ax.set_ylim(0.0, 1.05 * lam_max)
    ax.set_xlabel(r"curvature $u^\top H u$ (value form), $\Vert u \Vert = 1$")
    ax.set_ylabel(r"stretch $\Vert H u \Vert$ (gradient form)")
    ax.set_title(f"s = {s}: directions on 2s = {size} of n = {n} coordinates", fontsize=10)
    ax.legend(fontsize=8, loc="lower right", framealpha=1.0)
    ax.grid(alpha=0.3)

    ax = axes[1]
    ks = np.array(levels)
    for i, style, color, label in (
        (0, "s-", "C0", r"$L^{\mathrm{val}}_{2s} = \max_T \lambda_{\max}(H_{TT})$"),
        (1, "^:", "C1", r"$L^{\mathrm{grad}}_{2s} = \max_T \sigma_{\max}(H_{:,T})$"),
    ):
        ax.plot(ks, [table[k][i] for k in levels], style, color=color, label=label)
    ax.axhline(lam_max, color="k", ls="--", lw=1, label=r"global $\lambda_{\max}(H)$")
    ax.axvspan(s - 0.3, s + 0.3, color="C0", alpha=0.1, lw=0)
    ax.set_xticks(ks)
    ax.set_ylim(0.0, 1.1 * lam_max)
    ax.set_xlabel("sparsity level s (|T| = min(2s, n) coordinates)")
    ax.set_ylabel("constant")
    ax.set_title("restricted constants against s", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return fig
