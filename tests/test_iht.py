"""ihtlib.iht: the IHT iteration, its result fields, random sparse starts and the HT-stability test."""

from itertools import combinations

import numpy as np
import pytest

import ihtlib as il
from ihtlib.iht import settled

TINY = 1e-12  # allowed rise of a loss between iterates (rounding only)


# ------------------------------------------------------------------ the iteration
def test_iterates_follow_the_iht_recursion(fun, bound):
    """θ^{k+1} = H_s(θ^k − γ∇f(θ^k)), written out by hand for a few steps."""
    s, step = 4, 1.0 / bound
    theta = il.random_sparse_init(15, s, seed=11)
    res = il.iht(fun, theta, s, step, max_iter=6, tol=0.0)
    expected_losses = [fun.loss(theta)]
    for _ in range(6):
        theta = il.hard_threshold(theta - step * fun.grad(theta), s)
        expected_losses.append(fun.loss(theta))
    np.testing.assert_allclose(res.theta, theta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.losses, expected_losses, rtol=1e-12)
    assert res.n_iter == 6 and res.status == "max_iter"


@pytest.mark.parametrize("s", [1, 3, 5, 9])
@pytest.mark.parametrize("factor", [1.0, 0.5])
def test_monotone_decrease_on_iris(fun, bound, s, factor):
    theta0 = il.random_sparse_init(15, s, size=4, seed=[7, s])
    res = il.iht(fun, theta0, s, factor / bound, max_iter=300)
    assert res.monotone.dtype == bool and res.monotone.all()
    assert np.all(np.diff(res.losses, axis=1) <= TINY)
    assert np.all(res.losses[:, -1] < res.losses[:, 0])  # it actually made progress
    assert np.all(np.count_nonzero(res.theta, axis=1) <= s)
    # the recorded final loss is the loss of the returned θ
    np.testing.assert_allclose(res.loss, fun.loss(res.theta), rtol=1e-12)


def test_monotone_single_run_flag(fun, bound):
    res = il.iht(fun, il.random_sparse_init(15, 6, seed=3), 6, 1.0 / bound, max_iter=200)
    assert res.monotone is True
    assert np.all(np.diff(res.losses) <= TINY)


@pytest.mark.parametrize("k", [1, 2, 5, 17])
def test_every_iterate_is_s_sparse(fun, bound, k):
    s = 3
    theta0 = il.random_sparse_init(15, s, size=3, seed=5)
    long = il.iht(fun, theta0, s, 1.0 / bound, max_iter=40, tol=0.0)
    short = il.iht(fun, theta0, s, 1.0 / bound, max_iter=k, tol=0.0)
    assert np.all(np.count_nonzero(short.theta, axis=1) <= s)
    assert short.losses.shape == (3, k + 1)
    np.testing.assert_array_equal(short.n_iter, k)
    np.testing.assert_array_equal(short.status, "max_iter")
    # a shorter run is a prefix of a longer one
    np.testing.assert_allclose(short.losses, long.losses[:, : k + 1], rtol=1e-13)
    np.testing.assert_allclose(short.loss, fun.loss(short.theta), rtol=1e-12)


def test_batched_equals_single(fun, bound):
    s, B = 4, 4
    theta0 = il.random_sparse_init(15, s, size=B, seed=21)
    steps = 1.0 / bound
    batch = il.iht(fun, theta0, s, steps, max_iter=300, tol=1e-7)
    assert batch.theta.shape == (B, 15) and batch.n_iter.shape == (B,) and len(batch.message) == B
    for i in range(B):
        one = il.iht(fun, theta0[i], s, steps, max_iter=300, tol=1e-7)
        np.testing.assert_allclose(batch.theta[i], one.theta, rtol=1e-12, atol=1e-14)
        assert batch.n_iter[i] == one.n_iter
        assert batch.status[i] == one.status
        assert batch.support_changed_at[i] == one.support_changed_at
        assert batch.monotone[i] == one.monotone
        np.testing.assert_allclose(batch.losses[i, : one.n_iter + 1], one.losses, rtol=1e-12)


def test_batched_equals_single_with_mixed_outcomes(planted):
    """Runs that stop at different iterations (converged / max_iter / diverged) in one batch."""
    f, n, s, step = planted["fun"], planted["n"], planted["s"], planted["step"]
    theta0 = np.zeros((3, n))
    steps = np.array([step, 0.05 * step, 50.0 * step])
    batch = il.iht(f, theta0, s, steps, max_iter=400, tol=1e-9)
    assert list(batch.status) == ["converged", "max_iter", "diverged"]
    T = batch.losses.shape[1]
    assert T == batch.n_iter.max() + 1
    for i in range(3):
        one = il.iht(f, theta0[i], s, steps[i], max_iter=400, tol=1e-9)
        assert (one.status, one.n_iter) == (batch.status[i], batch.n_iter[i])
        np.testing.assert_allclose(batch.theta[i], one.theta, rtol=1e-12, atol=1e-14)
        # rows are padded with their last loss after the run stops
        np.testing.assert_allclose(batch.losses[i, : one.n_iter + 1], one.losses, rtol=1e-12)
        np.testing.assert_array_equal(batch.losses[i, one.n_iter :], batch.losses[i, one.n_iter])


def test_recovers_planted_support(planted):
    f, n, s = planted["fun"], planted["n"], planted["s"]
    res = il.iht(f, np.zeros(n), s, planted["step"], max_iter=3000, tol=1e-10)
    assert res.status == "converged"
    assert res.converged
    assert il.support(res.theta) == planted["support"]
    np.testing.assert_allclose(res.theta, planted["x_star"], atol=1e-7)
    assert res.loss == pytest.approx(f(planted["x_star"])[0], abs=1e-12)
    assert res.monotone
    assert res.message.startswith("converged after")
    assert 0 < res.support_changed_at < res.n_iter


def test_converged_when_tol_met(planted):
    f, s = planted["fun"], planted["s"]
    res = il.iht(f, planted["x_star"].copy(), s, planted["step"], max_iter=50, tol=1e-8)
    # x* is a fixed point: the first step moves nothing
    assert res.status == "converged" and res.n_iter == 1
    assert res.support_changed_at == 0
    np.testing.assert_allclose(res.theta, planted["x_star"], atol=1e-12)


def test_max_iter_status(fun, bound):
    res = il.iht(fun, il.random_sparse_init(15, 5, seed=2), 5, 1.0 / bound, max_iter=5)
    assert res.status == "max_iter" and res.n_iter == 5 and len(res.losses) == 6
    assert not res.converged
    assert "budget of 5" in res.message


@pytest.mark.parametrize("factor", [1e3, None])
def test_diverges_cleanly_for_a_huge_step(fun, bound, factor):
    step = 100.0 if factor is None else factor / bound
    theta0 = il.random_sparse_init(15, 5, size=3, seed=4)
    theta0[0] = 0.0  # also from the origin
    with np.errstate(all="raise"):  # no overflow warnings leak out either
        res = il.iht(fun, theta0, 5, step, max_iter=200)
    np.testing.assert_array_equal(res.status, "diverged")
    for msg in res.message:
        assert msg.startswith("diverged") and "smaller step" in msg
    assert np.all(np.isfinite(res.theta)) and np.all(np.isfinite(res.losses))
    assert not np.isnan(res.losses).any()
    assert np.all(np.count_nonzero(res.theta, axis=1) <= 5)
    # the returned θ is the last one not worse than the start
    assert np.all(fun.loss(res.theta) <= res.losses[:, 0] * (1 + 1e-12))
    single = il.iht(fun, theta0[1], 5, step, max_iter=200)
    assert single.status == "diverged" and "smaller step" in single.message
    assert np.all(np.isfinite(single.theta)) and np.all(np.isfinite(single.losses))


def test_per_run_steps(fun, bound):
    theta0 = il.random_sparse_init(15, 4, size=2, seed=8)
    res = il.iht(fun, theta0, 4, np.array([1.0 / bound, 1e3 / bound]), max_iter=50)
    assert res.status[0] == "max_iter" and res.status[1] == "diverged"
    np.testing.assert_allclose(res.step, [1.0 / bound, 1e3 / bound])


# ---------------------------------------------------------- iht_step and iht_loop
def test_iht_step_is_the_formula_row_by_row(fun, bound):
    """θ⁺ = H_s(θ − γ∇f(θ)) for a batch with one s and one γ per row, and for one row alone."""
    s, step = np.array([1, 4, 15]), np.array([0.5, 1.0, 2.0]) / bound
    theta = il.hard_threshold(il.random_sparse_init(15, 15, size=3, seed=2), s)
    batch = il.iht_step(fun, theta, s, step)
    for i in range(3):
        by_hand = il.hard_threshold(theta[i] - step[i] * fun.grad(theta[i]), int(s[i]))
        np.testing.assert_allclose(batch[i], by_hand, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(il.iht_step(fun, theta[i], int(s[i]), step[i]), by_hand, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(np.count_nonzero(batch, axis=1), s)


def test_iht_loop_returns_what_chapter_5_draws(fun, bound):
    """The iterates θ⁰…θ^T satisfy the recursion, the losses are f at them; one call of max_iter=1 per step agrees."""
    theta0, s, step = il.random_sparse_init(15, 5, seed=0), 5, 1.0 / bound
    thetas, losses = il.iht_loop(fun, theta0, s, step, max_iter=30, tol=0.0)
    assert thetas.shape == (31, 15) and losses.shape == (31,)
    np.testing.assert_array_equal(thetas[0], theta0)
    for k in range(30):
        np.testing.assert_allclose(thetas[k + 1], il.iht_step(fun, thetas[k], s, step), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(losses, [fun.loss(t) for t in thetas], rtol=1e-13)
    theta = theta0  # the chapter's old way: il.iht with max_iter=1, fed back
    for _ in range(30):
        theta = il.iht(fun, theta, s, step, max_iter=1).theta
    np.testing.assert_allclose(theta, thetas[-1], rtol=1e-12, atol=1e-14)


def test_iht_loop_stops_at_the_tolerance(planted):
    f, n, s, step = planted["fun"], planted["n"], planted["s"], planted["step"]
    thetas, losses = il.iht_loop(f, np.zeros(n), s, step, max_iter=3000, tol=1e-10)
    steps = np.abs(np.diff(thetas, axis=0)).max(axis=1)
    assert steps[-1] <= 1e-10 < steps[:-1].min()  # it stopped at the first step below tol, not before
    np.testing.assert_allclose(thetas[-1], planted["x_star"], atol=1e-7)
    assert len(thetas) < 3001 and np.all(np.diff(losses) <= TINY)


def test_iht_step_names_what_is_not_finite():
    q = il.Quadratic(np.eye(3), np.ones(3))
    with pytest.raises(ValueError, match=r"^the gradient step θ − γ∇f\(θ\) overflowed"):
        with np.errstate(over="ignore"):
            il.iht_step(q, np.array([1e308, 0.0, 0.0]), 1, 1e10)
    with pytest.raises(ValueError, match=r"^theta contains NaN"):
        il.iht_step(q, np.array([np.nan, 0.0, 0.0]), 1, 0.5)


# ------------------------------------------------------------------------- errors
@pytest.mark.parametrize("s", [2.0, True, "3"])
def test_error_s_type(fun, s):
    with pytest.raises(TypeError, match=r"^s must be an integer"):
        il.iht(fun, np.zeros(15), s, 0.5)


@pytest.mark.parametrize("s", [0, -2, 16])
def test_error_s_range(fun, s):
    with pytest.raises(ValueError, match=r"^s must satisfy 1 <= s <= n=15"):
        il.iht(fun, np.zeros(15), s, 0.5)


@pytest.mark.parametrize("step", [0.0, -0.1, np.nan, np.inf, -np.inf])
def test_error_step_value(fun, step):
    with pytest.raises(ValueError, match=r"^step must be finite and > 0"):
        il.iht(fun, np.zeros(15), 3, step)


@pytest.mark.parametrize("step", ["0.5", True, None])
def test_error_step_type(fun, step):
    with pytest.raises(TypeError, match=r"^step must be a positive real number"):
        il.iht(fun, np.zeros(15), 3, step)


def test_error_step_wrong_length(fun):
    with pytest.raises(ValueError, match=r"^step must be a scalar or have one entry per run"):
        il.iht(fun, np.zeros((2, 15)), 3, [0.1, 0.2, 0.3])


def test_error_theta0_not_sparse(fun):
    theta0 = np.zeros(15)
    theta0[:6] = 1.0
    with pytest.raises(ValueError, match=r"^theta0 has 6 nonzeros .*more than s=5"):
        il.iht(fun, theta0, 5, 0.5)
    batch = np.zeros((3, 15))
    batch[2, :4] = 1.0
    with pytest.raises(ValueError, match=r"theta0 has 4 nonzeros \(run 2\), more than s=3"):
        il.iht(fun, batch, 3, 0.5)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_error_theta0_non_finite(fun, bad):
    theta0 = np.zeros(15)
    theta0[2] = bad
    with pytest.raises(ValueError, match=r"^theta0 contains NaN or infinite"):
        il.iht(fun, theta0, 3, 0.5)


@pytest.mark.parametrize("max_iter, err", [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError)])
def test_error_max_iter(fun, max_iter, err):
    # a value of the wrong type (a float, a bool) is a TypeError, an integer out of range a ValueError
    with pytest.raises(err, match=r"^max_iter must be an integer >= 1"):
        il.iht(fun, np.zeros(15), 3, 0.5, max_iter=max_iter)


def test_error_theta0_shape(fun):
    with pytest.raises(ValueError, match=r"^theta0 must have shape"):
        il.iht(fun, np.zeros((2, 2, 15)), 3, 0.5)


# ------------------------------------------------------------- random_sparse_init
def test_random_sparse_init_shapes_and_sparsity():
    one = il.random_sparse_init(15, 5, seed=0)
    assert one.shape == (15,) and np.count_nonzero(one) == 5
    many = il.random_sparse_init(15, 5, size=50, seed=0)
    assert many.shape == (50, 15)
    np.testing.assert_array_equal(np.count_nonzero(many, axis=1), 5)
    full = il.random_sparse_init(6, 6, size=3, seed=0)
    np.testing.assert_array_equal(np.count_nonzero(full, axis=1), 6)


def test_random_sparse_init_reproducible():
    a = il.random_sparse_init(15, 4, size=10, seed=123)
    b = il.random_sparse_init(15, 4, size=10, seed=123)
    c = il.random_sparse_init(15, 4, size=10, seed=124)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    g1 = il.random_sparse_init(15, 4, size=10, seed=np.random.default_rng(5))
    g2 = il.random_sparse_init(15, 4, size=10, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(g1, g2)


def test_random_sparse_init_supports_uniform():
    n, s, B = 10, 3, 6000
    X = il.random_sparse_init(n, s, size=B, seed=99)
    freq = (X != 0).mean(axis=0)
    # each coordinate is in the support with probability s/n = 0.3 (sd of the mean ≈ 0.006)
    np.testing.assert_allclose(freq, s / n, atol=0.03)
    # and every one of the C(10, 3) = 120 supports occurs with roughly equal counts (≈ 50 each)
    supports = {}
    for sup in il.support(X):
        supports[sup] = supports.get(sup, 0) + 1
    assert set(supports) == set(combinations(range(n), s))
    counts = np.array(list(supports.values()))
    expected = B / len(supports)
    chi2 = np.sum((counts - expected) ** 2 / expected)  # 119 d.o.f.: mean 119, sd ≈ 15.4
    assert chi2 < 200


def test_random_sparse_init_laws():
    normal = il.random_sparse_init(8, 4, size=3000, seed=1, scale=2.0)
    vals = normal[normal != 0]
    assert abs(vals.std() - 2.0) < 0.1 and abs(vals.mean()) < 0.1
    uni = il.random_sparse_init(8, 4, size=3000, seed=1, scale=0.5, law="uniform")
    vals = uni[uni != 0]
    assert vals.min() >= -0.5 and vals.max() <= 0.5 and vals.max() > 0.49 and vals.min() < -0.49
    with pytest.raises(ValueError, match="law"):
        il.random_sparse_init(8, 4, law="cauchy")
    with pytest.raises(ValueError, match="scale"):
        il.random_sparse_init(8, 4, scale=0.0)
    with pytest.raises(ValueError, match=r"^s must satisfy"):
        il.random_sparse_init(8, 9)


# ------------------------------------------------------------------- HT stability
def test_ht_stable_at_converged_planted_point(planted):
    f, n, s, step = planted["fun"], planted["n"], planted["s"], planted["step"]
    res = il.iht(f, np.zeros(n), s, step, max_iter=3000, tol=1e-12)
    rep = il.ht_stability(f, res.theta, s, step)
    assert rep.is_ht_stable is True and rep.is_fixed_point is True and rep.support_locked is True
    assert rep.is_ht_unstable is False and rep.is_stationary is True
    assert rep.margin > 0 and rep.grad_norm_support <= 1e-6
    smallest = np.abs(planted["x_star"][list(planted["support"])]).min()
    np.testing.assert_allclose(rep.min_abs_support, smallest, atol=1e-6)  # M_s = smallest planted |x*_j|


def test_ht_unstable_at_random_sparse_point(fun, bound):
    theta = il.random_sparse_init(15, 5, seed=3)
    rep = il.ht_stability(fun, theta, 5, 1.0 / bound)
    assert rep.is_stationary is False and rep.is_fixed_point is False
    assert rep.is_ht_stable is False and rep.is_ht_unstable is False and rep.support_locked is False
    assert rep.grad_norm_support > 1e-3


def test_ht_stability_strongly_convex_quadratic_and_tie():
    # f = ½‖θ‖² − bᵀθ: minimiser over s-sparse points keeps the s largest |b_i|
    b = np.array([5.0, 0.1, 3.0, 0.2])
    q = il.Quadratic(np.eye(4), b)
    theta = np.array([5.0, 0.0, 3.0, 0.0])
    rep = il.ht_stability(q, theta, 2, 0.5)
    assert rep.is_ht_stable and rep.is_fixed_point and rep.support_locked
    assert rep.min_abs_support == 3.0 and rep.threshold == 6.0
    assert rep.max_grad_off_support == pytest.approx(0.2) and rep.margin == pytest.approx(5.8)
    # a tie: b = (2, 2, 0), s = 1, θ = (2, 0, 0), γ = 1 -> |∇_1 f| = 2 = M_s/γ: degenerate HT-stable
    q2 = il.Quadratic(np.eye(3), np.array([2.0, 2.0, 0.0]))
    rep2 = il.ht_stability(q2, np.array([2.0, 0.0, 0.0]), 1, 1.0)
    assert rep2.is_fixed_point is True and rep2.is_ht_stable is True and rep2.margin == 0.0
    assert rep2.support_locked is False and rep2.is_ht_unstable is False
    assert len(il.hard_threshold_set(np.array([2.0, 0.0, 0.0]) - q2(np.array([2.0, 0.0, 0.0]))[1], 1)) == 2
    # fewer than s nonzeros: not stationary in the sense of chapter 5, so neither stable nor unstable
    rep3 = il.ht_stability(q, np.array([5.0, 0.0, 0.0, 0.0]), 2, 0.5)
    assert rep3.min_abs_support == 0.0 and not rep3.is_ht_stable and not rep3.is_stationary


def test_ht_stability_fields_consistent(fun, bound):
    rng = np.random.default_rng(0)
    s, step = 4, 0.8 / bound
    thetas = il.random_sparse_init(15, s, size=6, seed=rng)
    rep = il.ht_stability(fun, thetas, s, step)
    g = fun.grad(thetas)
    on = thetas != 0
    np.testing.assert_allclose(rep.margin, rep.threshold - rep.max_grad_off_support, rtol=1e-14)
    np.testing.assert_allclose(rep.threshold, rep.min_abs_support / step, rtol=1e-14)
    np.testing.assert_allclose(rep.min_abs_support, np.where(on, np.abs(thetas), np.inf).min(axis=1), rtol=0)
    np.testing.assert_allclose(rep.max_grad_off_support, np.where(on, 0.0, np.abs(g)).max(axis=1), rtol=1e-14)
    np.testing.assert_allclose(rep.grad_norm_support, np.linalg.norm(np.where(on, g, 0.0), axis=1), rtol=1e-14)
    # the batched report agrees with single reports
    for i in range(6):
        one = il.ht_stability(fun, thetas[i], s, step)
        for flag in ("is_stationary", "is_fixed_point", "is_ht_stable", "is_ht_unstable", "support_locked"):
            assert getattr(one, flag) == getattr(rep, flag)[i]
        for field in ("grad_norm_support", "max_grad_off_support", "min_abs_support", "threshold", "margin"):
            assert getattr(one, field) == pytest.approx(getattr(rep, field)[i], rel=1e-12, abs=1e-15)


def test_ht_stability_batched_at_converged_points(planted):
    f, n, s, step = planted["fun"], planted["n"], planted["s"], planted["step"]
    res = il.iht(f, np.zeros((2, n)), s, step, max_iter=3000, tol=1e-12)
    thetas = np.vstack([res.theta[0], il.random_sparse_init(n, s, seed=1)])
    rep = il.ht_stability(f, thetas, s, step)
    np.testing.assert_array_equal(rep.is_ht_stable, [True, False])
    assert rep.is_ht_stable.shape == (2,)


def test_ht_stability_accepts_gradient_only_function(planted):
    f, s, step = planted["fun"], planted["s"], planted["step"]
    a = il.ht_stability(f, planted["x_star"], s, step)
    b = il.ht_stability(lambda th: f(th)[1], planted["x_star"], s, step)
    assert a == b and a.is_ht_stable


# ------------------------------------------------------- result fields checked by hand
def test_diverged_keeps_last_good_iterate():
    """f = ½(θ₁² + 4θ₂² + θ₃²), γ = 1: θ₁ is zeroed at once, θ₂ is multiplied by −3 every step.

    f(θ⁰) ≈ 0.5 and f(θᵏ) = 2·10⁻⁶·9ᵏ for k ≥ 1, which first exceeds f(θ⁰) at k = 6.
    """
    q = il.Quadratic(np.diag([1.0, 4.0, 1.0]))
    theta0 = np.array([1.0, 1e-3, 0.0])
    res = il.iht(q, theta0, 2, 1.0, max_iter=50)
    assert res.status == "diverged" and "smaller step" in res.message
    assert res.n_iter == 5
    np.testing.assert_allclose(res.theta, [0.0, 1e-3 * (-3.0) ** 5, 0.0], rtol=1e-12)
    np.testing.assert_allclose(res.losses, [0.5 + 2e-6] + [2e-6 * 9.0**k for k in range(1, 6)], rtol=1e-12)
    assert res.monotone is False  # the loss rose from iteration 1 on, before it passed f(θ⁰)
    assert np.all(np.isfinite(res.losses))


def test_support_changed_at_by_hand(fun, bound):
    s, step = 3, 1.0 / bound
    theta0 = il.random_sparse_init(15, s, size=5, seed=31)
    res = il.iht(fun, theta0, s, step, max_iter=40, tol=0.0)
    for i in range(5):
        theta, last = theta0[i], 0
        for k in range(1, 41):
            new = il.hard_threshold(theta - step * fun.grad(theta), s)
            if il.support(new) != il.support(theta):
                last = k
            theta = new
        assert res.support_changed_at[i] == last
    assert np.any(res.support_changed_at > 0)  # the random supports were not all kept


def test_converged_criterion_by_hand(planted):
    f, n, s, step, tol = planted["fun"], planted["n"], planted["s"], planted["step"], 1e-6
    res = il.iht(f, np.zeros(n), s, step, max_iter=3000, tol=tol)
    assert res.status == "converged"
    k = res.n_iter
    before = il.iht(f, np.zeros(n), s, step, max_iter=k - 1, tol=0.0)
    two_before = il.iht(f, np.zeros(n), s, step, max_iter=k - 2, tol=0.0)
    assert np.abs(res.theta - before.theta).max() <= tol  # the last step moved at most tol
    assert np.abs(before.theta - two_before.theta).max() > tol  # the one before did not stop it


def test_error_tol(fun):
    # one message for every tolerance of the library (ihtlib.validation.check_tol)
    with pytest.raises(ValueError, match=r"^tol must be a finite number >= 0"):
        il.iht(fun, np.zeros(15), 3, 0.5, tol=-1.0)
    with pytest.raises(ValueError, match=r"^tol must be a finite number"):
        il.iht(fun, np.zeros(15), 3, 0.5, tol=np.nan)


def test_error_random_sparse_init_size():
    with pytest.raises(ValueError, match=r"^size must be >= 1"):
        il.random_sparse_init(8, 3, size=0)


def test_ht_stable_on_iris_with_ridge(iris, model, bound):
    """With a ridge term the IRIS loss is strongly convex; IHT converges to HT-stable points."""
    ridge = 0.05
    f = model.objective(iris.X_train, iris.y_train, ridge=ridge)
    step = 1.0 / (bound + ridge)
    res = il.iht(f, il.random_sparse_init(15, 5, size=4, seed=0), 5, step, max_iter=3000, tol=1e-10)
    np.testing.assert_array_equal(res.status, "converged")
    assert res.monotone.all()
    rep = il.ht_stability(f, res.theta, 5, step)
    np.testing.assert_array_equal(rep.is_ht_stable, True)
    np.testing.assert_array_equal(rep.support_locked, True)
    assert np.all(rep.margin > 0) and np.all(rep.grad_norm_support < 1e-6)
    # a stable point is a fixed point of the iteration: one more IHT step does not move it
    again = il.iht(f, res.theta, 5, step, max_iter=1, tol=0.0)
    np.testing.assert_allclose(again.theta, res.theta, atol=1e-9)
    assert il.support(again.theta) == il.support(res.theta)


def test_ht_stability_fewer_than_s_nonzeros():
    # ‖θ‖₀ < s: θ is a fixed point only if the whole gradient vanishes; HT-stability is defined for ‖θ‖₀ = s only
    q = il.Quadratic(np.eye(3), np.array([1.0, 0.0, 0.0]))
    rep = il.ht_stability(q, np.array([1.0, 0.0, 0.0]), 2, 0.5)
    assert rep.is_fixed_point is True and rep.is_ht_stable is False and rep.threshold == 0.0
    q2 = il.Quadratic(np.eye(3), np.array([1.0, 0.5, 0.0]))
    rep2 = il.ht_stability(q2, np.array([1.0, 0.0, 0.0]), 2, 0.5)
    assert rep2.is_fixed_point is False and rep2.max_grad_off_support == 0.5


# The four hand-built points of chapter 5's definitions, on f = ½‖θ‖² − bᵀθ with n = 3, s = 1,
# γ = ½ and θ = (2, 0, 0): ∇f(θ) = θ − b, M_s(θ) = 2, threshold M_s/γ = 4.
def _quadratic_point(b):
    q = il.Quadratic(np.eye(3), np.asarray(b, dtype=float))
    return il.ht_stability(q, np.array([2.0, 0.0, 0.0]), 1, 0.5)


def test_ht_stability_fixed_point_with_strict_margin():
    rep = _quadratic_point([2.0, 3.0, -1.0])  # ∇f = (0, −3, 1): off-support max 3 < 4
    assert (rep.is_stationary, rep.is_fixed_point, rep.is_ht_stable) == (True, True, True)
    assert (rep.is_ht_unstable, rep.support_locked) == (False, True)
    assert rep.margin == 1.0 and rep.threshold == 4.0 and rep.max_grad_off_support == 3.0


def test_ht_stability_tie_is_degenerate_stable():
    rep = _quadratic_point([2.0, 4.0, 0.0])  # ∇f = (0, −4, 2): off-support max 4 = 4
    assert (rep.is_stationary, rep.is_fixed_point, rep.is_ht_stable) == (True, True, True)
    assert (rep.is_ht_unstable, rep.support_locked) == (False, False)
    assert rep.margin == 0.0
    # H_s is set-valued there: θ itself and the point on the other axis
    theta = np.array([2.0, 0.0, 0.0])
    members = il.hard_threshold_set(theta - 0.5 * (theta - np.array([2.0, 4.0, 0.0])), 1)
    assert len(members) == 2


def test_ht_stability_off_support_violation_is_unstable():
    rep = _quadratic_point([2.0, 0.0, 5.0])  # ∇f = (0, 2, −5): off-support max 5 > 4
    assert (rep.is_stationary, rep.is_fixed_point, rep.is_ht_stable) == (True, False, False)
    assert (rep.is_ht_unstable, rep.support_locked) == (True, False)
    assert rep.margin == -1.0
    # and IHT leaves it: one step from a point 1e-6 away already changes the support
    q = il.Quadratic(np.eye(3), np.array([2.0, 0.0, 5.0]))
    step = il.iht(q, np.array([2.0 + 1e-6, 0.0, 0.0]), 1, 0.5, max_iter=1, tol=0.0)
    assert il.support(step.theta) == (2,)


def test_ht_stability_not_stationary_on_support():
    rep = _quadratic_point([1.0, 0.0, 0.0])  # ∇f = (1, 0, 0): the gradient on the support is 1
    assert (rep.is_stationary, rep.is_fixed_point, rep.is_ht_stable) == (False, False, False)
    assert (rep.is_ht_unstable, rep.support_locked) == (False, False)
    assert rep.grad_norm_support == 1.0 and rep.margin == 4.0


def test_ht_stability_tolerance_decides_ties():
    # a margin within ±tol is a tie; outside it the point is locked or unstable
    q = il.Quadratic(np.eye(3), np.array([2.0, 4.0 - 1e-9, 0.0]))
    theta = np.array([2.0, 0.0, 0.0])
    assert il.ht_stability(q, theta, 1, 0.5).support_locked is False
    assert il.ht_stability(q, theta, 1, 0.5, tol=1e-12).support_locked is True
    q2 = il.Quadratic(np.eye(3), np.array([2.0, 4.0 + 1e-9, 0.0]))
    assert il.ht_stability(q2, theta, 1, 0.5).is_ht_stable is True
    assert il.ht_stability(q2, theta, 1, 0.5, tol=1e-12).is_ht_unstable is True


def test_ht_stability_invalid_points():
    q = il.Quadratic(np.eye(3), np.ones(3))
    with pytest.raises(ValueError, match=r"^theta has 2 nonzeros, more than s=1"):
        il.ht_stability(q, np.array([1.0, 1.0, 0.0]), 1, 0.5)
    with pytest.raises(ValueError, match=r"^theta contains NaN"):
        il.ht_stability(q, np.array([np.nan, 0.0, 0.0]), 1, 0.5)
    with pytest.raises(ValueError, match=r"^tol must be a finite number >= 0"):
        il.ht_stability(q, np.array([1.0, 0.0, 0.0]), 1, 0.5, tol=-1e-6)
    with pytest.raises(ValueError, match=r"^tol must be a finite number >= 0"):
        il.ht_stability(q, np.array([1.0, 0.0, 0.0]), 1, 0.5, tol=np.inf)
    with pytest.raises(ValueError, match=r"^the gradient at theta must be finite"):
        il.ht_stability(lambda th: np.full_like(th, np.nan), np.array([1.0, 0.0, 0.0]), 1, 0.5)


def test_ht_stability_errors(planted):
    f, x = planted["fun"], planted["x_star"]
    with pytest.raises(ValueError, match=r"^step must be finite and > 0"):
        il.ht_stability(f, x, 3, 0.0)
    with pytest.raises(TypeError, match=r"^s must be an integer"):
        il.ht_stability(f, x, 3.0, 0.1)
    with pytest.raises(ValueError, match=r"^s must satisfy"):
        il.ht_stability(f, x, 21, 0.1)
    with pytest.raises(ValueError, match=r"^theta must have shape"):
        il.ht_stability(f, x[None, None, :], 3, 0.1)


def test_floating_point_error_in_one_run_only_stops_that_run(planted):
    """A ``fun`` that raises FloatingPointError for one run of a batch: that run diverges, the others go on."""
    q, n, s, step = planted["fun"], planted["n"], planted["s"], planted["step"]

    def fragile(theta):
        if np.any(np.abs(theta) > 50.0):
            raise FloatingPointError("overflow")
        return q(theta)

    theta0 = np.zeros((3, n))
    res = il.iht(fragile, theta0, s, np.array([step, 1e4 * step, step]), max_iter=3000, tol=1e-10)
    assert list(res.status) == ["converged", "diverged", "converged"]
    assert res.n_iter[1] == 0 and np.all(res.theta[1] == 0.0)
    assert np.all(np.isfinite(res.losses))
    single = il.iht(q, np.zeros(n), s, step, max_iter=3000, tol=1e-10)
    np.testing.assert_allclose(res.theta[0], single.theta, rtol=1e-12, atol=1e-14)
    assert res.n_iter[0] == single.n_iter == res.n_iter[2]


def test_monotone_flag_detects_a_small_rise():
    """f = ½(θ₁² + (2+δ)θ₂²), γ = 1: θ₁ → 0 at once, then |θ₂| grows by 1+δ per step.

    The loss falls far below f(θ⁰) at k = 1 and then rises by a relative 2δ per step: not
    divergence (it stays below f(θ⁰)), but not monotone either.
    """
    delta, eps = 1e-6, 1e-2
    q = il.Quadratic(np.diag([1.0, 2.0 + delta]))
    res = il.iht(q, np.array([1.0, eps]), 2, 1.0, max_iter=10, tol=0.0)
    assert res.status == "max_iter" and res.n_iter == 10
    assert res.monotone is False
    expected = [0.5 * (2 + delta) * eps**2 * (1 + delta) ** (2 * k) for k in range(1, 11)]
    np.testing.assert_allclose(res.losses[1:], expected, rtol=1e-9)
    # with a step that contracts both coordinates the same problem is monotone
    ok = il.iht(q, np.array([1.0, eps]), 2, 0.4, max_iter=10, tol=0.0)
    assert ok.monotone is True and ok.status == "max_iter"


# ------------------------------------------------------------ the settling rule
def test_settle_none_is_the_paper_protocol(fun, bound):
    """The default ``settle=None`` changes nothing: the same runs, to the last bit."""
    theta0 = il.random_sparse_init(15, 4, size=6, seed=2)
    a = il.iht(fun, theta0, 4, 1.5 / bound, max_iter=300)
    b = il.iht(fun, theta0, 4, 1.5 / bound, max_iter=300, settle=None, settle_rtol=0.1)
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.status, b.status)
    assert "settled" not in set(a.status)


def test_a_run_that_settles(fun, bound):
    """On a support with a minimiser the loss flattens long before the iterates stop moving by 1e-8."""
    theta0 = il.random_sparse_init(15, 1, seed=4)
    paper = il.iht(fun, theta0, 1, 1.0 / bound, max_iter=5000)
    ruled = il.iht(fun, theta0, 1, 1.0 / bound, max_iter=5000, settle=50)
    assert paper.status == "converged" and ruled.status == "settled"
    assert not ruled.converged and ruled.message.startswith("settled after")
    assert 50 <= ruled.n_iter < paper.n_iter
    assert ruled.n_iter - ruled.support_changed_at >= 50  # support unchanged for the last P iterations
    np.testing.assert_array_equal(ruled.losses, paper.losses[: ruled.n_iter + 1])  # the same iterates
    # what the rule promises: the loss of the last P iterations steady to 5e-4 (relative)
    assert abs(ruled.losses[-51] - ruled.loss) <= 5e-4 * ruled.loss
    # but not that the rest of the run changes it less: here the loss still falls by about 1e-3 (relative)
    assert paper.loss < ruled.loss < (1 + 3e-3) * paper.loss


def test_a_late_support_change_is_not_stopped_early(model, iris, fun):
    """The start of the s = 2 sweep that sits on a plateau (near a point with one weight) for ~1000 iterations.

    Support fixed and loss flat to 5e-4 for 100 iterations: a rule on those two would stop on the plateau.
    The margin of the HT-stability test shrinks meanwhile, so ``settled`` says no, and the run goes on to
    the better support it finds later.
    """
    step = il.estimate_l2s(fun, 15, 2, n_monte=1000, seed=0).step
    theta0 = il.sweep_starts(model, 2, 100, seed=0)[0]
    paper = il.iht(fun, theta0, 2, step, max_iter=2000)
    late = paper.support_changed_at
    assert late > 1000
    thetas, losses = il.iht_loop(fun, theta0, 2, step, max_iter=late)
    P = 100
    plateau = [
        k
        for k in range(P, late, 10)
        if len({il.support(t) for t in thetas[k - P : k + 1]}) == 1
        and abs(losses[k - P] - losses[k]) <= 5e-4 * losses[k]
    ]
    assert len(plateau) > 10  # the loss stalled on a fixed support, repeatedly
    assert not any(settled(fun, thetas[k - P : k + 1], 2, step) for k in plateau)
    ruled = il.iht(fun, theta0, 2, step, max_iter=2000, settle=P)
    assert ruled.status == "settled" and ruled.n_iter > late
    assert il.support(ruled.theta) == il.support(paper.theta)
    assert ruled.loss < losses[plateau[-1]] - 0.05  # the drop it waited for (0.547 on the plateau, 0.44 after)


def test_settled_reads_the_window_literally():
    """Each condition of ``settled`` broken on its own, on f(θ) = ½θ₀² − 3θ₀ (flat in θ₁ and θ₂), s = 2.

    On the window θ^j = (θ₀(j), θ₁(j), 0) the support is {0, 1}, ∇f = (θ₀ − 3, 0, 0), so the margin of the
    HT-stability test is M_s/γ = min(|θ₀|, |θ₁|)/γ.
    """
    q = il.Quadratic(np.diag([1.0, 0.0, 0.0]), np.array([3.0, 0.0, 0.0]))
    j = np.arange(11)[:, None]

    def window(theta0, theta1):
        return np.hstack([np.broadcast_to(theta0, (11, 1)), np.broadcast_to(theta1, (11, 1)), np.zeros((11, 1))])

    assert settled(q, window(3.0, 1.0), 2, 0.5)  # nothing moves
    assert settled(q, window(3.0, 1.0 + 0.01 * j), 2, 0.5)  # the margin grows: fine
    assert not settled(q, window(3.0, 1.0 - 0.01 * j), 2, 0.5)  # the margin shrinks by 10 %: not settled
    assert settled(q, window(3.0, 1.0 - 1e-5 * j), 2, 0.5)  # ... by 1e-4 only: within settle_rtol
    assert not settled(q, window(2.0 + 0.1 * j, 1.0), 2, 0.5)  # the loss changes by 22 %
    assert settled(q, window(3.0 - 1e-3 * (10 - j), 1.0), 2, 0.5)  # ... by 2e-7 relative
    assert not settled(q, window(3.0, np.where(j == 0, 0.0, 1.0)), 2, 0.5)  # the support changed after θ^{k-P}
