"""Figures of runs and experiments: what IHT did, drawn from its results.

Every function takes an optional ``ax`` (or ``axes``) to draw into and returns the Figure,
so a chapter can caption it and a script can save it.

==========================  ========================================================
``plot_losses``             training loss against iteration (chapters 1, 4, 5, 6, 10)
``plot_sweep``              the sparsity sweep: loss and accuracy against s (chapters 6, 7, 9)
``plot_ratio_histogram``    the Monte Carlo ratios behind the estimate of L2s (chapter 4)
``plot_weights``            the surviving weights of one softmax layer (chapters 6, 8)
``plot_escape``             where IHT ends against how close to θ* it starts (chapter 5)
==========================  ========================================================
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..classifier import feature_and_class_names
from ..experiments import summarize_sweep
from ..model import SoftmaxLayer
from ..rss import L2sEstimate
from ..validation import check_array, check_integer, check_real, check_table

__all__ = ["plot_losses", "plot_sweep", "plot_ratio_histogram", "plot_weights", "plot_escape"]


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
    feature_names, class_names = feature_and_class_names(feature_names, class_names, d, K)
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
