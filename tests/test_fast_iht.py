"""Agreement: the batched, compacted IHT of ihtlib.fast.iht_batch against the literal iht_loop.

Every run of a batch of ``il.iht`` must be ``il.iht_loop`` from its own start with its own s and
step: the same iterates, the same stopping iteration (by ``tol``, the budget or, with ``settle``,
the literal settling rule ``ihtlib.iht.settled``), the same bookkeeping; until the safeguard
stops a diverging run, which then keeps its last good iterate.  ``expected`` below derives every
field of ``IHTResult`` from the literal loop alone, so the tests compare two independent
computations.  The pieces the fast loop computes without the literal functions (the update, the
thresholding, the stability margin) are also compared with them directly, bit for bit.
"""

import numpy as np
import pytest

import ihtlib as il
from ihtlib.fast.iht_batch import RISE_RTOL, _update, margins, threshold
from ihtlib.iht import settled


def expected(fun, theta0, s, step, max_iter, tol, settle=None, settle_rtol=5e-4):
    """The fields of one run of ``il.iht``, computed from ``il.iht_loop`` and the definitions of IHTResult."""
    thetas, losses = il.iht_loop(
        fun, theta0, s, step, max_iter=max_iter, tol=tol, settle=settle, settle_rtol=settle_rtol
    )
    T = len(thetas) - 1
    too_high = ~(losses[1:] <= losses[0] + RISE_RTOL * abs(losses[0]))  # the safeguard: a rise above f(θ⁰)
    if too_high.any():
        n_iter, status = int(np.argmax(too_high)), "diverged"
    else:
        last_step = np.max(np.abs(thetas[T] - thetas[T - 1]))
        n_iter, status = T, "converged" if last_step <= tol else "max_iter"
        if status == "max_iter" and settle is not None and T >= settle:
            if settled(fun, thetas[T - settle :], s, step, settle_rtol):
                status = "settled"  # the loop stopped by the settling rule (at the budget or before it)
    kept = thetas[: n_iter + 1]
    changed = [k for k in range(1, n_iter + 1) if il.support(kept[k]) != il.support(kept[k - 1])]
    rises = losses[1 : n_iter + 1] > losses[:n_iter] + RISE_RTOL * np.abs(losses[:n_iter])
    return {
        "theta": kept[-1],
        "losses": losses[: n_iter + 1],
        "n_iter": n_iter,
        "status": status,
        "support_changed_at": changed[-1] if changed else 0,
        "monotone": status != "diverged" and not rises.any(),
    }


def assert_agrees(result, fun, theta0, s, step, max_iter, tol, settle=None, settle_rtol=5e-4):
    """Row i of the batched ``result`` is the literal loop from ``theta0[i]`` with ``s[i]`` and ``step[i]``."""
    B = theta0.shape[0]
    s, step = np.broadcast_to(s, (B,)), np.broadcast_to(step, (B,))
    for i in range(B):
        want = expected(fun, theta0[i], int(s[i]), float(step[i]), max_iter, tol, settle, settle_rtol)
        k = want["n_iter"]
        where = f"run {i} (s={s[i]}, step={step[i]:.3g})"
        assert (result.status[i], result.n_iter[i]) == (want["status"], k), where
        assert result.support_changed_at[i] == want["support_changed_at"], where
        assert result.monotone[i] == want["monotone"], where
        np.testing.assert_allclose(result.theta[i], want["theta"], rtol=1e-12, atol=1e-14, err_msg=where)
        np.testing.assert_allclose(result.losses[i, : k + 1], want["losses"], rtol=1e-12, atol=1e-14, err_msg=where)
        np.testing.assert_array_equal(result.losses[i, k:], result.losses[i, k])  # padded with the last loss


@pytest.mark.parametrize("seed", range(6))
def test_iris_batch_with_per_run_s_and_steps(fun, bound, seed):
    """Random starts on IRIS, a different s and step per run; some steps too large to descend."""
    rng = np.random.default_rng(seed)
    B = 12
    s = rng.integers(1, 16, size=B)
    step = rng.choice([0.5, 1.0, 2.0, 40.0, 1e3], size=B) / bound
    theta0 = il.hard_threshold(il.random_sparse_init(15, 15, size=B, seed=rng), s)
    result = il.iht(fun, theta0, s, step, max_iter=60, tol=1e-6)
    assert_agrees(result, fun, theta0, s, step, 60, 1e-6)
    assert set(result.status) >= {"diverged", "max_iter"}  # the instance exercises both endings


@pytest.mark.parametrize("seed", range(6))
def test_quadratics_converged_max_iter_and_diverged_in_one_batch(seed):
    """f = ½θᵀAθ − bᵀθ with λ_max(A) = 5: steps below 2/5 converge, steps above 2/5 blow up."""
    rng = np.random.default_rng(100 + seed)
    n, B = 8, 10
    Q = np.linalg.qr(rng.normal(size=(n, n)))[0]
    q = il.Quadratic(Q @ np.diag(np.linspace(0.5, 5.0, n)) @ Q.T, rng.normal(size=n))
    s = rng.integers(1, n + 1, size=B)
    step = rng.choice([0.05, 0.19, 0.3, 0.5], size=B)  # 0.5 · 5 = 2.5 > 2: the loss grows geometrically
    theta0 = il.hard_threshold(rng.normal(size=(B, n)), s)
    result = il.iht(q, theta0, s, step, max_iter=150, tol=1e-9)
    assert_agrees(result, q, theta0, s, step, 150, 1e-9)
    assert set(result.status) == {"converged", "max_iter", "diverged"}


def test_ties_follow_the_lower_index_rule_in_both():
    """Exact arithmetic with ties in every step: f = ½‖θ‖² − bᵀθ, γ = ½, so v = (θ + b)/2 on a grid of halves."""
    b = np.array([2.0, -2.0, 2.0, 1.0, -1.0, 0.0])
    q = il.Quadratic(np.eye(6), b)
    theta0 = np.array(
        [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 4], [0, 2, 0, -2, 0, 0], [1, 0, 0, 0, 0, -1], [0, 0, 2, 0, 2, 0]],
        dtype=float,
    )
    s = np.array([1, 1, 2, 2, 2])
    result = il.iht(q, theta0, s, 0.5, max_iter=50, tol=0.0)
    assert_agrees(result, q, theta0, s, 0.5, 50, 0.0)
    # the instance has ties: some gradient step of the literal loop has a set-valued H_s
    thetas, _ = il.iht_loop(q, theta0[0], 1, 0.5, max_iter=5, tol=0.0)
    assert any(len(il.hard_threshold_set(t - 0.5 * q(t)[1], 1)) > 1 for t in thetas)


def test_one_start_gives_the_same_run_as_a_batch_of_one(planted):
    f, n, s, step = planted["fun"], planted["n"], planted["s"], planted["step"]
    one = il.iht(f, np.zeros(n), s, step, max_iter=500, tol=1e-10)
    want = expected(f, np.zeros(n), s, step, 500, 1e-10)
    assert (one.status, one.n_iter, one.support_changed_at, one.monotone) == (
        want["status"],
        want["n_iter"],
        want["support_changed_at"],
        want["monotone"],
    )
    np.testing.assert_allclose(one.losses, want["losses"], rtol=1e-12)


def test_runs_leaving_the_batch_do_not_disturb_the_others(fun, bound):
    """Compaction: with tol large enough, runs stop at many different iterations."""
    theta0 = il.random_sparse_init(15, 4, size=30, seed=5)
    result = il.iht(fun, theta0, 4, 1.0 / bound, max_iter=400, tol=3e-3)
    assert len(np.unique(result.n_iter)) > 5
    assert_agrees(result, fun, theta0, 4, 1.0 / bound, 400, 3e-3)


def _ties(rng, B, n):
    """Rows with many exact ties in magnitude (values on a coarse grid, random signs and zeros)."""
    return rng.integers(-3, 4, size=(B, n)).astype(float) * rng.choice([0.5, 1.0], size=(B, 1))


@pytest.mark.parametrize("seed", range(5))
def test_threshold_keeps_what_hard_threshold_keeps(seed):
    """The fast layer's thresholding (no checks) is ``il.hard_threshold`` bit for bit, ties included."""
    rng = np.random.default_rng(seed)
    B, n = 40, 9
    for v in (_ties(rng, B, n), rng.normal(size=(B, n))):
        s_rows = rng.integers(1, n + 1, size=B)
        for s in (int(rng.integers(1, n + 1)), s_rows):
            got, t = threshold(v, s)
            want = il.hard_threshold(v, s)
            np.testing.assert_array_equal(got, want)
            kth = -np.sort(-np.abs(v), axis=1)[np.arange(B), np.broadcast_to(s, (B,)) - 1]
            np.testing.assert_array_equal(t[:, 0], kth)  # the s-th largest |v_i|: M_s of the result


@pytest.mark.parametrize("seed", range(3))
def test_update_is_iht_step_bit_for_bit(fun, bound, seed):
    """θ − γ∇f then H_s: the fast update equals ``il.iht_step`` exactly (per-row s and steps)."""
    rng = np.random.default_rng(seed)
    B = 25
    s = rng.integers(1, 16, size=B)
    theta = il.hard_threshold(rng.normal(size=(B, 15)) * 3, s)
    step = rng.uniform(0.2, 3.0, size=B) / bound
    grad = fun(theta)[1]
    new, blown, m_s = _update(theta, grad, s, step)
    np.testing.assert_array_equal(new, il.iht_step(fun, theta, s, step))
    assert blown is False
    report = il.ht_stability(fun, new, s, step)
    np.testing.assert_array_equal(margins(new, fun(new)[1], m_s, step), report.margin)


def test_update_of_a_blown_run_stays_put(fun):
    """A run whose gradient step overflows keeps its iterate; the others are updated as usual."""
    theta = il.random_sparse_init(15, 3, size=3, seed=1)
    grad = fun(theta)[1]
    grad[1] *= 1e10  # with the step 1e308 below, γ∇f overflows in run 1 only
    step = np.array([0.5, 1e308, 0.5])
    new, blown, _ = _update(theta, grad, 3, step)
    assert blown.tolist() == [False, True, False]
    np.testing.assert_array_equal(new[1], theta[1])
    np.testing.assert_array_equal(new[[0, 2]], il.iht_step(lambda t: (None, grad[[0, 2]]), theta[[0, 2]], 3, 0.5))


@pytest.mark.parametrize("seed", range(4))
def test_settling_rule_agrees_with_the_literal_loop(fun, bound, seed):
    """With ``settle``: every run stops where ``iht_loop`` with the literal rule stops, with the same status."""
    rng = np.random.default_rng(50 + seed)
    B = 10
    s = rng.integers(1, 16, size=B)
    step = rng.choice([0.5, 1.0, 2.0, 1e3], size=B) / bound
    theta0 = il.hard_threshold(il.random_sparse_init(15, 15, size=B, seed=rng), s)
    result = il.iht(fun, theta0, s, step, max_iter=300, tol=1e-9, settle=20, settle_rtol=1e-2)
    assert_agrees(result, fun, theta0, s, step, 300, 1e-9, settle=20, settle_rtol=1e-2)
    assert {"settled", "max_iter", "diverged"} <= set(result.status)


def test_settling_on_the_planted_problem(planted):
    """Least squares with a unique sparse minimiser: the rule ends every run before ``tol`` would."""
    f, n, s, step = planted["fun"], planted["n"], planted["s"], planted["step"]
    theta0 = il.hard_threshold(np.random.default_rng(3).normal(size=(4, n)), s)
    steps = np.array([step, step, 0.3 * step, 0.5 * step])
    paper = il.iht(f, theta0, s, steps, max_iter=3000, tol=1e-10)
    result = il.iht(f, theta0, s, steps, max_iter=3000, tol=1e-10, settle=15, settle_rtol=1e-3)
    assert_agrees(result, f, theta0, s, steps, 3000, 1e-10, settle=15, settle_rtol=1e-3)
    assert set(paper.status) == {"converged"} and set(result.status) == {"settled"}
    assert np.all(result.n_iter < paper.n_iter)
    for i in range(4):  # the settled iterate is an iterate of the paper's run
        k = result.n_iter[i]
        np.testing.assert_allclose(result.losses[i, : k + 1], paper.losses[i, : k + 1], rtol=1e-12)
