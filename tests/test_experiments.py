"""ihtlib.experiments: the sparsity sweep, the dense reference, and the summary tables."""

import numpy as np
import pandas as pd
import pytest

import ihtlib as il

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


def test_sweep_starts_from_documented_seed(model, iris, fun):
    """Starts at level s use default_rng([seed, s]): a sweep with max_iter = 1 is one IHT step from them."""
    table = il.sparsity_sweep(model, iris, [3], n_starts=4, step=0.5, max_iter=1, seed=9)
    theta0 = il.random_sparse_init(15, 3, size=4, seed=[9, 3])
    expected = il.iht(fun, theta0, 3, 0.5, max_iter=1)
    np.testing.assert_allclose(np.stack(table.theta.to_list()), expected.theta, rtol=1e-12)


def test_sweep_reproducible(sweep, model, iris):
    again = il.sparsity_sweep(model, iris, [2, 5], n_starts=5, max_iter=200, seed=0, n_monte=200)
    pd.testing.assert_frame_equal(sweep.drop(columns="theta"), again.drop(columns="theta"))
    np.testing.assert_array_equal(np.stack(sweep.theta.to_list()), np.stack(again.theta.to_list()))
    other = il.sparsity_sweep(model, iris, [2, 5], n_starts=5, max_iter=200, seed=1, n_monte=200)
    assert not np.array_equal(np.stack(sweep.theta.to_list()), np.stack(other.theta.to_list()))


def test_sweep_does_not_depend_on_n_jobs(sweep, model, iris):
    serial = il.sparsity_sweep(model, iris, [5, 2], n_starts=5, max_iter=200, seed=0, n_monte=200, n_jobs=1)
    threaded = il.sparsity_sweep(model, iris, [5, 2], n_starts=5, max_iter=200, seed=0, n_monte=200, n_jobs=3)
    pd.testing.assert_frame_equal(serial.drop(columns="theta"), threaded.drop(columns="theta"))
    assert list(serial.s) == [5] * 5 + [2] * 5  # rows in the order of s_values
    # and the level-5 rows equal those of the (default-threaded) fixture sweep
    a = sweep[sweep.s == 5].drop(columns="theta").reset_index(drop=True)
    pd.testing.assert_frame_equal(serial[serial.s == 5].drop(columns="theta").reset_index(drop=True), a)


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
