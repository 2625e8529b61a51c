"""Tests of ihtlib.baselines: nonzero counts, refits, HTP."""

import warnings

import numpy as np
import pytest

import ihtlib as il
from ihtlib.baselines import feature_selection, l1_path, magnitude_pruning
from ihtlib.exhaustive import best_subset
from ihtlib.htp import htp
from ihtlib.refit import minimize_on_supports


def test_l1_path_counts_and_refit(iris, model):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = l1_path(model, iris.X_train, iris.y_train, np.logspace(-2, 0, 6), ridge=1e-8)
    assert list(table.C) == sorted(table.C)
    for row in table.itertuples():
        assert row.nnz == np.count_nonzero(row.theta)
        assert np.count_nonzero(row.theta_refit) <= row.nnz
        assert set(np.flatnonzero(row.theta_refit)) <= set(np.flatnonzero(row.theta))
        assert row.objective_refit <= row.objective + 1e-12  # the refit minimises on the same support
    assert table.nnz.iloc[-1] > table.nnz.iloc[0]  # weaker penalty, more nonzeros


def test_magnitude_pruning(iris, model):
    dense = best_subset(model, iris.X_train, iris.y_train, 15, ridge=1e-8)
    table = magnitude_pruning(model, iris.X_train, iris.y_train, [1, 5, 15], dense.theta, ridge=1e-8)
    assert list(table.nnz) == [1, 5, 15]
    keep = np.argsort(-np.abs(dense.theta), kind="stable")[:5]
    assert set(table.support[1]) == set(keep.tolist())
    assert table.objective[2] == pytest.approx(dense.objective, abs=1e-12)
    with pytest.raises(ValueError, match=r"^s must satisfy 1 <= s <= n=15, got s=0"):
        magnitude_pruning(model, iris.X_train, iris.y_train, [0], dense.theta)


def test_feature_selection(iris, model):
    table = feature_selection(model, iris.X_train, iris.y_train, ridge=1e-8)
    assert len(table) == 16
    full = table[table.n_features == 4].iloc[0]
    assert full.nnz == 15
    assert all(np.count_nonzero(t) == k for t, k in zip(table.theta, table.nnz, strict=True))
    for row in table.itertuples():  # biases in, only the chosen features' weights
        W, b = model.unpack(row.theta)
        assert np.all(W[:, [j for j in range(4) if j not in row.features]] == 0)
    ref = feature_selection(model, iris.X_train, iris.y_train, ridge=1e-8, reference_class=True)
    assert len(ref) == 48
    best_ref = ref[ref.n_features == 4].objective.min()
    assert best_ref == pytest.approx(full.objective, rel=1e-3)  # shift invariance: a zero row loses (almost) nothing
    assert ref[ref.n_features == 4].nnz.max() == 10


def test_htp_fixed_point_and_counts(iris, model):
    fun = model.objective(iris.X_train, iris.y_train, ridge=1e-8)
    theta0 = il.random_sparse_init(model.n_params, 4, size=8, seed=3)
    res = htp(model, iris.X_train, iris.y_train, theta0, 4, 0.5, ridge=1e-8)
    assert np.all(np.count_nonzero(res.theta, axis=1) <= 4)
    assert res.converged.all()
    # every final point is the exact minimiser on its own support
    fit = minimize_on_supports(model, iris.X_train, iris.y_train, res.theta != 0, ridge=1e-8)
    assert np.allclose(fit.objective, res.objective, atol=1e-12)
    assert np.allclose(res.objective, fun(res.theta)[0])
    assert np.all(np.diff(res.objectives, axis=1) <= 1e-12)  # monotone here
    with pytest.raises(ValueError, match=r"^theta0 has more than s = 4 nonzeros"):
        htp(model, iris.X_train, iris.y_train, il.random_sparse_init(15, 5, seed=0), 4, 0.5)
    with pytest.raises(ValueError, match=r"^step must be finite and > 0"):
        htp(model, iris.X_train, iris.y_train, theta0, 4, -1.0)


def test_l1_path_two_classes_maps_to_softmax_with_zero_row():
    sp = il.load_split("breast_cancer")
    model = il.SoftmaxLayer(sp.n_features, 2)
    table = il.l1_path(model, sp.X_train, sp.y_train, [0.05, 1.0], refit=False, max_iter=300, tol=1e-3)
    for theta, nnz in zip(table.theta, table.nnz, strict=True):
        W, b = model.unpack(theta)
        assert np.all(W[0] == 0) and b[0] == 0  # the reference class is the zero row
        assert np.count_nonzero(theta) == nnz
    assert table.nnz.iloc[0] < table.nnz.iloc[1]  # weaker penalty, more nonzeros


def test_l1_path_seed_and_its_former_name_random_state(iris, model):
    """``random_state`` (the former name) is the seed when given; a different seed gives a different saga order."""
    path = lambda **kw: l1_path(model, iris.X_train, iris.y_train, [1.0], refit=False, max_iter=3, **kw)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_seed, by_alias, other = path(seed=1).theta[0], path(random_state=1).theta[0], path(seed=2).theta[0]
    assert np.array_equal(by_seed, by_alias)
    assert not np.array_equal(by_seed, other)
