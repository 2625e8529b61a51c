"""IHTClassifier: scikit-learn's own estimator checks, and tests that can fail on what IHT computes.

``parametrize_with_checks`` runs scikit-learn's ``check_estimator`` suite (input validation,
cloning, pickling, ``random_state``, fitted attributes, sample order, dtypes, NaN handling, error
messages) as one pytest test per check, on the default estimator and on a small, fast one.  No
check is marked as expected to fail: the estimator's tags are scikit-learn's defaults for a
classifier.  (scikit-learn itself skips ``check_array_api_input`` unless ``SCIPY_ARRAY_API=1``.)
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.estimator_checks import parametrize_with_checks

import ihtlib as il
from ihtlib import IHTClassifier

SMALL = dict(n_starts=2, max_iter=200, n_monte=100)


@parametrize_with_checks([IHTClassifier(), IHTClassifier(**SMALL, random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def iris_scaled():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_matches_iht_run_by_hand(iris_scaled):
    """The fit is il.iht from il.random_sparse_init starts at il.estimate_l2s's step, best loss kept."""
    X, y = iris_scaled
    clf = IHTClassifier(s=5, n_starts=8, max_iter=300, n_monte=200, random_state=3).fit(X, y)
    model = il.SoftmaxLayer(4, 3)
    fun = model.objective(X, y)
    rng = np.random.default_rng(check_random_state(3).randint(np.iinfo(np.int32).max))
    l2s = il.estimate_l2s(fun, model.n_params, 5, n_monte=200, seed=rng)
    theta0 = il.random_sparse_init(model.n_params, 5, size=8, seed=rng)
    result = il.iht(fun, theta0, 5, l2s.step, max_iter=300)
    best = int(np.argmin(result.loss))
    assert clf.step_ == l2s.step
    assert clf.best_start_ == best
    np.testing.assert_array_equal(clf.theta_, result.theta[best])
    np.testing.assert_array_equal(clf.start_losses_, result.loss)
    W, b = model.unpack(result.theta[best])
    np.testing.assert_array_equal(clf.coef_, W)
    np.testing.assert_array_equal(clf.intercept_, b)
    np.testing.assert_array_equal(clf.support_, result.theta[best] != 0)
    assert clf.n_iter_ == result.n_iter[best] and clf.status_ == result.status[best]
    assert clf.loss_ == pytest.approx(float(model.loss(clf.theta_, X, y)))
    np.testing.assert_allclose(clf.predict_proba(X), model.predict_proba(clf.theta_, X))
    assert clf.score(X, y) == pytest.approx(float(model.accuracy(clf.theta_, X, y)))


def test_recovers_a_planted_support():
    """Labels drawn from a softmax layer with 3 nonzero weights: s = 3 finds exactly those."""
    rng = np.random.default_rng(0)
    N, d, K = 3000, 8, 3
    X = rng.normal(size=(N, d))
    W = np.zeros((K, d))
    W[1, 0], W[2, 3], W[2, 5] = 2.5, 2.5, -2.0
    Z = X @ W.T
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (P.cumsum(axis=1) > rng.random((N, 1))).argmax(axis=1)
    clf = IHTClassifier(s=3, random_state=0).fit(X, y)
    planted = np.zeros(K * d + K, dtype=bool)
    planted[[1 * d + 0, 2 * d + 3, 2 * d + 5]] = True
    np.testing.assert_array_equal(clf.support_, planted)
    np.testing.assert_allclose(clf.coef_[W != 0], W[W != 0], atol=0.3)
    assert clf.status_ == "converged"


def test_string_labels_map_to_codes_and_back(iris_scaled):
    X, y = iris_scaled
    names = np.array(["virginica", "setosa", "versicolor"])[y]  # not in sorted order of codes
    by_name = IHTClassifier(s=6, **SMALL, random_state=0).fit(X, names)
    by_code = IHTClassifier(s=6, **SMALL, random_state=0).fit(X, np.searchsorted(np.unique(names), names))
    np.testing.assert_array_equal(by_name.classes_, ["setosa", "versicolor", "virginica"])
    np.testing.assert_array_equal(by_name.theta_, by_code.theta_)
    pred = by_name.predict(X)
    assert pred.dtype.kind == "U" and set(pred) <= set(names)
    np.testing.assert_array_equal(pred, by_name.classes_[by_code.predict(X)])
    assert by_name.score(X, names) > 0.9


def test_binary_problem():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    labels = np.where(y == 1, "benign", "malignant")
    clf = IHTClassifier(s=8, n_starts=4, max_iter=500, random_state=0).fit(X, labels)
    assert clf.coef_.shape == (2, 30) and clf.intercept_.shape == (2,) and clf.support_.shape == (62,)
    assert clf.support_.sum() <= 8
    dec, proba = clf.decision_function(X), clf.predict_proba(X)
    assert dec.shape == (len(y),) and proba.shape == (len(y), 2)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[(dec > 0).astype(int)])
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-dec)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-10, atol=1e-12)
    assert clf.score(X, labels) > 0.93


def test_pipeline_and_grid_search_over_s():
    X, y = load_wine(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), IHTClassifier(n_starts=2, max_iter=200, n_monte=100, random_state=0))
    search = GridSearchCV(pipe, {"ihtclassifier__s": [2, 8]}, cv=3).fit(X, y)
    assert search.best_params_["ihtclassifier__s"] in (2, 8)
    assert search.cv_results_["mean_test_score"].shape == (2,)
    best = search.best_estimator_[-1]
    assert best.support_.sum() <= best.s == best.s_
    assert search.score(X, y) > 0.85


def test_feature_names_and_dense_limit():
    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = IHTClassifier(s=100, **SMALL, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.feature_names_in_, X.columns)
    assert clf.n_features_in_ == 4 and clf.s_ == 15  # s above n = 15: no constraint
    no_names = IHTClassifier(**SMALL, random_state=0).fit(X.to_numpy(), y)
    assert not hasattr(no_names, "feature_names_in_")


def test_step_bound_and_number(iris_scaled):
    X, y = iris_scaled
    bound = il.smoothness_bound(X)
    clf = IHTClassifier(s=5, step="bound", ridge=0.1, **SMALL, random_state=0).fit(X, y)
    assert clf.step_ == pytest.approx(1 / (bound + 0.1))
    assert clf.status_ != "diverged"
    assert IHTClassifier(s=5, step=0.5, **SMALL, random_state=0).fit(X, y).step_ == 0.5


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(s=0), "'s' parameter of IHTClassifier must be an int in the range"),
        (dict(s=2.5), "'s' parameter"),
        (dict(step="fast"), "'step' parameter of IHTClassifier must be a str among"),
        (dict(step=-1.0), "'step' parameter"),
        (dict(n_starts=0), "'n_starts' parameter"),
        (dict(max_iter=0), "'max_iter' parameter"),
        (dict(tol=-1e-3), "'tol' parameter"),
        (dict(ridge=-1.0), "'ridge' parameter"),
        (dict(init_scale=0.0), "'init_scale' parameter"),
        (dict(random_state="seed"), "'random_state' parameter"),
    ],
)
def test_invalid_hyperparameters_are_refused_in_fit(iris_scaled, params, match):
    X, y = iris_scaled
    clf = IHTClassifier(**params)  # nothing is checked here
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)


def test_data_errors(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(ValueError, match="at least 2 classes in y; got 1 class"):
        IHTClassifier().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="Unknown label type"):
        IHTClassifier().fit(X, np.linspace(0, 1, len(y)))
    with pytest.raises(ValueError, match="NaN"):
        IHTClassifier().fit(np.where(X > 2, np.nan, X), y)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        IHTClassifier().predict(X)
    clf = IHTClassifier(**SMALL, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but IHTClassifier is expecting 4 features"):
        clf.predict(X[:, :3])
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(pd.DataFrame(X, columns=list("abcd")))


# ------------------------------------------------------------------ SparsitySearchCV
def _same_search(a, b):
    """Two fitted searches (GridSearchCV or SparsitySearchCV) agree on every score and on the refit."""
    assert a.best_params_ == b.best_params_ and a.best_index_ == b.best_index_
    assert a.best_score_ == b.best_score_ and a.n_splits_ == b.n_splits_
    assert a.cv_results_["params"] == b.cv_results_["params"]
    keys = [k for k in b.cv_results_ if k != "params"]
    assert {k for k in keys if "test_score" in k} == {k for k in a.cv_results_ if "test_score" in k}
    for key in keys:
        np.testing.assert_array_equal(np.asarray(a.cv_results_[key]), np.asarray(b.cv_results_[key]), err_msg=key)
    last = (lambda e: e[-1]) if hasattr(a.best_estimator_, "steps") else (lambda e: e)
    np.testing.assert_array_equal(last(a.best_estimator_).theta_, last(b.best_estimator_).theta_)


def test_fit_levels_is_the_separate_fits_bit_for_bit(iris_scaled):
    """The batched fits of several levels are the fits of the clones one by one (and s above n is dense)."""
    from sklearn.base import clone

    from ihtlib.estimator import _fit_levels

    X, y = iris_scaled
    for random_state in (3, np.random.RandomState(7)):
        est = IHTClassifier(n_starts=4, max_iter=150, n_monte=50, random_state=random_state)
        levels = [1, 3, 6, 15, 40]
        batched = _fit_levels(est, X, y, levels)
        for level, got in zip(levels, batched, strict=True):
            want = clone(est).set_params(s=level).fit(X, y)
            assert got.s == level and got.s_ == min(level, 15)
            for attr in ("theta_", "coef_", "intercept_", "support_", "start_losses_", "classes_"):
                np.testing.assert_array_equal(getattr(got, attr), getattr(want, attr), err_msg=attr)
            assert (got.step_, got.n_iter_, got.status_, got.loss_, got.best_start_) == (
                want.step_,
                want.n_iter_,
                want.status_,
                want.loss_,
                want.best_start_,
            )
        assert est.random_state is random_state and not hasattr(est, "theta_")  # the original is untouched


def test_search_is_gridsearchcv_on_a_pipeline():
    """Same folds, fits, cv_results_, best level and refit as GridSearchCV; predictions delegate to the refit."""
    from sklearn.model_selection import StratifiedKFold

    X, y = load_wine(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), IHTClassifier(n_starts=3, max_iter=120, n_monte=60, random_state=0))
    levels = [1, 3, 8, 42, 60]
    folds = StratifiedKFold(n_splits=4, shuffle=True, random_state=2)
    grid = GridSearchCV(pipe, {"ihtclassifier__s": levels}, cv=folds).fit(X, y)
    fast = il.SparsitySearchCV(pipe, levels, cv=folds).fit(X, y)
    _same_search(grid, fast)
    assert fast.cv_results_["split0_test_score"].shape == (5,) and "ihtclassifier__s" in fast.best_params_
    np.testing.assert_array_equal(fast.predict(X), grid.predict(X))
    np.testing.assert_array_equal(fast.predict_proba(X), grid.predict_proba(X))
    np.testing.assert_array_equal(fast.predict_log_proba(X), grid.predict_log_proba(X))
    np.testing.assert_array_equal(fast.decision_function(X), grid.decision_function(X))
    assert fast.score(X, y) == grid.score(X, y)
    np.testing.assert_array_equal(fast.classes_, [0, 1, 2])
    assert fast.n_features_in_ == 13
    assert pipe[-1].s == 10 and not hasattr(pipe[-1], "theta_")  # the pipeline passed in is not fitted


def test_search_on_a_bare_classifier_with_int_cv_and_ties(iris_scaled):
    """No pipeline: the parameter is 's'; cv=3 is StratifiedKFold(3); equal means: the first level wins."""
    X, y = iris_scaled
    labels = np.array(["a", "b", "c"])[y]
    est = IHTClassifier(**SMALL, random_state=1)
    levels = [15, 2, 20]  # 15 and 20 are both dense: the same fits, a tie that the first level wins
    grid = GridSearchCV(est, {"s": levels}, cv=3).fit(X, labels)
    fast = il.SparsitySearchCV(est, levels, cv=3).fit(X, labels)
    _same_search(grid, fast)
    assert fast.cv_results_["mean_test_score"][0] == fast.cv_results_["mean_test_score"][2]
    assert fast.cv_results_["rank_test_score"][0] == fast.cv_results_["rank_test_score"][2]
    assert fast.best_index_ != 2
    assert set(fast.predict(X)) <= {"a", "b", "c"}
    with pytest.warns(DataConversionWarning):  # y as a column: fit ravels it (with a warning), so does the score
        column = il.SparsitySearchCV(est, levels, cv=3).fit(X, labels[:, None])
    _same_search(grid, column)


def test_nested_cross_validation_and_clone():
    """The search is an estimator: cross_validate clones and refits it, as it does GridSearchCV."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_validate

    X, y = load_wine(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), IHTClassifier(n_starts=2, max_iter=80, n_monte=40, random_state=0))
    inner = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    outer = StratifiedKFold(n_splits=3, shuffle=True, random_state=1)
    fast = il.SparsitySearchCV(pipe, [2, 6, 20], cv=inner)
    twin = clone(fast)
    assert twin.get_params()["levels"] == [2, 6, 20] and twin.estimator is not pipe
    grid = GridSearchCV(pipe, {"ihtclassifier__s": [2, 6, 20]}, cv=inner)
    got = cross_validate(fast, X, y, cv=outer, return_estimator=True)
    want = cross_validate(grid, X, y, cv=outer, return_estimator=True)
    np.testing.assert_array_equal(got["test_score"], want["test_score"])
    for a, b in zip(want["estimator"], got["estimator"], strict=True):
        _same_search(a, b)


def test_search_errors(iris_scaled):
    from sklearn.linear_model import LogisticRegression

    X, y = iris_scaled
    est = IHTClassifier(**SMALL, random_state=0)
    with pytest.raises(TypeError, match="must be an IHTClassifier or a Pipeline whose last step is one"):
        il.SparsitySearchCV(LogisticRegression(), [2]).fit(X, y)
    with pytest.raises(TypeError, match="must be an IHTClassifier or a Pipeline"):
        il.SparsitySearchCV(make_pipeline(StandardScaler(), LogisticRegression()), [2]).fit(X, y)
    with pytest.raises(ValueError, match="levels is empty"):
        il.SparsitySearchCV(est, []).fit(X, y)
    with pytest.raises(ValueError, match="a level must be an integer >= 1, got a level=0"):
        il.SparsitySearchCV(est, [3, 0]).fit(X, y)
    with pytest.raises(TypeError, match="a level must be an integer"):
        il.SparsitySearchCV(est, [2.5]).fit(X, y)
    with pytest.raises(ValueError, match="'cv' parameter of SparsitySearchCV must be"):
        il.SparsitySearchCV(est, [2], cv=1).fit(X, y)
    with pytest.raises(ValueError, match="'levels' parameter of SparsitySearchCV must be"):
        il.SparsitySearchCV(est, 5).fit(X, y)
    with pytest.raises(NotFittedError):
        il.SparsitySearchCV(est, [2]).predict(X)
    with pytest.raises(ValueError, match="'max_iter' parameter of IHTClassifier"):  # the inner fits validate
        il.SparsitySearchCV(IHTClassifier(max_iter=0), [2]).fit(X, y)
