"""The Hessian and the refit: the literal versions against finite differences, the fast layer against them.

* ``cross_entropy_hessian`` (chapter 3's formula) against finite differences of the gradient;
* ``ihtlib.fast.hessian`` (batched, cancellation-free; full and restricted) against the formula;
* ``minimize_on_supports`` (``ihtlib.fast.newton``: batched damped Newton, compaction, step
  trials, threads) against ``refit`` (Newton on one support), support by support.
"""

import numpy as np
import pytest
from finite_differences import fd_hessian, relative_error

import ihtlib as il
import ihtlib.fast.newton as fast_newton
from ihtlib.fast.hessian import augmented, hessian_rows, restricted_hessian, softmax_in_place, support_layout


def _random_supports(rng, n, count):
    """Supports of random sizes 1 … n (sorted index tuples)."""
    return [tuple(sorted(rng.choice(n, size=k, replace=False).tolist())) for k in rng.integers(1, n + 1, size=count)]


def _points(rng, n):
    """θ near 0, at the scale of trained networks, and saturated (some p_i within 1e-12 of a vertex)."""
    return np.vstack([0.1 * rng.normal(size=(2, n)), rng.normal(size=(2, n)), 15 * rng.normal(size=(2, n))])


# --------------------------------------------------------------------------- Hessian
def test_cross_entropy_hessian_matches_finite_differences(iris, model, fun):
    rng = np.random.default_rng(1)
    for theta in np.vstack([np.zeros(model.n_params), rng.normal(size=(3, model.n_params))]):
        H = il.cross_entropy_hessian(model, iris.X_train, theta)
        assert relative_error(H, fd_hessian(fun.grad, theta)) < 1e-7
        assert np.array_equal(H, H.T)


def test_cross_entropy_hessian_on_a_layout_where_d_differs_from_K():
    """d = 2, K = 4: a wrong class-major -> θ permutation cannot hide behind a square layout."""
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(25, 2)), rng.integers(0, 4, size=25)
    model = il.SoftmaxLayer(2, 4)
    theta = rng.normal(size=model.n_params)
    H = il.cross_entropy_hessian(model, X, theta)
    assert relative_error(H, fd_hessian(model.objective(X, y).grad, theta)) < 1e-7


def test_fast_hessian_agrees_with_the_formula(iris, model):
    rng = np.random.default_rng(2)
    thetas = _points(rng, model.n_params)
    fast = hessian_rows(model, augmented(iris.X_train), thetas)
    for theta, H in zip(thetas, fast, strict=True):
        literal = il.cross_entropy_hessian(model, iris.X_train, theta)
        assert np.abs(H - literal).max() <= 1e-15 + 1e-12 * np.abs(literal).max()
    batch = il.softmax_hessian(model, iris.X_train, thetas.reshape(3, 2, -1), ridge=0.5)
    assert batch.shape == (3, 2, 15, 15)
    assert np.allclose(batch.reshape(fast.shape), fast + 0.5 * np.eye(15), rtol=0, atol=1e-15)


def test_restricted_hessian_agrees_with_the_formula_on_each_support(iris, model):
    rng = np.random.default_rng(3)
    XaT = np.ascontiguousarray(augmented(iris.X_train).T)
    thetas = _points(rng, model.n_params)
    for s in (1, 4, 15):
        idx = np.sort(np.array([rng.choice(15, size=s, replace=False) for _ in thetas]), axis=1)
        blocks = restricted_hessian(model, XaT, thetas, support_layout(model, idx))
        for theta, S, H in zip(thetas, idx, blocks, strict=True):
            literal = il.cross_entropy_hessian(model, iris.X_train, theta)[np.ix_(S, S)]
            assert np.abs(H - literal).max() <= 1e-15 + 1e-12 * np.abs(literal).max()


def test_softmax_in_place_is_the_books_softmax():
    Z = np.random.default_rng(8).normal(scale=300, size=(4, 3, 50))  # overflow without the shift
    for axis in (0, 1):
        assert np.array_equal(softmax_in_place(Z.copy(), axis), il.model.softmax(Z, axis))


def test_hessian_null_space_is_the_shift_of_all_class_rows(iris, model):
    """Adding one vector to every class row changes no probability: d + 1 = 5 zero eigenvalues."""
    H = il.softmax_hessian(model, iris.X_train, np.random.default_rng(4).normal(size=model.n_params))
    assert np.sum(np.linalg.eigvalsh(H) < 1e-12) == 5


# ----------------------------------------------------------------------------- refit
@pytest.mark.parametrize("ridge", [1e-8, 1e-3])
def test_batched_newton_agrees_with_the_literal_refit(iris, model, ridge):
    """Random supports of mixed sizes, separable ones included (ridge 1e-8: minimisers far out)."""
    rng = np.random.default_rng(5)
    supports = _random_supports(rng, model.n_params, 24) + [(2, 3, 12), (12, 13, 14)]  # setosa by petals; biases
    fit = il.minimize_on_supports(model, iris.X_train, iris.y_train, supports, ridge=ridge)
    F = model.objective(iris.X_train, iris.y_train, ridge=ridge)
    literal = np.array([il.refit(model, iris.X_train, iris.y_train, S, ridge=ridge) for S in supports])
    assert fit.converged.all()
    assert np.abs(F(literal)[0] - fit.objective).max() < 1e-12
    # F - F* >= (ridge/2) ‖θ - θ*‖², and both are within about 1e-20 of F*
    assert np.abs(literal - fit.theta).max() < 10 * np.sqrt(1e-20 / ridge) + 1e-9
    for S, theta in zip(supports, literal, strict=True):
        assert set(np.flatnonzero(theta)) <= set(S)


def test_batched_newton_does_not_depend_on_start_blocks_or_threads(iris, model, monkeypatch):
    """455 supports of size 3 in blocks of 64 (8 blocks on 2 threads) = one block on one thread = warm starts."""
    supports = [(i, j, k) for i in range(15) for j in range(i + 1, 15) for k in range(j + 1, 15)]
    X, y = iris.X_train, iris.y_train
    one_block = il.minimize_on_supports(model, X, y, supports, n_jobs=1)
    monkeypatch.setattr(fast_newton, "CHUNK", 64)
    threaded = il.minimize_on_supports(model, X, y, supports, n_jobs=2)
    starts = np.random.default_rng(6).normal(size=(len(supports), model.n_params))
    warm = il.minimize_on_supports(model, X, y, supports, theta0=starts, n_jobs=2)
    # the same minimisers up to rounding (BLAS rounds a product of 64 rows differently from one of 455)
    assert np.array_equal(threaded.n_iter, one_block.n_iter)
    assert np.allclose(threaded.objective, one_block.objective, rtol=0, atol=1e-12)
    assert np.allclose(threaded.theta, one_block.theta, rtol=0, atol=1e-6)
    assert np.allclose(warm.objective, one_block.objective, rtol=0, atol=1e-12)
    assert threaded.converged.all() and warm.converged.all()


def test_the_reported_decrement_bounds_the_newton_decrement(iris, model):
    """Converged problems may report ½‖g_S‖²/ridge instead of ½ g_Sᵀ H⁻¹ g_S: never less than the latter."""
    X, y, ridge = iris.X_train, iris.y_train, 1e-8
    supports = [(0, 5, 13), (2, 3, 12), (1, 7, 14), (12, 13, 14), tuple(range(15))]
    fit = il.minimize_on_supports(model, X, y, supports, ridge=ridge)
    F = model.objective(X, y, ridge=ridge)
    assert fit.converged.all()
    for S, theta, reported in zip(supports, fit.theta, fit.decrement, strict=True):
        g = F(theta)[1][list(S)]
        H = il.softmax_hessian(model, X, theta, ridge)[np.ix_(S, S)]
        assert 0.5 * g @ np.linalg.solve(H, g) <= reported * (1 + 1e-6) + 1e-32
        assert reported <= 1e-20


def test_mixed_support_sizes_and_the_empty_support(iris, model):
    fit = il.minimize_on_supports(model, iris.X_train, iris.y_train, [(), (3,), (1, 7, 14)], ridge=1e-6, n_jobs=1)
    assert fit.objective[0] == pytest.approx(np.log(3))
    assert list(np.count_nonzero(fit.theta, axis=1)) == [0, 1, 3]
    assert fit.converged.all()
    assert np.array_equal(il.refit(model, iris.X_train, iris.y_train, ()), np.zeros(model.n_params))


def test_refit_stops_at_max_iter_and_accepts_a_mask(iris, model):
    mask = np.zeros(model.n_params, dtype=bool)
    mask[[0, 5, 13]] = True
    F = model.objective(iris.X_train, iris.y_train, ridge=1e-8)
    by_mask = il.refit(model, iris.X_train, iris.y_train, mask)
    by_tuple = il.refit(model, iris.X_train, iris.y_train, (0, 5, 13))
    one_step = il.refit(model, iris.X_train, iris.y_train, mask, max_iter=1)
    assert np.array_equal(by_mask, by_tuple)
    assert F(by_mask)[0] < F(one_step)[0] < F(np.zeros(model.n_params))[0]


def test_refit_refuses_several_supports(iris, model):
    with pytest.raises(ValueError, match=r"^support must be one support, got 2"):
        il.refit(model, iris.X_train, iris.y_train, [(0,), (1,)])
