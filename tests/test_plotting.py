"""ihtlib.plotting: every figure function returns a Figure with labelled axes showing the data."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import ihtlib as il
from ihtlib.plotting import plot_escape


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _labelled(ax):
    return ax.get_xlabel().strip() != "" and ax.get_ylabel().strip() != ""


def test_backend_is_agg():
    import matplotlib

    assert matplotlib.get_backend().lower() == "agg"


def test_plot_losses_array_and_result(fun, bound):
    res = il.iht(fun, il.random_sparse_init(15, 4, size=3, seed=0), 4, 1.0 / bound, max_iter=20)
    fig = il.plot_losses(res, labels=["a", "b", "c"], title="three runs")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert _labelled(ax) and "iteration" in ax.get_xlabel() and "loss" in ax.get_ylabel()
    assert ax.get_title() == "three runs"
    lines = ax.get_lines()
    assert len(lines) == 3
    for line, row in zip(lines, res.losses, strict=True):
        np.testing.assert_array_equal(line.get_ydata(), row)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(row.size))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    fig2 = il.plot_losses(res.losses[0], log_x=True)
    (ax2,) = fig2.axes
    assert ax2.get_xscale() == "log" and _labelled(ax2)
    assert ax2.get_lines()[0].get_xdata()[0] == 1  # iteration 0 drawn at 1


def test_plot_losses_into_given_axes():
    fig, axes = plt.subplots(1, 2)
    out = il.plot_losses(np.array([3.0, 2.0, 1.0]), ax=axes[1])
    assert out is fig
    assert len(axes[1].get_lines()) == 1 and len(axes[0].get_lines()) == 0


def test_plot_sweep():
    table = pd.DataFrame(
        dict(s=[1, 1, 2, 2, 3, 3], loss=[0.9, 0.7, 0.3, 0.2, 0.1, 0.12], test_acc=[0.6, 0.7, 0.9, 0.93, 0.97, 0.97])
    )
    fig = il.plot_sweep(table, dense_loss=0.06, dense_acc=1.0)
    assert isinstance(fig, Figure)
    ax_loss, ax_acc = fig.axes
    assert _labelled(ax_loss) and _labelled(ax_acc)
    assert "loss" in ax_loss.get_ylabel() and "accuracy" in ax_acc.get_ylabel()
    assert "s" in ax_loss.get_xlabel()
    assert ax_loss.get_yscale() == "log"
    # the median line and the dense reference
    median = [ln for ln in ax_loss.get_lines() if ln.get_label() == "median"][0]
    np.testing.assert_allclose(median.get_ydata(), [0.8, 0.25, 0.11])
    dense = [ln for ln in ax_acc.get_lines() if ln.get_label() == "dense network"][0]
    np.testing.assert_allclose(dense.get_ydata(), [100.0, 100.0])  # accuracy drawn in percent
    acc_median = [ln for ln in ax_acc.get_lines() if ln.get_label() == "median"][0]
    np.testing.assert_allclose(acc_median.get_ydata(), [65.0, 91.5, 97.0])


def test_plot_ratio_histogram(fun, bound):
    est = il.estimate_l2s(fun, 15, 3, n_monte=200, seed=0)
    fig = il.plot_ratio_histogram(est, bound=bound, bins=20)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert _labelled(ax)
    assert ax.get_title() == "s = 3, n_monte = 200"
    assert sum(p.get_height() for p in ax.patches) == 200  # every ratio in one bin
    xs = sorted(ln.get_xdata()[0] for ln in ax.get_lines())
    np.testing.assert_allclose(xs, sorted([est.value, bound]))


def test_plot_weights(model, iris):
    theta = np.zeros(15)
    theta[[0, 11, 13]] = [1.5, -0.75, 0.25]
    fig = il.plot_weights(theta, model, iris.feature_names, iris.class_names)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes[:1]
    # a heat map: the axes are labelled by their tick labels (features + bias, classes)
    assert [t.get_text() for t in ax.get_xticklabels()] == iris.feature_names + ["bias"]
    assert [t.get_text() for t in ax.get_yticklabels()] == iris.class_names
    assert ax.get_title() == "3 nonzero parameters"
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 15 and texts.count("·") == 12
    assert {"1.50", "-0.75", "0.25"} <= set(texts)
    img = ax.get_images()[0].get_array()
    assert img.shape == (3, 5)
    assert img[0, 0] == 1.5 and img[2, 3] == -0.75 and img[1, 4] == 0.25  # W[virginica, petal width], b[versicolor]
    assert np.ma.is_masked(img[0, 1])  # zeros are left blank


def test_plot_weights_default_names(model):
    fig = il.plot_weights(np.arange(15.0), model, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x0", "x1", "x2", "x3", "bias"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]
    assert ax.get_title() == "t"


def test_plot_escape():
    eps = np.array([1e-1, 1e-4, 1e-7])
    distance = np.array(
        [
            [[3.0, 3.1], [3.0, 3.2], [3.0, 3.0]],  # left from every start
            [[1e-2, 2.0], [0.0, 2.0], [1e-9, 2.0]],  # returned from the first direction
        ]
    )
    fig = plot_escape(eps, distance, labels=["unstable", "tie"], title="escape")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert _labelled(ax) and ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_title() == "escape"
    points = ax.collections
    assert len(points) == 2
    xs, ys = [c.get_offsets()[:, 0] for c in points], [c.get_offsets()[:, 1] for c in points]
    for p in range(2):
        # one marker per run, in (distance, direction) order; 0 drawn at min(eps) / 100
        np.testing.assert_allclose(ys[p], np.maximum(distance[p].ravel(), 1e-9))
        ratio = xs[p] / np.repeat(eps, 2)
        np.testing.assert_allclose(ratio, ratio[0])  # the same small sideways shift for all runs of a point
    assert xs[0][0] < eps[0] < xs[1][0] and xs[1][0] / xs[0][0] < 1.5  # shifted apart, but only slightly
    (diagonal,) = ax.get_lines()
    np.testing.assert_allclose(diagonal.get_xdata(), [1e-7, 1e-1])
    np.testing.assert_allclose(diagonal.get_ydata(), [1e-7, 1e-1])
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[:2] == ["unstable", "tie"] and "start" in texts[2]


def test_plot_escape_one_point_and_given_axes():
    fig, axes = plt.subplots(1, 2)
    out = plot_escape([1e-2, 1e-3], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], ax=axes[0])
    assert out is fig
    assert len(axes[0].collections) == 1 and len(axes[0].collections[0].get_offsets()) == 6
    assert len(axes[1].collections) == 0


@pytest.mark.parametrize(
    "eps, distance, labels, match",
    [
        ([1e-1, 1e-2], np.ones((3, 2)), None, r"^eps must have shape \(E,\) and distance"),  # 3 rows for 2 eps
        ([1e-1, 0.0], np.ones((2, 2)), None, r"^eps must be finite and > 0"),
        ([1e-1, 1e-2], -np.ones((2, 2)), None, r"distance finite and >= 0"),
        ([1e-1, 1e-2], np.full((2, 2), np.nan), None, r"^distance contains 4 NaN"),
        ([1e-1, 1e-2], np.ones((2, 2, 2)), ["only one"], r"^1 labels for 2 points"),
    ],
)
def test_plot_escape_rejects_bad_input(eps, distance, labels, match):
    with pytest.raises(ValueError, match=match):
        plot_escape(eps, distance, labels=labels)
