"""ihtlib.data: loading, stratified splitting, z-scoring with training statistics, errors."""

import numpy as np
import pytest
from sklearn import datasets

import ihtlib as il


def _match_rows(Z, X_raw):
    """Index in X_raw of the row equal (to 1e-9) to each row of Z; fails if a row has no match."""
    d = np.abs(Z[:, None, :] - X_raw[None, :, :]).max(axis=2)
    idx = d.argmin(axis=1)
    assert np.all(d[np.arange(len(Z)), idx] < 1e-9), "a standardised row does not map back to a raw data row"
    return idx


# ----------------------------------------------------------------------------- IRIS
def test_iris_split_shapes(iris):
    assert iris.X_train.shape == (120, 4)
    assert iris.X_test.shape == (30, 4)
    assert iris.y_train.shape == (120,)
    assert iris.y_test.shape == (30,)
    assert iris.n_features == 4
    assert iris.n_classes == 3
    assert iris.X_train.dtype == np.float64
    assert iris.feature_names == ["sepal length", "sepal width", "petal length", "petal width"]
    assert iris.class_names == ["setosa", "versicolor", "virginica"]
    assert iris.mean.shape == (4,) and iris.std.shape == (4,)


def test_iris_split_other_test_size():
    sp = il.load_iris_split(test_size=0.4, seed=3)
    assert sp.X_train.shape == (90, 4) and sp.X_test.shape == (60, 4)
    assert np.bincount(sp.y_train).tolist() == [30, 30, 30]


def test_iris_split_is_stratified(iris):
    assert np.bincount(iris.y_train, minlength=3).tolist() == [40, 40, 40]
    assert np.bincount(iris.y_test, minlength=3).tolist() == [10, 10, 10]


def test_training_columns_are_standardised(iris):
    np.testing.assert_allclose(iris.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(iris.X_train.std(axis=0), 1.0, rtol=1e-12)


def test_test_part_uses_training_statistics(iris):
    """Map every standardised row back to the raw IRIS data and recompute the statistics by hand."""
    X_raw = datasets.load_iris().data
    y_raw = datasets.load_iris().target
    i_tr = _match_rows(iris.X_train * iris.std + iris.mean, X_raw)
    i_te = _match_rows(iris.X_test * iris.std + iris.mean, X_raw)
    np.testing.assert_array_equal(y_raw[i_tr], iris.y_train)
    np.testing.assert_array_equal(y_raw[i_te], iris.y_test)
    mean = X_raw[i_tr].mean(axis=0)
    std = X_raw[i_tr].std(axis=0)  # population std (ddof=0), as StandardScaler
    np.testing.assert_allclose(iris.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(iris.std, std, rtol=1e-12)
    np.testing.assert_allclose(iris.X_test, (X_raw[i_te] - mean) / std, rtol=1e-10, atol=1e-12)
    # and it is NOT standardised with its own statistics
    own = (X_raw[i_te] - X_raw[i_te].mean(axis=0)) / X_raw[i_te].std(axis=0)
    assert not np.allclose(iris.X_test, own, atol=1e-3)


def test_split_is_reproducible_and_seed_dependent(iris):
    again = il.load_iris_split()
    np.testing.assert_array_equal(again.X_train, iris.X_train)
    np.testing.assert_array_equal(again.y_test, iris.y_test)
    other = il.load_iris_split(seed=1)
    assert not np.array_equal(other.X_test, iris.X_test)


# ------------------------------------------------------------------ other data sets
def test_load_split_wine():
    sp = il.load_split("wine")
    raw = datasets.load_wine()
    N, d = raw.data.shape  # 178, 13
    assert sp.X_train.shape[1] == sp.X_test.shape[1] == d == sp.n_features
    assert sp.X_train.shape[0] + sp.X_test.shape[0] == N
    assert sp.X_test.shape[0] == 36  # ceil(0.2 * 178)
    assert sp.n_classes == 3
    # stratified: each class's training count is within one of 80 % of its total
    counts = np.bincount(raw.target)
    assert np.all(np.abs(np.bincount(sp.y_train, minlength=3) - 0.8 * counts) <= 1)
    np.testing.assert_allclose(sp.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(sp.X_train.std(axis=0), 1.0, rtol=1e-12)
    i_te = _match_rows(sp.X_test * sp.std + sp.mean, raw.data)
    i_tr = _match_rows(sp.X_train * sp.std + sp.mean, raw.data)
    np.testing.assert_allclose(sp.mean, raw.data[i_tr].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sp.X_test, (raw.data[i_te] - sp.mean) / raw.data[i_tr].std(axis=0), atol=1e-10)
    assert sp.feature_names == list(raw.feature_names)


def test_standardized_split_generic_data_and_default_names():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=[5.0, -3.0, 100.0], scale=[2.0, 0.5, 10.0], size=(50, 3))
    y = np.repeat([0, 1], 25)
    sp = il.standardized_split(X, y, test_size=0.2, seed=4)
    assert sp.X_train.shape == (40, 3) and sp.X_test.shape == (10, 3)
    assert np.bincount(sp.y_train).tolist() == [20, 20]
    assert sp.feature_names == ["x0", "x1", "x2"]
    assert sp.class_names == ["0", "1"]
    np.testing.assert_allclose(sp.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(sp.X_train.std(axis=0), 1.0, rtol=1e-12)
    i_tr = _match_rows(sp.X_train * sp.std + sp.mean, X)
    i_te = _match_rows(sp.X_test * sp.std + sp.mean, X)
    assert len(set(i_tr.tolist()) | set(i_te.tolist())) == 50  # a partition of the rows
    np.testing.assert_allclose(sp.X_test, (X[i_te] - X[i_tr].mean(axis=0)) / X[i_tr].std(axis=0), atol=1e-10)


# ---------------------------------------------------------- documented loader shapes
@pytest.mark.parametrize(
    "name,n_train,n_test,d,K",
    [("wine", 142, 36, 13, 3), ("breast_cancer", 455, 114, 30, 2), ("digits", 1437, 360, 64, 10)],
)
def test_loaders_documented_shapes(name, n_train, n_test, d, K):
    sp = il.load_split(name)
    assert sp.X_train.shape == (n_train, d) and sp.X_test.shape == (n_test, d)
    assert sp.y_train.shape == (n_train,) and sp.y_test.shape == (n_test,)
    assert sp.n_features == d and sp.n_classes == K and len(sp.feature_names) == d
    assert set(np.unique(sp.y_train)) == set(range(K))
    np.testing.assert_allclose(sp.X_train.mean(axis=0), 0.0, atol=1e-12)
    assert il.SoftmaxLayer(d, K).n_params == K * d + K


def test_digits_feature_names():
    sp = il.load_split("digits")
    assert sp.feature_names[0] == "pixel (0, 0)" and sp.feature_names[63] == "pixel (7, 7)"
    assert sp.class_names == [str(k) for k in range(10)]


# --------------------------------------------------------------------------- errors
def test_error_mismatched_lengths():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match=r"X and y.*mismatched"):
        il.standardized_split(X, np.zeros(9, dtype=int))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_error_non_finite_X(bad):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    X[3, 1] = bad
    y = np.repeat([0, 1], 10)
    with pytest.raises(ValueError, match=r"^X contains 1 NaN or infinite"):
        il.standardized_split(X, y)
    with pytest.raises(ValueError, match=r"^X contains"):
        il.SoftmaxLayer(2, 2).objective(X, y)


def test_error_labels_out_of_range_via_model(iris, model):
    y = iris.y_train.copy()
    y[0] = 3  # K = 3 -> labels must be 0, 1, 2
    with pytest.raises(ValueError, match=r"labels in y must lie in 0 … 2"):
        model.objective(iris.X_train, y)
    with pytest.raises(ValueError, match=r"labels in y"):
        model.accuracy(np.zeros(15), iris.X_train, y)
    y[0] = -1
    with pytest.raises(ValueError, match=r"labels in y"):
        model.objective(iris.X_train, y)


def test_error_negative_or_non_integer_labels_in_split():
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = np.repeat([0, 1], 10)
    with pytest.raises(ValueError, match=r"labels in y must be >= 0"):
        il.standardized_split(X, y - 1)
    with pytest.raises(ValueError, match=r"^y must hold integer"):
        il.standardized_split(X, y + 0.5)


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1, 1.5])
def test_error_test_size_out_of_range(test_size):
    with pytest.raises(ValueError, match=r"^test_size must lie strictly between 0 and 1"):
        il.load_iris_split(test_size=test_size)


def test_error_unknown_dataset_name():
    with pytest.raises(ValueError, match=r"^name must be one of .*'iris'.*got 'mnist'"):
        il.load_split("mnist")


def test_constant_column_gets_unit_std():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    X[:, 1] = 7.0
    y = np.repeat([0, 1, 2], 10)
    sp = il.standardized_split(X, y)
    assert sp.std[1] == 1.0 and sp.mean[1] == 7.0
    np.testing.assert_array_equal(sp.X_train[:, 1], 0.0)
    np.testing.assert_array_equal(sp.X_test[:, 1], 0.0)


def test_error_y_not_1d_and_feature_names_length():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.repeat([0, 1, 2], 10)
    with pytest.raises(ValueError, match=r"^y must be 1-D"):
        il.standardized_split(X, y[:, None])
    with pytest.raises(ValueError, match=r"^feature_names has 3 names for 2 features"):
        il.standardized_split(X, y, feature_names=["a", "b", "c"])


def test_error_class_names_length():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.repeat([0, 1, 2], 10)
    with pytest.raises(ValueError, match="class_names"):
        il.standardized_split(X, y, class_names=["a"])


@pytest.mark.parametrize("name", sorted(il.DATASETS))
def test_every_bundled_dataset(name):
    sp = il.load_split(name, test_size=0.25, seed=2)
    raw = il.DATASETS[name]()
    N, d = raw.data.shape
    K = len(raw.target_names)
    assert sp.X_train.shape[0] + sp.X_test.shape[0] == N
    assert sp.X_test.shape[0] == int(np.ceil(0.25 * N))
    assert sp.n_features == d == len(sp.feature_names) and sp.n_classes == K
    assert np.all(np.isfinite(sp.X_train)) and np.all(np.isfinite(sp.X_test))
    np.testing.assert_allclose(sp.X_train.mean(axis=0), 0.0, atol=1e-12)
    stds = sp.X_train.std(axis=0)
    # columns constant on the training part (digits has some) stay at 0 with std 1
    const_cols = stds == 0.0
    np.testing.assert_allclose(stds[~const_cols], 1.0, rtol=1e-10)
    np.testing.assert_array_equal(sp.std[const_cols], 1.0)
    np.testing.assert_array_equal(sp.X_train[:, const_cols], 0.0)
    assert set(np.unique(sp.y_train)) == set(range(K))


# ------------------------------------------------------------------ planted problem
def test_planted_problem_is_a_least_squares_problem_with_a_known_solution():
    p = il.planted_problem(30, 12, 4, seed=5)
    m, n = p.A.shape
    assert (m, n) == (30, 12) and p.y.shape == (30,) and p.theta_true.shape == (12,)
    assert len(p.support) == 4 and il.support(p.theta_true) == p.support
    on = p.theta_true[list(p.support)]
    assert np.all((np.abs(on) >= 1.0) & (np.abs(on) < 2.0))  # ±(1 + U): no entry near 0
    np.testing.assert_allclose(p.y, p.A @ p.theta_true, rtol=1e-14)
    # f(θ) = ‖Aθ − y‖²/(2m) − ‖y‖²/(2m) at random points, and θ_true is stationary
    theta = np.random.default_rng(0).normal(size=(5, n))
    expected = (np.sum((theta @ p.A.T - p.y) ** 2, axis=1) - p.y @ p.y) / (2 * m)
    np.testing.assert_allclose(p.fun(theta)[0], expected, rtol=1e-10)
    assert np.abs(p.fun(p.theta_true)[1]).max() < 1e-12
    assert p.L == pytest.approx(np.linalg.norm(p.A, 2) ** 2 / m, rel=1e-10) and p.step == 1.0 / p.L


def test_planted_problem_draws_like_chapter_5():
    """One generator shared by a loop gives new problems; chapter 5's draw (seed 1) plants (6, 54, 57, 61, 78)."""
    rng = np.random.default_rng(1)
    first = il.planted_problem(80, 100, 5, rng)
    assert first.support == (6, 54, 57, 61, 78) and round(first.L, 2) == 4.16
    second = il.planted_problem(80, 100, 5, rng)
    assert not np.array_equal(first.A, second.A)
    again = il.planted_problem(80, 100, 5, seed=1)
    np.testing.assert_array_equal(again.theta_true, first.theta_true)
    res = il.iht(first.fun, np.zeros(100), 5, first.step, max_iter=1000)
    assert res.status == "converged" and il.support(res.theta) == first.support
