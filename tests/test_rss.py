"""ihtlib.rss: the Monte Carlo L2s estimate, the analytic bounds, and the Quadratic test function."""

from itertools import combinations

import numpy as np
import pytest

import ihtlib as il


def fd_hessian(fun, theta, h=1e-5):
    """Central finite differences of the gradient, symmetrised."""
    n = theta.size
    E = np.eye(n) * h
    plus = fun.grad(theta[None, :] + E)  # (n, n): row j = ∇f(θ + h e_j)
    minus = fun.grad(theta[None, :] - E)
    H = (plus - minus) / (2 * h)
    return 0.5 * (H + H.T)


# ------------------------------------------------------------------ estimate_l2s
def test_estimate_fields_and_reproducibility(fun):
    est = il.estimate_l2s(fun, 15, 3, n_monte=400, seed=7)
    assert est.ratios.shape == (400,)
    assert est.value == est.ratios.max()
    assert est.step == pytest.approx(1.0 / est.value)
    assert (est.s, est.n_monte, est.seed, est.law, est.scale) == (3, 400, 7, "normal", 1.0)
    assert np.all(est.ratios > 0)
    again = il.estimate_l2s(fun, 15, 3, n_monte=400, seed=7)
    np.testing.assert_array_equal(again.ratios, est.ratios)
    other = il.estimate_l2s(fun, 15, 3, n_monte=400, seed=8)
    assert not np.array_equal(other.ratios, est.ratios)


def test_estimate_accepts_gradient_only_function(fun):
    a = il.estimate_l2s(fun, 15, 2, n_monte=100, seed=1)
    b = il.estimate_l2s(fun.grad, 15, 2, n_monte=100, seed=1)
    np.testing.assert_array_equal(a.ratios, b.ratios)


@pytest.mark.parametrize("s", [1, 3, 7, 15])
@pytest.mark.parametrize("law,scale", [("normal", 1.0), ("normal", 5.0), ("uniform", 0.3), ("uniform", 3.0)])
def test_estimate_never_exceeds_bounds_on_iris(fun, iris, bound, s, law, scale):
    est = il.estimate_l2s(fun, 15, s, n_monte=300, seed=s, law=law, scale=scale)
    assert np.all(est.ratios <= bound * (1 + 1e-12))
    assert est.value <= il.restricted_smoothness_bound(iris.X_train, s, form="gradient") * (1 + 1e-12)


def test_estimate_typical_values_on_iris(fun):
    """Chapter 4's numbers ("The sampling law and scale change the answer"): ≈0.6–0.7 for N(0,1) values,
    smaller for N(0,5²) (n_monte = 1000)."""
    small = il.estimate_l2s(fun, 15, 5, n_monte=1000, seed=0, scale=1.0).value
    large = il.estimate_l2s(fun, 15, 5, n_monte=1000, seed=0, scale=5.0).value
    assert 0.45 < small < 0.9
    assert large < small


def test_estimate_on_a_multiple_of_identity():
    c = 2.75
    q = il.Quadratic(c * np.eye(6), np.arange(6.0))
    est = il.estimate_l2s(q, 6, 2, n_monte=200, seed=0)
    np.testing.assert_allclose(est.ratios, c, rtol=1e-12)
    assert est.value == pytest.approx(c, rel=1e-12)


def test_estimate_on_a_known_quadratic():
    rng = np.random.default_rng(3)
    M = rng.normal(size=(4, 4))
    q = il.Quadratic(M @ M.T + 0.1 * np.eye(4))
    exact = q.restricted_constant(1, "gradient")
    est = il.estimate_l2s(q, 4, 1, n_monte=4000, seed=2)
    assert est.value <= exact * (1 + 1e-12)
    assert est.value >= 0.95 * exact


def test_estimate_errors(fun):
    with pytest.raises(ValueError, match="n_monte"):
        il.estimate_l2s(fun, 15, 3, n_monte=0)
    with pytest.raises(TypeError, match=r"^s must be an integer"):
        il.estimate_l2s(fun, 15, 3.0)
    with pytest.raises(ValueError, match=r"^s must satisfy"):
        il.estimate_l2s(fun, 15, 16)


# ------------------------------------------------------------------------ bounds
def test_smoothness_bound_value(iris):
    Xa = np.hstack([iris.X_train, np.ones((120, 1))])
    expected = 0.5 * np.linalg.eigvalsh(Xa.T @ Xa / 120)[-1]
    assert il.smoothness_bound(iris.X_train) == pytest.approx(expected, rel=1e-12)
    assert il.smoothness_bound(iris.X_train) == pytest.approx(1.45, abs=0.01)  # chapter 3 prints 1.4543


@pytest.mark.parametrize("s", range(1, 8))
def test_restricted_bound_sandwich(iris, bound, s):
    value = il.restricted_smoothness_bound(iris.X_train, s, form="value")
    grad = il.restricted_smoothness_bound(iris.X_train, s, form="gradient")
    assert value <= grad * (1 + 1e-12)
    assert grad <= bound * (1 + 1e-12)
    if 2 * s >= 4 + 1:
        assert value == pytest.approx(bound, rel=1e-12)
        assert grad == pytest.approx(bound, rel=1e-12)
    if s == 1:
        assert value < 0.9 * bound  # really tighter for s = 1 on IRIS (pairs of augmented features)
    # (for s = 2 the 4 features already carry the top eigenvector: the bias column is
    #  uncorrelated with z-scored features, so the bound is attained without it)


def test_restricted_bound_value_form_by_hand(iris):
    X = iris.X_train
    Xa = np.hstack([X, np.ones((120, 1))])
    M = Xa.T @ Xa / 120
    s = 1
    expected = 0.5 * max(np.linalg.eigvalsh(M[np.ix_(J, J)])[-1] for J in combinations(range(5), 2))
    assert il.restricted_smoothness_bound(X, s, "value") == pytest.approx(expected, rel=1e-12)
    assert il.restricted_smoothness_bound(X, s, "gradient") == pytest.approx(
        np.sqrt(expected * il.smoothness_bound(X)), rel=1e-12
    )
    with pytest.raises(ValueError, match="form"):
        il.restricted_smoothness_bound(X, 1, form="hessian")
    with pytest.raises(ValueError, match=r"^s must be an integer >= 1"):
        il.restricted_smoothness_bound(X, 0)


def test_smoothness_bound_bounds_the_hessian(fun, bound):
    rng = np.random.default_rng(4)
    for theta in [np.zeros(15)] + [rng.normal(scale=sc, size=15) for sc in (0.1, 0.5, 1.0, 3.0)]:
        H = fd_hessian(fun, theta)
        assert np.linalg.eigvalsh(H)[-1] <= bound + 1e-6
        assert np.linalg.eigvalsh(H)[0] >= -1e-6  # convex


def test_restricted_value_bound_bounds_restricted_hessians(fun, iris):
    rng = np.random.default_rng(5)
    for s in (1, 2):
        rb = il.restricted_smoothness_bound(iris.X_train, s, "value")
        for _ in range(4):
            theta = rng.normal(scale=0.2, size=15)
            H = fd_hessian(fun, theta)
            for T in combinations(range(15), 2 * s) if s == 1 else [rng.choice(15, 2 * s, replace=False)]:
                T = list(T)
                assert np.linalg.eigvalsh(H[np.ix_(T, T)])[-1] <= rb + 1e-6


def test_hessian_formula_matches_finite_differences(fun, iris):
    """∇²f = (1/N) Σ (diag p − ppᵀ) ⊗ x̃x̃ᵀ (with θ's class-major layout, biases last)."""
    model = il.SoftmaxLayer(4, 3)
    theta = np.random.default_rng(6).normal(scale=0.5, size=15)
    P = model.predict_proba(theta, iris.X_train)
    Xa = np.hstack([iris.X_train, np.ones((120, 1))])
    Hk = sum(np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x)) for p, x in zip(P, Xa, strict=True)) / 120
    # reorder from [class][w_0..w_3, b] blocks to θ layout [W row-major, b]
    order = [k * 5 + j for k in range(3) for j in range(4)] + [k * 5 + 4 for k in range(3)]
    H = Hk[np.ix_(order, order)]
    np.testing.assert_allclose(fd_hessian(fun, theta), H, atol=1e-7)


# --------------------------------------------------------------------- Quadratic
def test_quadratic_call():
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    b = np.array([1.0, -1.0])
    q = il.Quadratic(A, b)
    theta = np.array([0.3, -0.7])
    loss, grad = q(theta)
    assert loss == pytest.approx(0.5 * theta @ A @ theta - b @ theta)
    np.testing.assert_allclose(grad, A @ theta - b)
    T = np.array([[0.3, -0.7], [1.0, 2.0], [0.0, 0.0]])
    L, G = q(T)
    assert L.shape == (3,) and G.shape == (3, 2)
    np.testing.assert_allclose(L[1], 0.5 * T[1] @ A @ T[1] - b @ T[1])


def test_quadratic_restricted_constant():
    rng = np.random.default_rng(7)
    M = rng.normal(size=(5, 5))
    A = M @ M.T
    q = il.Quadratic(A)
    # 2s >= n: the whole matrix
    assert q.restricted_constant(3, "gradient") == pytest.approx(np.linalg.eigvalsh(A)[-1], rel=1e-12)
    assert q.restricted_constant(3, "value") == pytest.approx(np.linalg.eigvalsh(A)[-1], rel=1e-12)
    # s = 1: pairs of coordinates
    val = max(np.linalg.eigvalsh(A[np.ix_(T, T)])[-1] for T in map(list, combinations(range(5), 2)))
    grd = max(np.linalg.norm(A[:, T], 2) for T in map(list, combinations(range(5), 2)))
    assert q.restricted_constant(1, "value") == pytest.approx(val, rel=1e-12)
    assert q.restricted_constant(1, "gradient") == pytest.approx(grd, rel=1e-12)
    assert val <= grd * (1 + 1e-12)
    with pytest.raises(ValueError, match="form"):
        q.restricted_constant(1, "other")


def test_large_estimates_are_evaluated_in_batches(iris, monkeypatch):
    """Above 4096 points the gradients come in batches of 1024: the same ratios as one call."""
    import ihtlib.rss

    fun = il.SoftmaxLayer(4, 3).objective(iris.X_train, iris.y_train)
    calls = []
    counted = lambda theta: calls.append(len(theta)) or fun(theta)  # noqa: E731
    chunked = il.estimate_l2s(counted, 15, 5, n_monte=2500, seed=3)
    assert calls == [1024] * 4 + [904]
    monkeypatch.setattr(ihtlib.rss, "_CHUNK_FROM", 10**9)
    whole = il.estimate_l2s(fun, 15, 5, n_monte=2500, seed=3)
    np.testing.assert_allclose(chunked.ratios, whole.ratios, rtol=1e-13, atol=0)
    assert chunked.value == pytest.approx(whole.value, rel=1e-13)


def test_quadratic_restricted_constant_is_the_same_in_batches_of_sets(monkeypatch):
    """The sets T go to LAPACK in stacked batches; batches of 4 (the last one short) = one set at a time."""
    import ihtlib.rss

    rng = np.random.default_rng(8)
    M = rng.normal(size=(7, 7))
    q = il.Quadratic(M @ M.T)
    monkeypatch.setattr(ihtlib.rss, "_SETS_PER_CALL", 4)  # C(7, 2) = 21, C(7, 4) = 35 sets
    for s in (1, 2):
        sets = list(map(list, combinations(range(7), 2 * s)))
        val = max(float(np.linalg.eigvalsh(q.A[np.ix_(T, T)])[-1]) for T in sets)
        grd = max(float(np.linalg.svd(q.A[:, T], compute_uv=False)[0]) for T in sets)
        assert q.restricted_constant(s, "value") == val
        assert q.restricted_constant(s, "gradient") == grd


def test_quadratic_errors():
    with pytest.raises(ValueError, match=r"^A must be a symmetric"):
        il.Quadratic(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"^A must be a symmetric square"):
        il.Quadratic(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"^A must be positive semidefinite"):
        il.Quadratic(np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"^b must have shape \(2,\)"):
        il.Quadratic(np.eye(2), np.ones(3))


def test_estimate_is_the_largest_gradient_ratio_of_its_pairs(fun):
    """Algorithm 4.1 literally: pair m is rows m and n_monte + m of one draw, r_m = gradient_ratio of that pair."""
    n_monte, s = 200, 4
    est = il.estimate_l2s(fun, 15, s, n_monte=n_monte, seed=3)
    points = il.random_sparse_init(15, s, size=2 * n_monte, seed=3)
    one_by_one = [il.gradient_ratio(fun, points[m], points[n_monte + m]) for m in range(n_monte)]
    np.testing.assert_allclose(est.ratios, one_by_one, rtol=1e-12)
    assert est.value == max(est.ratios)
    np.testing.assert_allclose(il.gradient_ratio(fun, points[:n_monte], points[n_monte:]), est.ratios, rtol=1e-12)


def test_gradient_ratio_of_a_quadratic_is_the_norm_of_a_times_d():
    """For f = ½θᵀAθ the ratio is ‖A d‖ / ‖d‖ with d = θ₁ − θ₂ (one pair, exact)."""
    q = il.Quadratic(np.diag([1.0, 2.0, 3.0]))
    assert il.gradient_ratio(q, np.array([0.0, 0.0, 1.0]), np.zeros(3)) == 3.0
    assert il.gradient_ratio(q, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])) == pytest.approx(np.sqrt(2.5))
    with pytest.raises(ValueError, match=r"^theta1 and theta2 must"):
        il.gradient_ratio(q, np.zeros(3), np.zeros(2))
