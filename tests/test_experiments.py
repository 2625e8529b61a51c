"""ihtlib.experiments: the sparsity sweep, the dense reference, and the summary tables."""

import numpy as np
import pandas as pd
import pytest

import ihtlib as il
from ihtlib.fast.sweep import BLOCK, iht_in_blocks

COLUMNS = [
    "s",
    "start",
    "step",
    "l2s",
    "loss",
    "train_acc",
    "test_acc",
    "nnz",
    "support",
    "n_iter",
    "status",
    "monotone",
    "support_changed_at",
    "grad_norm_support",
    "stationary",
    "ht_stable",
    "support_locked",
    "margin",
    "theta",
]


@pytest.fixture(scope="module")
def sweep(model, iris):
    return il.sparsity_sweep(model, iris, [2, 5], n_starts=5, max_iter=200, seed=0, n_monte=200)


def test_sweep_columns_and_rows(sweep):
    assert list(sweep.columns) == COLUMNS
    assert len(sweep) == 10
    assert list(zip(sweep.s, sweep.start, strict=True)) == [(s, r) for s in (2, 5) for r in range(5)]


def test_sweep_values(sweep, model, iris, fun):
    assert np.all(sweep.nnz <= sweep.s)
    assert all(len(sup) == nnz for sup, nnz in zip(sweep.support, sweep.nnz, strict=True))
    assert sweep.train_acc.between(0, 1).all() and sweep.test_acc.between(0, 1).all()
    assert set(sweep.status) <= {"converged", "max_iter", "diverged"}
    assert np.all((sweep.n_iter >= 1) & (sweep.n_iter <= 200))
    for _, row in sweep.iterrows():
        theta = row.theta
        assert theta.shape == (15,)
        assert il.support(theta) == row.support
        assert row.loss == pytest.approx(fun.loss(theta), rel=1e-12)
        assert row.train_acc == model.accuracy(theta, iris.X_train, iris.y_train)
        assert row.test_acc == model.accuracy(theta, iris.X_test, iris.y_test)
        assert row.step == pytest.approx(1.0 / row.l2s)
        assert row.loss < np.log(3.0)  # better than θ = 0
    # the default step is 1/L̂2s from the Monte Carlo estimate at that s
    for s in (2, 5):
        est = il.estimate_l2s(fun, 15, s, n_monte=200, seed=0)
        np.testing.assert_allclose(sweep.loc[sweep.s == s, "l2s"], est.value, rtol=1e-12)
    # margins agree with a fresh HT-stability report
    sub = sweep[sweep.s == 5]
    rep = il.ht_stability(fun, np.stack(sub.theta.to_list()), 5, sub.step.iloc[0])
    np.testing.assert_allclose(sub.margin, rep.margin, rtol=1e-12)
    np.testing.assert_allclose(sub.grad_norm_support, rep.grad_norm_support, rtol=1e-12)
    np.testing.assert_array_equal(sub.stationary, rep.is_stationary)
    np.testing.assert_array_equal(sub.ht_stable, rep.is_ht_stable)
    np.testing.assert_array_equal(sub.support_locked, rep.support_locked)


def test_sweep_starts_are_the_starts_of_the_table_rows(model, iris, fun):
    """Row (s, start=r) of a sweep starts at sweep_starts(model, s, n_starts, seed)[r]: max_iter = 1 is one step."""
    table = il.sparsity_sweep(model, iris, [3, 7], n_starts=4, step=0.5, max_iter=1, seed=9)
    for s in (3, 7):
        starts = il.sweep_starts(model, s, 4, seed=9)
        assert starts.shape == (4, 15) and np.all(np.count_nonzero(starts, axis=1) == s)
        rows = table[table.s == s].sort_values("start")
        expected = il.iht(fun, starts, s, 0.5, max_iter=1).theta
        np.testing.assert_allclose(np.stack(rows.theta.to_list()), expected, rtol=1e-12)
    # the levels draw independent starts, and another seed other starts
    assert not np.array_equal(il.sweep_starts(model, 3, 4, seed=9), il.sweep_starts(model, 3, 4, seed=8))


def test_sweep_starts_with_an_init_and_a_seed_sequence():
    net = il.MLP([4, 5, 3])
    split = il.load_iris_split()
    table = il.sparsity_sweep(net, split, [6], n_starts=3, step=0.2, max_iter=1, seed=[4, 2], init=net.init)
    starts = il.sweep_starts(net, 6, 3, seed=[4, 2], init=net.init)
    np.testing.assert_array_equal(starts, net.init(6, size=3, seed=[4, 2, 6]))  # the documented seeding
    fun = net.objective(split.X_train, split.y_train)
    np.testing.assert_allclose(np.stack(table.theta.to_list()), il.iht(fun, starts, 6, 0.2, max_iter=1).theta)


def test_sweep_reproducible(sweep, model, iris):
    again = il.sparsity_sweep(model, iris, [2, 5], n_starts=5, max_iter=200, seed=0, n_monte=200)
    pd.testing.assert_frame_equal(sweep.drop(columns="theta"), again.drop(columns="theta"))
    np.testing.assert_array_equal(np.stack(sweep.theta.to_list()), np.stack(again.theta.to_list()))
    other = il.sparsity_sweep(model, iris, [2, 5], n_starts=5, max_iter=200, seed=1, n_monte=200)
    assert not np.array_equal(np.stack(sweep.theta.to_list()), np.stack(other.theta.to_list()))


def test_threaded_sweep_with_more_runs_than_one_block(model, iris, fun):
    """More runs than one block of the fast layer: serial, threaded and one plain IHT call agree."""
    n = BLOCK // 2 + 10
    assert 2 * n > BLOCK
    kw = dict(n_starts=n, step=0.6, max_iter=150, seed=3)
    serial = il.sparsity_sweep(model, iris, [5, 2], n_jobs=1, **kw)
    threaded = il.sparsity_sweep(model, iris, [5, 2], n_jobs=2, **kw)
    pd.testing.assert_frame_equal(serial.drop(columns="theta"), threaded.drop(columns="theta"), check_exact=True)
    assert list(serial.s) == [5] * n + [2] * n  # rows in the order of s_values
    starts = np.concatenate([il.sweep_starts(model, s, n, seed=3) for s in (5, 2)])
    plain = il.iht(fun, starts, np.repeat([5, 2], n), 0.6, max_iter=150)
    np.testing.assert_allclose(np.stack(serial.theta.to_list()), plain.theta, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(serial.n_iter, plain.n_iter)
    np.testing.assert_array_equal(serial.status, plain.status)


@pytest.mark.parametrize("n_jobs", [1, 3])
def test_blocks_agree_with_one_iht_call(model, iris, n_jobs):
    """The fast layer (blocks on threads) against one batched IHT call: per-run s, per-run steps, diverging runs."""
    fun = model.objective(iris.X_train, iris.y_train, ridge=0.1)  # the ridge lets some runs converge
    rng = np.random.default_rng(11)
    block = 64  # small blocks: many of them, on threads
    R = 2 * block + 37
    s = rng.integers(1, 16, size=R)
    theta0 = np.stack([il.random_sparse_init(15, int(k), seed=rng) for k in s])
    step = rng.choice([0.3, 1.0, 40.0], size=R)  # γ = 40 makes runs diverge
    blocks = iht_in_blocks(fun, theta0, s, step, max_iter=100, tol=1e-6, n_jobs=n_jobs, block=block)
    one = il.iht(fun, theta0, s, step, max_iter=100, tol=1e-6)
    assert {"converged", "max_iter", "diverged"} <= set(one.status)
    np.testing.assert_allclose(blocks.theta, one.theta, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(blocks.losses, one.losses, rtol=1e-12)
    for name in ("n_iter", "status", "support_changed_at", "monotone", "s", "step"):
        np.testing.assert_array_equal(getattr(blocks, name), getattr(one, name))
    assert blocks.message == one.message


def test_sweep_and_dense_reference_pass_the_settling_rule_on(model, iris, fun):
    """``settle`` reaches every run of the sweep (blocks of the fast layer) and the dense reference."""
    kw = dict(n_starts=40, step=0.6, max_iter=3000, seed=2)
    table = il.sparsity_sweep(model, iris, [1, 2], settle=50, settle_rtol=1e-3, **kw)
    paper = il.sparsity_sweep(model, iris, [1, 2], **kw)
    assert "settled" in set(table.status) and "settled" not in set(paper.status)
    assert (table.n_iter <= paper.n_iter).all() and (table.n_iter < paper.n_iter).any()
    starts = np.concatenate([il.sweep_starts(model, s, 40, seed=2) for s in (1, 2)])
    one = il.iht(fun, starts, np.repeat([1, 2], 40), 0.6, max_iter=3000, settle=50, settle_rtol=1e-3)
    np.testing.assert_array_equal(table.status, one.status)
    np.testing.assert_array_equal(table.n_iter, one.n_iter)
    dense = il.train_dense(model, iris.X_train, iris.y_train, max_iter=3000, ridge=0.1, settle=50)
    dense_paper = il.train_dense(model, iris.X_train, iris.y_train, max_iter=3000, ridge=0.1)
    assert dense.status == "settled" and dense_paper.status == "converged" and dense.n_iter < dense_paper.n_iter


def test_blocks_agree_with_one_iht_call_with_the_settling_rule(model, iris):
    fun = model.objective(iris.X_train, iris.y_train, ridge=0.1)
    rng = np.random.default_rng(12)
    R = 64 + 41
    s = rng.integers(1, 16, size=R)
    theta0 = np.stack([il.random_sparse_init(15, int(k), seed=rng) for k in s])
    step = rng.choice([0.3, 1.0, 40.0], size=R)
    kw = dict(max_iter=300, tol=1e-9, settle=30, settle_rtol=1e-3)
    blocks = iht_in_blocks(fun, theta0, s, step, block=64, **kw)
    one = il.iht(fun, theta0, s, step, **kw)
    assert {"settled", "diverged"} <= set(one.status)
    np.testing.assert_allclose(blocks.theta, one.theta, rtol=1e-12, atol=1e-15)
    for name in ("n_iter", "status", "support_changed_at", "monotone"):
        np.testing.assert_array_equal(getattr(blocks, name), getattr(one, name))


def test_sweep_with_bound_step_is_monotone(model, iris, bound):
    table = il.sparsity_sweep(model, iris, [1, 4], n_starts=3, step="bound", max_iter=100)
    np.testing.assert_allclose(table.step, 1.0 / bound)
    np.testing.assert_allclose(table.l2s, bound)
    assert table.monotone.all()
    with pytest.raises(ValueError, match="step"):
        il.sparsity_sweep(model, iris, [2], n_starts=2, step="huge", max_iter=5)
    with pytest.raises(ValueError, match=r"^s must satisfy"):
        il.sparsity_sweep(model, iris, [16], n_starts=2, step=0.5, max_iter=5)


def test_train_dense(model, iris):
    res = il.train_dense(model, iris.X_train, iris.y_train, max_iter=1500)
    assert res.losses[0] == pytest.approx(np.log(3.0), rel=1e-14)
    assert res.loss < 0.1 < np.log(3.0)
    assert res.monotone
    assert np.count_nonzero(res.theta) == 15
    assert res.step == pytest.approx(1.0 / il.smoothness_bound(iris.X_train))
    assert model.accuracy(res.theta, iris.X_train, iris.y_train) >= 0.95
    assert model.accuracy(res.theta, iris.X_test, iris.y_test) >= 0.9
    # plain gradient descent: the gradient norm is small at the end
    assert np.linalg.norm(model.grad(res.theta, iris.X_train, iris.y_train)) < 0.05
    ridge = il.train_dense(model, iris.X_train, iris.y_train, max_iter=1500, ridge=0.1)
    assert np.linalg.norm(ridge.theta) < np.linalg.norm(res.theta)


# ------------------------------------------------------------------ summary tables
@pytest.fixture
def table():
    return pd.DataFrame(
        dict(
            s=[1, 1, 1, 1, 2, 2, 2, 3],
            loss=[0.9, 0.5, 0.7, 0.3, 0.12, 0.2, 0.11, 0.105],
            test_acc=[0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 1.0, 0.95],
        )
    )


def test_summarize_sweep(table):
    summary = il.summarize_sweep(table)
    assert list(summary.index) == [1, 2, 3]
    assert list(summary.columns.get_level_values(0).unique()) == ["loss", "test_acc"]
    assert list(summary["loss"].columns) == ["min", "q25", "median", "q75", "max", "mean"]
    loss1 = np.array([0.9, 0.5, 0.7, 0.3])
    row = summary.loc[1, "loss"]
    assert row["min"] == 0.3 and row["max"] == 0.9
    assert row["median"] == pytest.approx(np.median(loss1))
    assert row["q25"] == pytest.approx(np.quantile(loss1, 0.25))
    assert row["q75"] == pytest.approx(np.quantile(loss1, 0.75))
    assert row["mean"] == pytest.approx(loss1.mean())
    assert summary.loc[2, ("test_acc", "mean")] == pytest.approx(2.8 / 3)
    assert summary.loc[3, ("loss", "q25")] == 0.105
    only = il.summarize_sweep(table, columns=("loss",))
    assert list(only.columns.get_level_values(0).unique()) == ["loss"]


def test_epsilon_optimal_logic(table):
    dense = 0.1
    out = il.epsilon_optimal(table, dense, [0.001, 0.011, 0.05, 0.5, 1.0], statistic="median")
    assert list(out.columns) == ["eps", "smallest_s", "fraction_of_runs"]
    assert len(out) == 5
    np.testing.assert_allclose(out.eps, [0.001, 0.011, 0.05, 0.5, 1.0])
    # medians: s=1 -> 0.6, s=2 -> 0.12, s=3 -> 0.105
    assert pd.isna(out.smallest_s[0]) and pd.isna(out.fraction_of_runs[0])
    assert out.smallest_s[1] == 3 and out.fraction_of_runs[1] == 1.0
    assert out.smallest_s[2] == 2 and out.fraction_of_runs[2] == pytest.approx(2 / 3)
    assert out.smallest_s[3] == 1 and out.fraction_of_runs[3] == pytest.approx(2 / 4)  # 0.5 and 0.3 <= 0.6
    assert out.smallest_s[4] == 1 and out.fraction_of_runs[4] == 1.0
    best = il.epsilon_optimal(table, dense, [0.011, 0.25], statistic="min")
    # minima: s=1 -> 0.3, s=2 -> 0.11, s=3 -> 0.105
    assert best.smallest_s[0] == 2 and best.fraction_of_runs[0] == pytest.approx(1 / 3)
    assert best.smallest_s[1] == 1 and best.fraction_of_runs[1] == pytest.approx(1 / 4)
    with pytest.raises(ValueError, match="statistic"):
        il.epsilon_optimal(table, dense, [0.1], statistic="mean")


def test_epsilon_optimal_types_as_documented(table):
    out = il.epsilon_optimal(table, 0.1, [0.001, 0.05])
    assert out.smallest_s[0] is None
    assert isinstance(out.smallest_s[1], (int, np.integer))
