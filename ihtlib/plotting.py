"""Plotting: the figures of the book, each returned as a matplotlib Figure.

Every function takes an optional ``ax`` to draw into and returns the Figure, so a
chapter can caption it and a script can save it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .experiments import summarize_sweep
from .model import SoftmaxLayer
from .rss import L2sEstimate
from .validation import check_array, check_integer, check_real, check_table

__all__ = [
    "plot_losses",
    "plot_sweep",
    "plot_ratio_histogram",
    "plot_weights",
    "plot_escape",
    "plot_restricted_curvature",
    "plot_iht_path",
    "plot_fixed_point_band",
]


def _axes(ax: Axes, figsize: tuple[float, float]):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def plot_losses(
    losses: ArrayLike,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    log_x: bool = False,
    title: str | None = None,
) -> Figure:
    """Training loss against iteration, one line per run.

    Parameters
    ----------
    losses : array_like, shape (T+1,) or (R, T+1), or an IHTResult (its ``losses``)
    labels : list of str, optional
        One legend entry per run.
    ax : matplotlib Axes, optional
    log_x : bool
        Logarithmic iteration axis (iteration 0 is then drawn at 1).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    # NaN and inf are drawn as gaps (a diverged run), so only the type and shape are checked
    losses = np.atleast_2d(check_array(getattr(losses, "losses", losses), "losses", ndim=(1, 2), finite=False))
    if labels is not None and len(labels) != losses.shape[0]:
        raise ValueError(f"labels has {len(labels)} entries for {losses.shape[0]} runs; pass one label per run")
    fig, ax = _axes(ax, (6, 3.5))
    k = np.arange(losses.shape[1]) + (1 if log_x else 0)
    for i, row in enumerate(losses):
        ax.plot(k, row, lw=1.2, label=None if labels is None else labels[i])
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel("iteration k" + (" + 1" if log_x else ""))
    ax.set_ylabel(r"training loss $f(\theta^k)$ (mean cross-entropy)")
    if labels is not None:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig


def plot_sweep(
    table: pd.DataFrame,
    dense_loss: float | None = None,
    dense_acc: float | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Final training loss and test accuracy against s, with spread bands.

    Parameters
    ----------
    table : pandas.DataFrame from :func:`ihtlib.sparsity_sweep`
    dense_loss, dense_acc : float, optional
        Dense reference values, drawn as dashed horizontal lines.
    axes : pair of Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Left: loss (median line, interquartile band, min–max band); right: test accuracy.
    """
    check_table(table, ["s", "loss", "test_acc"])
    dense_loss = None if dense_loss is None else check_real(dense_loss, "dense_loss")
    dense_acc = None if dense_acc is None else check_real(dense_acc, "dense_acc", 0.0, 1.0)
    if axes is not None and len(axes) != 2:
        raise ValueError(f"axes must be a pair of Axes (loss, accuracy), got {len(axes)}")
    summary = summarize_sweep(table, ("loss", "test_acc"))
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    else:
        fig = axes[0].figure
    s = summary.index.to_numpy()
    for ax, col, ref, ylabel in (
        (axes[0], "loss", dense_loss, "final training loss"),
        (axes[1], "test_acc", dense_acc, "test accuracy"),
    ):
        scale = 100.0 if col == "test_acc" else 1.0
        # plain float arrays, as fill_between documents (older matplotlib fails on pandas Series)
        st = {stat: values.to_numpy(dtype=float) * scale for stat, values in summary[col].items()}
        ax.fill_between(s, st["min"], st["max"], alpha=0.15, color="C0", label="min–max over starts")
        ax.fill_between(s, st["q25"], st["q75"], alpha=0.35, color="C0", label="interquartile range")
        ax.plot(s, st["median"], "o-", color="C0", ms=4, label="median")
        if ref is not None:
            ax.axhline(ref * scale, color="k", ls="--", lw=1, label="dense network")
        ax.set_xlabel("sparsity level s (nonzero parameters)")
        ax.set_ylabel(ylabel + (" (%)" if col == "test_acc" else ""))
        ax.set_xticks(s)
        ax.grid(alpha=0.3)
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=8)
    return fig


def plot_ratio_histogram(
    estimate: L2sEstimate, bound: float | None = None, ax: Axes | None = None, bins: int = 50
) -> Figure:
    """Histogram of the Monte Carlo ratios of :func:`ihtlib.estimate_l2s`.

    Parameters
    ----------
    estimate : L2sEstimate
    bound : float, optional
        An analytic upper bound, drawn as a vertical line.
    ax : Axes, optional
    bins : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(estimate, L2sEstimate):
        raise TypeError(f"estimate must be an L2sEstimate (from estimate_l2s), got {type(estimate).__name__}")
    bound = None if bound is None else check_real(bound, "bound", low=0.0)
    bins = check_integer(bins, "bins", low=1, high=100_000)
    fig, ax = _axes(ax, (6, 3.5))
    ax.hist(estimate.ratios, bins=bins, color="C0", alpha=0.8)
    ax.axvline(estimate.value, color="C3", lw=2, label=rf"max ratio $\hat{{L}}_{{2s}}$ = {estimate.value:.3f}")
    if bound is not None:
        ax.axvline(bound, color="k", ls="--", lw=1.5, label=f"upper bound = {bound:.3f}")
    ax.set_xlabel(r"ratio $\Vert\nabla f(\theta_1) - \nabla f(\theta_2)\Vert \,/\, \Vert\theta_1 - \theta_2\Vert$")
    ax.set_ylabel("number of sampled pairs")
    ax.set_title(f"s = {estimate.s}, n_monte = {estimate.n_monte}")
    ax.legend(fontsize=8)
    return fig


def plot_weights(
    theta: ArrayLike,
    model: SoftmaxLayer,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """The K×d weight matrix and the K biases of one θ, zeros left blank.

    Parameters
    ----------
    theta : array_like, shape (n,)
    model : SoftmaxLayer
    feature_names, class_names : list of str, optional
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        A heat map of [W | b] (red positive, blue negative) with each surviving value printed.
    """
    if not isinstance(model, SoftmaxLayer):
        raise TypeError(f"model must be a SoftmaxLayer (one weight matrix), got {type(model).__name__}")
    theta = check_array(theta, "theta", ndim=1)
    W, b = model.unpack(theta)
    M = np.hstack([W, b[:, None]])
    K, d = W.shape
    feature_names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(d)]
    class_names = list(class_names) if class_names is not None else [str(k) for k in range(K)]
    if len(feature_names) != d or len(class_names) != K:
        raise ValueError(f"need {d} feature names and {K} class names, got {len(feature_names)} and {len(class_names)}")
    fig, ax = _axes(ax, (1.1 * (d + 1) + 1.5, 0.7 * K + 1.2))
    vmax = max(float(np.abs(M).max()), 1e-12)
    shown = np.ma.masked_where(M == 0, M)
    ax.imshow(shown, cmap="coolwarm", norm=TwoSlopeNorm(0.0, -vmax, vmax), aspect="auto")
    for k in range(K):
        for j in range(d + 1):
            text = "·" if M[k, j] == 0 else f"{M[k, j]:.2f}"
            ax.text(j, k, text, ha="center", va="center", fontsize=9)
    ax.axvline(d - 0.5, color="k", lw=1.5)
    ax.set_xticks(range(d + 1), feature_names + ["bias"], rotation=30, ha="right")
    ax.set_yticks(range(K), class_names)
    ax.set_title(title or f"{np.count_nonzero(M)} nonzero parameters")
    return fig


def plot_escape(
    eps: ArrayLike,
    distance: ArrayLike,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Where IHT ends against how close to a stationary point θ* it starts (log–log).

    Parameters
    ----------
    eps : array_like, shape (E,)
        Distances ‖θ⁰ - θ*‖ > 0 of the starts.
    distance : array_like, shape (E, D) or (P, E, D)
        Final distances ‖θ^K - θ*‖ of D starts (directions) at each distance, for P points θ*.
        A distance of 0 is drawn at the bottom of the axis, ``min(eps) / 100``.
    labels : list of P str, optional
        One legend entry per point θ*.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One marker per run (the P points shifted slightly sideways so that they do not hide
        each other) and a dashed diagonal, the distance of the start: a run above it ended
        farther from θ* than it started, a run below it came back closer.
    """
    eps = check_array(eps, "eps")
    distance = check_array(distance, "distance")
    if distance.ndim == 2:
        distance = distance[None]
    if eps.ndim != 1 or distance.ndim != 3 or distance.shape[1] != eps.size:
        raise ValueError(
            f"eps must have shape (E,) and distance (E, D) or (P, E, D), got {eps.shape} and {distance.shape}"
        )
    if not (np.all(eps > 0) and np.all(np.isfinite(eps)) and np.all(distance >= 0) and np.all(np.isfinite(distance))):
        raise ValueError("eps must be finite and > 0, distance finite and >= 0")
    if labels is not None and len(labels) != distance.shape[0]:
        raise ValueError(f"{len(labels)} labels for {distance.shape[0]} points")
    fig, ax = _axes(ax, (6, 3.8))
    P, E, D = distance.shape
    floor = eps.min() / 100
    for p in range(P):
        shift = 10.0 ** (0.06 * (p - (P - 1) / 2))
        x = np.repeat(eps * shift, D)
        y = np.maximum(distance[p].ravel(), floor)
        ax.scatter(
            x, y, s=22, alpha=0.6, marker="os^Dv"[p % 5], color=f"C{p}", label=None if labels is None else labels[p]
        )
    grid = np.array([eps.min(), eps.max()])
    ax.plot(grid, grid, "k--", lw=1, label=r"distance of the start $\varepsilon$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"distance of the start $\Vert\theta^0 - \theta^*\Vert = \varepsilon$")
    ax.set_ylabel(r"final distance $\Vert\theta^K - \theta^*\Vert$")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig


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
    from itertools import combinations
    from math import comb

    from .validation import check_budget, check_combinations, check_s, check_seed

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
    ax.plot(
        ks,
        [table[k][0] for k in levels],
        "s-",
        color="C0",
        label=r"$L^{\mathrm{val}}_{2s} = \max_T \lambda_{\max}(H_{TT})$",
    )
    ax.plot(
        ks,
        [table[k][1] for k in levels],
        "^:",
        color="C1",
        label=r"$L^{\mathrm{grad}}_{2s} = \max_T \sigma_{\max}(H_{:,T})$",
    )
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


def _iht_path_data(fun: Callable, start: np.ndarray, step: float, n_steps: int):
    """θ⁰, …, θ^K (one IHT step per call of ``iht``) and the gradient steps v⁰, …, v^{K-1}."""
    from .iht import iht  # here, not at the top: the other figures do not need ihtlib.iht

    thetas, steps = [start], []
    theta = start
    for _ in range(n_steps):
        grad = np.asarray(fun(theta[None])[1], dtype=float)[0]
        steps.append(theta - step * grad)
        theta = iht(fun, theta, 1, step, max_iter=1, tol=0.0).theta
        thetas.append(theta)
    return np.array(thetas), np.array(steps)


def plot_iht_path(
    fun: Callable,
    theta0: ArrayLike,
    step: float,
    n_steps: int = 4,
    axes: Sequence[Axes] | None = None,
    titles: Sequence[str] | None = None,
) -> Figure:
    """IHT with s = 1 on a function of two parameters, drawn over its loss contours.

    Parameters
    ----------
    fun : callable
        ``fun(θ) -> (loss, grad)`` for θ of shape (B, 2), for example an ``il.Quadratic``
        with a 2×2 matrix.
    theta0 : array_like, shape (2,) or (P, 2)
        One start per panel, each with at most one nonzero (a point of C_1).
    step : float
        The step size γ > 0.
    n_steps : int, default 4
        Number of IHT steps drawn (1 to 50); each is one call of ``iht(..., max_iter=1)``.
    axes : sequence of P Axes, optional
    titles : sequence of P str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Per panel: the contours of f, the two axes that make up C_1 (bold), the iterates θ^k
        (numbered dots), each gradient step θ^k → v^k = θ^k - γ∇f(θ^k) (dashed arrow, v^k a
        cross) and each projection v^k → θ^{k+1} onto the nearer axis (dotted).
    """
    from .validation import check_step  # here, not at the top: see _iht_path_data

    if not callable(fun):
        raise TypeError(f"fun must be callable, fun(θ) -> (loss, grad), got {type(fun).__name__}")
    starts = check_array(theta0, "theta0", ndim=(1, 2))
    starts = np.atleast_2d(starts)
    if starts.shape[1] != 2:
        raise ValueError(f"theta0 must have shape (2,) or (P, 2): two parameters, got {np.shape(theta0)}")
    if np.any(np.count_nonzero(starts, axis=1) > 1):
        raise ValueError("theta0 must lie in C_1: each start has at most one nonzero entry")
    step = float(check_step(step))
    n_steps = check_integer(n_steps, "n_steps", low=1, high=50)
    P = starts.shape[0]
    if titles is not None and len(titles) != P:
        raise ValueError(f"titles has {len(titles)} entries for {P} starts; pass one title per start")
    if axes is None:
        fig, axes = plt.subplots(1, P, figsize=(4.6 * P, 4.4), layout="constrained", squeeze=False)
        axes = axes[0]
    elif len(axes) != P:
        raise ValueError(f"axes has {len(axes)} entries for {P} starts; pass one Axes per start")
    else:
        fig = axes[0].figure
    paths = [_iht_path_data(fun, start, step, n_steps) for start in starts]
    for ax, (thetas, vs), title in zip(axes, paths, titles or [None] * P, strict=True):
        pts = np.vstack([thetas, vs, np.zeros((1, 2))])
        lo, hi = float(pts.min()), float(pts.max())  # one range for both axes: a square panel
        pad = 0.12 * max(hi - lo, 1.0)
        lo, hi = lo - pad, hi + pad
        g0, g1 = np.meshgrid(np.linspace(lo, hi, 161), np.linspace(lo, hi, 161))
        values = np.asarray(fun(np.stack([g0.ravel(), g1.ravel()], axis=1))[0], dtype=float).reshape(g0.shape)
        levels = np.unique(np.quantile(values, np.linspace(0.0, 0.9, 13) ** 2))  # denser near the minimum
        ax.contour(g0, g1, values, levels=levels, cmap="Greys", linewidths=0.7, alpha=0.8)
        ax.axhline(0.0, color="C0", lw=3.5, alpha=0.45, zorder=1, label=r"$C_1$: the two axes")
        ax.axvline(0.0, color="C0", lw=3.5, alpha=0.45, zorder=1)
        for k, (theta, v, nxt) in enumerate(zip(thetas[:-1], vs, thetas[1:], strict=True)):
            ax.annotate("", xy=v, xytext=theta, arrowprops=dict(arrowstyle="->", color="C1", ls="--", lw=1.3), zorder=3)
            ax.plot([v[0], nxt[0]], [v[1], nxt[1]], ":", color="C2", lw=1.6, zorder=3)
            ax.plot(*v, "x", color="C1", ms=7, mew=2, zorder=4, label=r"gradient step $v^k$" if k == 0 else None)
        ax.plot(thetas[:, 0], thetas[:, 1], "o", color="C3", ms=6, zorder=5, label=r"iterates $\theta^k$")
        shown = []  # number the iterates, except those too close to one already numbered
        for k, theta in enumerate(thetas):
            if all(np.linalg.norm(theta - other) > 0.04 * (hi - lo) for other in shown):
                ax.annotate(str(k), theta, xytext=(4, 5), textcoords="offset points", fontsize=9, color="C3")
                shown.append(theta)
        ax.plot([], [], ":", color="C2", lw=1.6, label=r"projection onto $C_1$")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")
        ax.set_xlabel(r"$\theta_0$")
        ax.set_ylabel(r"$\theta_1$")
        if title:
            ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=8, loc="best", framealpha=0.9)
    return fig


def plot_fixed_point_band(
    fun: Callable,
    theta: ArrayLike,
    s: int,
    step: float,
    labels: Sequence[str] | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """The fixed-point test of IHT at one or more points: |∇_i f(θ)| against the band M_s/γ.

    Parameters
    ----------
    fun : callable
        ``fun(θ) -> (loss, grad)`` for θ of shape (B, n).
    theta : array_like, shape (n,) or (P, n)
        The points, each with at most s nonzeros; one panel per point.
    s : int
        The sparsity level.
    step : float
        The step size γ > 0 the test is made for.
    labels : sequence of P str, optional
        Panel titles (the classification by :func:`ihtlib.ht_stability` is added below).
    axes : sequence of P Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Per point: one bar |∇_i f(θ)| per coordinate i off the support S (blue inside the
        band, red above it), a hatched bar |θ_j|/γ per coordinate j on S (the smallest of
        them is the band's edge), the band [0, M_s(θ)/γ] shaded and its edge drawn, and
        the classification of :func:`ihtlib.ht_stability` (default tol).
        A stationary point is a fixed point of IHT exactly when every off-support bar
        stays inside the band.
    """
    from .iht import ht_stability  # here, not at the top: see _iht_path_data

    if not callable(fun):
        raise TypeError(f"fun must be callable, fun(θ) -> (loss, grad), got {type(fun).__name__}")
    points = np.atleast_2d(check_array(theta, "theta", ndim=(1, 2)))
    P, n = points.shape
    report = ht_stability(fun, points, s, step)
    if labels is not None and len(labels) != P:
        raise ValueError(f"labels has {len(labels)} entries for {P} points; pass one label per point")
    grads = np.abs(np.asarray(fun(points)[1], dtype=float))
    if axes is None:
        fig, axes = plt.subplots(1, P, figsize=(4.4 * P, 3.6), layout="constrained", squeeze=False, sharey=True)
        axes = axes[0]
    elif len(axes) != P:
        raise ValueError(f"axes has {len(axes)} entries for {P} points; pass one Axes per point")
    else:
        fig = axes[0].figure
    step_p = np.broadcast_to(np.asarray(step, dtype=float), (P,))
    top = 1.3 * max(float(grads.max()), float(np.max(np.abs(points) / step_p[:, None])), 1e-12)
    idx = np.arange(n)
    for p, ax in enumerate(axes):
        on = points[p] != 0
        band = float(report.threshold[p])
        above = ~on & (grads[p] > band + report.tol)
        inside = ~on & ~above
        ax.axhspan(0.0, band, color="C2", alpha=0.15, label=r"band $|\nabla_i f| \leq M_s/\gamma$")
        ax.axhline(band, color="C2", lw=2)
        ax.text(n - 0.6, band, rf"$M_s/\gamma$ = {band:.3g}", color="C2", ha="right", va="bottom", fontsize=9)
        bars = (
            (
                on,
                np.abs(points[p]) / step_p[p],
                dict(color="none", edgecolor="0.45", hatch="//", lw=0.8),
                r"$|\theta_j|/\gamma$ on the support ($j \in S$)",
            ),
            (inside, grads[p], dict(color="C0", edgecolor="k", lw=0.5), r"$|\nabla_i f|$ off $S$, inside the band"),
            (above, grads[p], dict(color="C3", edgecolor="k", lw=0.5), r"$|\nabla_i f|$ off $S$, above the band"),
        )
        for mask, height, style, label in bars:
            if mask.any():
                ax.bar(idx[mask], height[mask], width=0.6, label=label, **style)
        ax.set_xticks(idx, [f"{i}\n(S)" if on[i] else str(i) for i in idx])
        ax.set_ylim(0, top)
        ax.set_xlabel("coordinate i  ((S): on the support)")
        ax.set_ylabel(r"$|\nabla_i f(\theta)|$")
        if not report.is_stationary[p]:
            kind = "not stationary"
        elif report.is_ht_unstable[p]:
            kind = "HT-unstable"
        elif report.support_locked[p]:
            kind = "HT-stable, support locked"
        else:
            kind = "HT-stable, degenerate (a tie)"
        head = labels[p] + "\n" if labels is not None else ""
        ax.set_title(f"{head}{kind}, margin {report.margin[p]:.3g}", fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    handles = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(handles.values(), handles.keys(), fontsize=8, loc="outside lower center", ncol=2)
    return fig
