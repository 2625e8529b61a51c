"""Tests of ihtlib.exhaustive: the best-subset search (the Hessian and the refit: tests/test_refit.py)."""

from itertools import combinations

import numpy as np
import pytest
from scipy.optimize import minimize

import ihtlib as il
from ihtlib.exhaustive import best_subset, best_subset_path, enumerate_supports

RIDGE = 1e-3  # a moderate ridge keeps the independent L-BFGS reference well conditioned


@pytest.fixture(scope="module")
def tiny():
    """A tiny problem: 2 features, 3 classes (n = 9), 30 IRIS training samples."""
    split = il.load_iris_split()
    idx = np.concatenate([np.flatnonzero(split.y_train == k)[:10] for k in range(3)])
    return il.SoftmaxLayer(2, 3), split.X_train[idx][:, [0, 3]], split.y_train[idx]


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


@pytest.mark.parametrize("s", [1, 2, 8])
def test_best_subset_agrees_with_the_literal_enumeration(tiny, s):
    """The batched search against one literal refit per support (chapter 8's definition)."""
    model, X, y = tiny
    res = best_subset(model, X, y, s, ridge=1e-6)
    support, theta = enumerate_supports(model, X, y, s, ridge=1e-6)
    F = model.objective(X, y, ridge=1e-6)
    assert F(theta)[0] == pytest.approx(res.objective, abs=1e-12)
    assert support == res.support or F(theta)[0] == pytest.approx(F(res.theta)[0], abs=1e-12)  # a tie


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
    fit = il.minimize_on_supports(model, iris.X_train, iris.y_train, [tuple(range(15))], ridge=1e-4)
    assert fit.objective[0] == pytest.approx(path[15].objective, abs=1e-14)
    assert fit.grad_norm[0] < 1e-9


@pytest.mark.parametrize(
    "s, err, match",
    [
        (0, ValueError, r"^s must satisfy 1 <= s <= n=15, got s="),
        (16, ValueError, r"^s must satisfy 1 <= s <= n=15, got s="),
        (2.0, TypeError, r"^s must be an integer"),
        (True, TypeError, r"^s must be an integer"),
    ],
)
def test_bad_s(iris, model, s, err, match):
    with pytest.raises(err, match=match):
        best_subset(model, iris.X_train, iris.y_train, s)


def test_bad_ridge_and_levels(iris, model):
    with pytest.raises(ValueError, match=r"^ridge must be"):
        best_subset(model, iris.X_train, iris.y_train, 1, ridge=-1.0)
    with pytest.raises(ValueError, match=r"^s_values is empty"):
        best_subset_path(model, iris.X_train, iris.y_train, [])
    with pytest.raises(ValueError, match=r"^s_values has repeated levels"):
        best_subset_path(model, iris.X_train, iris.y_train, [2, 2])


def test_warm_starts_give_the_cold_search(iris, model):
    """Levels 1 … 5 from the best subset's minimiser = every support from θ = 0 (the unique minimisers)."""
    X, y = iris.X_train, iris.y_train
    warm = best_subset_path(model, X, y, range(1, 6), ridge=1e-8)
    cold = best_subset_path(model, X, y, range(1, 6), ridge=1e-8, warm_start=False)
    for s in range(1, 6):
        assert warm[s].all_converged and cold[s].all_converged
        assert warm[s].support == cold[s].support
        assert np.abs(warm[s].all_objectives - cold[s].all_objectives).max() < 1e-12
        # F - F* >= (ridge/2) ‖θ - θ*‖² and both are within about 1e-20 of F*
        assert np.abs(warm[s].all_thetas - cold[s].all_thetas).max() < 10 * np.sqrt(1e-20 / 1e-8)
    # a level whose level s - 1 is not requested starts cold: the same answer
    alone = best_subset_path(model, X, y, [5], ridge=1e-8)[5]
    assert np.abs(alone.all_objectives - warm[5].all_objectives).max() < 1e-12


def test_subset_starts_picks_the_best_solved_subset():
    from ihtlib.fast.newton import subset_starts

    solved = np.array([[1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [1, 0, 1, 0, 0]], dtype=bool)
    F = np.array([0.5, 0.2, 0.9])
    theta = np.array([[1.0, 2, 0, 0, 0], [0, 3.0, 4, 0, 0], [5.0, 0, 6, 0, 0]])
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 1, 0], [0, 0, 1, 1, 1]], dtype=bool)
    starts = subset_starts(mask, solved, F, theta)
    assert np.array_equal(starts[0], theta[1])  # {0,1,2} ⊃ {0,1}, {1,2}, {0,2}: the lowest F is {1,2}
    assert np.array_equal(starts[1], theta[0])  # {0,1,3} ⊃ {0,1} only
    assert np.array_equal(starts[2], np.zeros(5))  # {2,3,4}: no solved subset
    assert np.array_equal(subset_starts(mask, solved[:0], F[:0], theta[:0]), np.zeros((3, 5)))
