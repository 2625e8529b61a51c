"""Tests of ihtlib.exhaustive: the Hessian, the batched Newton solver and the best-subset search."""

from itertools import combinations

import numpy as np
import pytest
from scipy.optimize import minimize

import ihtlib as il
from ihtlib.exhaustive import best_subset, best_subset_path, minimize_on_supports, softmax_hessian

RIDGE = 1e-3  # a moderate ridge keeps the independent L-BFGS reference well conditioned


@pytest.fixture(scope="module")
def tiny():
    """A tiny problem: 2 features, 3 classes (n = 9), 30 IRIS training samples."""
    split = il.load_iris_split()
    idx = np.concatenate([np.flatnonzero(split.y_train == k)[:10] for k in range(3)])
    return il.SoftmaxLayer(2, 3), split.X_train[idx][:, [0, 3]], split.y_train[idx]


def test_hessian_matches_finite_differences(iris, model):
    fun = model.objective(iris.X_train, iris.y_train, ridge=0.01)
    rng = np.random.default_rng(1)
    for theta in rng.normal(size=(3, model.n_params)):
        H = softmax_hessian(model, iris.X_train, theta, ridge=0.01)
        eps = 1e-6
        fd = np.array([(fun(theta + eps * e)[1] - fun(theta - eps * e)[1]) / (2 * eps) for e in np.eye(model.n_params)])
        assert np.allclose(H, H.T, atol=1e-14)
        assert np.abs(H - fd).max() < 1e-7


def test_hessian_batched_and_shift_invariance(iris, model):
    rng = np.random.default_rng(2)
    thetas = rng.normal(size=(4, model.n_params))
    H = softmax_hessian(model, iris.X_train, thetas)
    assert H.shape == (4, 15, 15)
    assert np.allclose(H[2], softmax_hessian(model, iris.X_train, thetas[2]))
    # adding the same vector to every class row changes nothing: a 5-dimensional null space
    eig = np.linalg.eigvalsh(H[0])
    assert np.sum(eig < 1e-12) == 5


def test_best_subset_agrees_with_independent_lbfgs(tiny):
    model, X, y = tiny
    fun = model.objective(X, y, ridge=RIDGE)
    for s in (1, 3):
        res = best_subset(model, X, y, s, ridge=RIDGE)
        ref = []
        for S in combinations(range(model.n_params), s):
            S = list(S)

            def f(z, S=S):
                th = np.zeros(model.n_params)
                th[S] = z
                F, g = fun(th)
                return F, g[S]

            opts = dict(gtol=1e-12, ftol=1e-15, maxiter=5000)
            out = minimize(f, np.zeros(s), jac=True, method="L-BFGS-B", options=opts)
            ref.append(out.fun)
        ref = np.array(ref)
        assert np.allclose(res.all_objectives, ref, rtol=0, atol=1e-9)
        assert res.support == tuple(list(combinations(range(model.n_params), s))[int(np.argmin(ref))])
        assert res.objective == pytest.approx(ref.min(), abs=1e-9)


def test_every_support_satisfies_first_order_conditions(iris, model):
    path = best_subset_path(model, iris.X_train, iris.y_train, [2, 14], ridge=1e-8)
    fun = model.objective(iris.X_train, iris.y_train, ridge=1e-8)
    for s, res in path.items():
        assert res.n_converged == res.n_supports
        assert np.all(np.count_nonzero(res.all_thetas, axis=1) <= s)
        g = fun(res.all_thetas)[1]
        on = np.zeros_like(g, dtype=bool)
        np.put_along_axis(on, res.all_supports, True, axis=1)
        assert np.abs(np.where(on, g, 0)).max() < 1e-9
        assert np.all(res.all_thetas[~on] == 0)
        assert res.objective == res.all_objectives.min()
        # the cross-entropy part plus the ridge term is the objective
        loss = model.loss(res.theta, iris.X_train, iris.y_train)
        assert res.objective == pytest.approx(loss + 0.5e-8 * res.theta @ res.theta, abs=1e-12)


def test_path_is_monotone_and_dense_matches_newton(iris, model):
    path = best_subset_path(model, iris.X_train, iris.y_train, [1, 3, 15], ridge=1e-4)
    assert path[1].objective >= path[3].objective >= path[15].objective
    assert path[15].n_supports == 1
    fit = minimize_on_supports(model, iris.X_train, iris.y_train, [tuple(range(15))], ridge=1e-4)
    assert fit.objective[0] == pytest.approx(path[15].objective, abs=1e-14)
    assert fit.grad_norm[0] < 1e-9


def test_mixed_support_sizes_and_empty_support(iris, model):
    fit = minimize_on_supports(model, iris.X_train, iris.y_train, [(), (3,), (1, 7, 14)], ridge=1e-6, n_jobs=1)
    assert fit.objective[0] == pytest.approx(np.log(3))
    assert list(np.count_nonzero(fit.theta, axis=1)) == [0, 1, 3]
    assert fit.converged.all()


@pytest.mark.parametrize(
    "s, err, message",
    [
        (0, ValueError, r"^s must satisfy 1 <= s <= n=15, got s=0"),
        (16, ValueError, r"^s must satisfy 1 <= s <= n=15, got s=16"),
        (2.0, TypeError, r"^s must be an integer .* got 2\.0 of type float"),
        (True, TypeError, r"^s must be an integer .* got True of type bool"),
    ],
)
def test_bad_s(iris, model, s, err, message):
    with pytest.raises(err, match=message):
        best_subset(model, iris.X_train, iris.y_train, s)


def test_bad_ridge_and_levels(iris, model):
    with pytest.raises(ValueError, match=r"^ridge must be a finite real number and >= 0, got ridge=-1\.0"):
        best_subset(model, iris.X_train, iris.y_train, 1, ridge=-1.0)
    with pytest.raises(ValueError, match=r"^s_values is empty"):
        best_subset_path(model, iris.X_train, iris.y_train, [])
    with pytest.raises(ValueError, match=r"^s_values has repeated levels: \[2, 2\]"):
        best_subset_path(model, iris.X_train, iris.y_train, [2, 2])
