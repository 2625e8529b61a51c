"""The intuition figures of chapter 5: one IHT step drawn, and the fixed-point test.

==========================  ========================================================
``plot_iht_path``           IHT with s = 1 on two parameters: gradient step, then projection
                            onto C_1, over the loss contours
``plot_fixed_point_band``   the fixed-point test of IHT, |∇_i f(θ)| against the band M_s/γ,
                            with the classification of :func:`ihtlib.ht_stability`
==========================  ========================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..iht import iht_step
from ..stability import ht_stability
from ..validation import check_array, check_callable, check_integer, check_step

__all__ = ["plot_iht_path", "plot_fixed_point_band"]


def _iht_path_data(fun: Callable, start: np.ndarray, step: float, n_steps: int):
    """θ⁰, …, θ^K (one :func:`~ihtlib.iht_step` each) and the gradient steps v⁰, …, v^{K-1}."""
    thetas, steps = [start], []
    theta = start
    for _ in range(n_steps):
        grad = np.asarray(fun(theta[None])[1], dtype=float)[0]
        steps.append(theta - step * grad)
        theta = iht_step(fun, theta, 1, step)
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
        Number of IHT steps drawn (1 to 50); each is one :func:`~ihtlib.iht_step`.
    axes : sequence of P Axes, optional
    titles : sequence of P str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Per panel: the contours of f, the two axes that make up C_1 (bold), the iterates θ^k
        (numbered dots), each gradient step θ^k → v^k = θ^k - γ∇f(θ^k) (dashed arrow, v^k a
        cross) and each projection v^k → θ^{k+1} onto the nearer axis (dotted).
    """
    check_callable(fun, "fun", "fun(θ) -> (loss, grad)")
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
    check_callable(fun, "fun", "fun(θ) -> (loss, grad)")
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
