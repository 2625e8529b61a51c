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


def test_plot_restricted_curvature():
    A = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]])  # exercise 3.2
    quad, lam = il.Quadratic(A), np.linalg.eigvalsh(A)[-1]
    fig = il.plot_restricted_curvature(A, 1, n_directions=300, seed=0)
    assert isinstance(fig, Figure)
    left, right = fig.axes
    assert _labelled(left) and _labelled(right)
    assert "curvature" in left.get_xlabel() and "stretch" in left.get_ylabel()
    # right panel: the exact constants for s = 1, 2 (sets of 2 and 3 coordinates) and the global one
    val, grad, glob = right.get_lines()[:3]
    np.testing.assert_allclose(val.get_ydata(), [quad.restricted_constant(k, form="value") for k in (1, 2)])
    np.testing.assert_allclose(grad.get_ydata(), [quad.restricted_constant(k, form="gradient") for k in (1, 2)])
    np.testing.assert_allclose(glob.get_ydata(), [lam, lam])
    # left panel: directions on 2 coordinates stay within L_val and L_grad; all directions lie
    # between the two enclosing curves u'Hu <= ||Hu|| <= sqrt(lambda_max u'Hu)
    dense, sparse = (np.asarray(c.get_offsets()) for c in left.collections[:2])
    assert dense.shape == sparse.shape == (300, 2)
    L_val, L_grad = quad.restricted_constant(1, form="value"), quad.restricted_constant(1, form="gradient")
    assert sparse[:, 0].max() <= L_val + 1e-12 and sparse[:, 1].max() <= L_grad + 1e-12
    assert dense[:, 0].max() > L_val  # a dense direction sees more curvature than any sparse one
    for pts in (dense, sparse):
        assert np.all(pts[:, 1] >= pts[:, 0] - 1e-12) and np.all(pts[:, 1] ** 2 <= lam * pts[:, 0] + 1e-12)
    texts = [t.get_text() for t in left.get_legend().get_texts()]
    assert any(f"{L_val:.3f}" in t for t in texts) and any(f"{L_grad:.3f}" in t for t in texts)
    assert any(f"{lam:.3f}" in t for t in texts)
    # the same seed draws the same directions; into given axes
    fig2, axes = plt.subplots(1, 2)
    out = il.plot_restricted_curvature(A, 1, n_directions=300, seed=0, axes=axes)
    assert out is fig2
    np.testing.assert_array_equal(np.asarray(axes[0].collections[1].get_offsets()), sparse)


def test_plot_restricted_curvature_iris_hessian_at_zero(model, iris):
    """On the IRIS Hessian at 0, restriction to 2 coordinates lowers both constants (chapter 3)."""
    H = il.softmax_hessian(model, iris.X_train, np.zeros(model.n_params))
    fig = il.plot_restricted_curvature(H, 1, n_directions=100)
    val, grad, glob = fig.axes[1].get_lines()[:3]
    assert val.get_ydata()[0] < grad.get_ydata()[0] < glob.get_ydata()[0]
    np.testing.assert_allclose(val.get_ydata()[-1], glob.get_ydata()[0])  # 2s >= n: the global constant


def test_plot_iht_path():
    # s = 1 on a 2-parameter quadratic: the drawn iterates are those of il.iht, one step per call
    q = il.Quadratic(np.array([[1.0, 0.4], [0.4, 1.0]]), np.array([2.0, 2.6]))
    fig = il.plot_iht_path(q, [[5.0, 0.0], [-3.0, 0.0]], 0.5, n_steps=3, titles=["a", "b"])
    assert isinstance(fig, Figure)
    axes = fig.axes
    assert len(axes) == 2 and [ax.get_title() for ax in axes] == ["a", "b"]
    for ax, start in zip(axes, ([5.0, 0.0], [-3.0, 0.0]), strict=True):
        assert _labelled(ax)
        (dots,) = [ln for ln in ax.get_lines() if ln.get_label() == r"iterates $\theta^k$"]
        drawn = np.column_stack([dots.get_xdata(), dots.get_ydata()])
        expected = [np.array(start)]
        for _ in range(3):
            expected.append(il.iht(q, expected[-1], 1, 0.5, max_iter=1, tol=0.0).theta)
        np.testing.assert_allclose(drawn, expected)
        assert np.all(np.count_nonzero(drawn, axis=1) <= 1)  # every iterate on an axis of C_1
        crosses = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
        assert len(crosses) == 3  # one gradient step v^k per step
        v0 = np.array(start) - 0.5 * q(np.array(start))[1]
        np.testing.assert_allclose([crosses[0].get_xdata()[0], crosses[0].get_ydata()[0]], v0)
    # the right start jumps from the θ0-axis to the θ1-axis in its first step
    (dots,) = [ln for ln in axes[1].get_lines() if ln.get_label() == r"iterates $\theta^k$"]
    assert dots.get_xdata()[1] == 0 and dots.get_ydata()[1] > 0


def test_plot_iht_path_one_start_into_given_axes():
    fig, axes = plt.subplots(1, 2)
    q = il.Quadratic(np.eye(2), np.array([1.0, 2.0]))
    out = il.plot_iht_path(q, [0.0, 0.0], 0.5, n_steps=2, axes=[axes[1]])
    assert out is fig and len(axes[0].get_lines()) == 0 and len(axes[1].get_lines()) > 0


def test_plot_fixed_point_band():
    b = np.array([2.0, -1.6, 0.5, -1.1, 0.7, 0.3])
    q = il.Quadratic(np.eye(6), b)
    points = np.zeros((2, 6))
    points[0, [0, 1]] = b[[0, 1]]
    points[1, [2, 4]] = b[[2, 4]]
    fig = il.plot_fixed_point_band(q, points, 2, 0.5, labels=["stable", "unstable"])
    assert isinstance(fig, Figure)
    ax0, ax1 = fig.axes
    assert _labelled(ax0) and _labelled(ax1)
    assert ax0.get_title().startswith("stable\nHT-stable, support locked")
    assert ax1.get_title().startswith("unstable\nHT-unstable")
    # the band edge M_s/γ: 1.6/0.5 and 0.5/0.5
    edges = [[ln.get_ydata()[0] for ln in ax.get_lines()] for ax in (ax0, ax1)]
    np.testing.assert_allclose(edges, [[3.2], [1.0]])
    # bars: |θ_j|/γ on S, |∇_i f| = |b_i| off S; red exactly where the bar leaves the band
    heights = {c.get_label(): [p.get_height() for p in c.patches] for c in ax1.containers}
    np.testing.assert_allclose(sorted(heights[r"$|\theta_j|/\gamma$ on the support ($j \in S$)"]), [1.0, 1.4])
    np.testing.assert_allclose(sorted(heights[r"$|\nabla_i f|$ off $S$, above the band"]), [1.1, 1.6, 2.0])
    np.testing.assert_allclose(heights[r"$|\nabla_i f|$ off $S$, inside the band"], [0.3])
    assert not any("above" in c.get_label() for c in ax0.containers)  # nothing sticks out at the stable point
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(labels) == len(set(labels)) == 4


def test_plot_fixed_point_band_tie_and_not_stationary():
    q = il.Quadratic(np.diag([0.5, 1.0]), np.array([0.5, 2.0]))  # the tie of chapter 5
    fig = il.plot_fixed_point_band(q, [1.0, 0.0], 1, 0.5)
    assert "degenerate" in fig.axes[0].get_title()
    fig = il.plot_fixed_point_band(q, [2.0, 0.0], 1, 0.5)
    assert "not stationary" in fig.axes[0].get_title()
