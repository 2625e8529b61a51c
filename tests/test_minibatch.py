"""Mini-batch stochastic IHT (``ihtlib.minibatch``): full batch is IHT, seeds reproduce, and it works."""

from __future__ import annotations

import numpy as np
import pytest

import ihtlib as il


class LeastSquares:
    """The model of the planted problem: f_B(θ) = ½ θᵀ(A_BᵀA_B/|B|)θ − (A_Bᵀy_B/|B|)ᵀθ, ‖A_B θ − y_B‖²/(2|B|) + const.

    The same function as the problem's ``Quadratic`` (without its per-call PSD check, which
    would dominate the run time here).
    """

    def __init__(self, n: int):
        self.n_params = n

    def objective(self, A, y):
        A, y = np.asarray(A, dtype=float), np.asarray(y, dtype=float)
        G, c = A.T @ A / len(y), A.T @ y / len(y)
        return lambda theta: (0.5 * np.einsum("...i,...i->...", theta, theta @ G) - theta @ c, theta @ G - c)


@pytest.fixture(scope="module")
def iris():
    split = il.load_iris_split()
    return il.SoftmaxLayer(4, 3), split.X_train, split.y_train


@pytest.fixture(scope="module")
def digits():
    split = il.load_split("digits", test_size=0.2, seed=0)
    model = il.SoftmaxLayer(split.n_features, split.n_classes)
    return model, split


def test_full_batch_is_iht_loop_bit_for_bit(iris):
    model, X, y = iris
    theta0 = il.random_sparse_init(model.n_params, 5, seed=1)
    r = il.minibatch_iht(model, X, y, theta0, 5, 0.5, batch_size=len(y), n_epochs=40, seed=3)
    thetas, losses = il.iht_loop(model.objective(X, y), theta0, 5, 0.5, max_iter=40, tol=0.0)
    assert thetas.shape == r.thetas.shape == (41, model.n_params)
    assert np.array_equal(r.thetas, thetas) and np.array_equal(r.losses, losses)
    assert np.array_equal(r.theta, thetas[-1]) and r.loss == losses[-1]
    assert r.n_steps == 40 and list(r.passes) == list(range(41)) and list(r.batch_sizes) == [len(y)] * 40
    supports = [il.support(t) for t in thetas]
    assert r.support_changed_at == max(k for k in range(1, 41) if supports[k] != supports[k - 1])


def test_full_batch_is_iht_loop_on_the_planted_problem():
    p = il.planted_problem(60, 20, 3, seed=0)
    theta0 = np.zeros(20)
    r = il.minibatch_iht(LeastSquares(20), p.A, p.y, theta0, 3, p.step, 60, 25)
    thetas, _ = il.iht_loop(LeastSquares(20).objective(p.A, p.y), theta0, 3, p.step, max_iter=25, tol=0.0)
    assert np.array_equal(r.thetas, thetas)


def test_a_seed_reproduces_the_run_and_another_seed_does_not(iris):
    model, X, y = iris
    theta0 = il.random_sparse_init(model.n_params, 4, seed=0)
    run = lambda seed: il.minibatch_iht(model, X, y, theta0, 4, 0.3, 16, 5, seed=seed)  # noqa: E731
    a, b, c = run(7), run(7), run(8)
    assert np.array_equal(a.thetas, b.thetas) and np.array_equal(a.losses, b.losses)
    assert not np.array_equal(a.thetas, c.thetas)
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)  # a Generator is used as it is
    assert np.array_equal(run(g1).thetas, run(g2).thetas)


def test_every_sample_once_per_epoch_and_the_bookkeeping(iris):
    model, X, y = iris  # N = 120
    seen = []

    class Spy:
        n_params = model.n_params

        def objective(self, Xb, yb):
            seen.append(len(yb))
            return model.objective(Xb, yb)

    r = il.minibatch_iht(Spy(), X, y, np.zeros(model.n_params), 3, 0.2, 50, 3, batch_growth=2.0)
    per_step = seen[1:]  # the first call is the full-data objective
    assert list(r.batch_sizes) == [50, 100, 120]
    assert per_step == [40, 40, 40, 60, 60, 120]  # ⌈120/b_e⌉ batches of near-equal size: 3, 2, 1
    assert r.n_steps == 6 and list(r.passes) == [0.0, 1.0, 2.0, 3.0]
    r = il.minibatch_iht(model, X, y, np.zeros(model.n_params), 3, 0.2, 7, 2, batch_growth=lambda e: 120)
    assert list(r.batch_sizes) == [120, 120]


def test_the_step_schedule(iris):
    model, X, y = iris
    theta0 = np.zeros(model.n_params)
    r = il.minibatch_iht(model, X, y, theta0, 3, 0.4, 40, 2, step_schedule=3.0)
    assert np.allclose(r.steps, 0.4 / (1.0 + np.arange(6) / 3.0))
    r = il.minibatch_iht(model, X, y, theta0, 3, 0.4, 40, 2, step_schedule=lambda k: 0.5**k)
    assert np.allclose(r.steps, 0.4 * 0.5 ** np.arange(6))
    assert np.all(il.minibatch_iht(model, X, y, theta0, 3, 0.4, 40, 2).steps == 0.4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_support_recovered_and_a_decreasing_step_beats_the_noise_floor(seed):
    """Noisy planted least squares: both find the support; only the decreasing step reaches full-batch IHT's point.

    With a constant step the iterate keeps moving with the mini-batch noise around the
    solution; γ_k = γ/(1 + k/k₀) shrinks that noise.  Measured (seeds 0, 1, 2): distance to
    full-batch IHT's limit 0.12-0.40 with the constant step, below 0.02 with the decreasing one.
    """
    p = il.planted_problem(400, 100, 5, seed=seed)
    y = p.y + np.random.default_rng(seed).standard_normal(400)
    model, theta0 = LeastSquares(100), np.zeros(100)
    full, _ = il.iht_loop(model.objective(p.A, y), theta0, 5, p.step, max_iter=500)
    assert il.support(full[-1]) == p.support
    decreasing = il.minibatch_iht(model, p.A, y, theta0, 5, 0.5 * p.step, 10, 30, seed=seed, step_schedule=50.0)
    constant = il.minibatch_iht(model, p.A, y, theta0, 5, 0.5 * p.step, 10, 30, seed=seed)
    assert il.support(decreasing.theta) == p.support
    assert decreasing.support_changed_at <= 5  # settled within the first epochs
    gap_decreasing = np.linalg.norm(decreasing.theta - full[-1])
    gap_constant = np.linalg.norm(constant.theta - full[-1])
    assert gap_decreasing < 0.05 < gap_constant


def test_digits_at_equal_passes_batch_size_sets_the_noise_floor(digits):
    """Digits, s = 65 (10 % of n), γ = 1/L̂2s of chapter 9, 10 passes each (``benchmarks/bench_minibatch.py``).

    Measured on this start: b = 512 is ahead of full-batch IHT after 10 passes (more, smaller
    steps for the same gradient evaluations); b = 32 with the same constant γ is behind both
    (its noise floor); the decreasing step pulls b = 32 back below its constant-step loss.
    """
    model, split = digits
    X, y = split.X_train, split.y_train
    fun = model.objective(X, y)
    n, s, T = model.n_params, 65, 10
    gamma = il.estimate_l2s(fun, n, s, n_monte=200, seed=0).step
    theta0 = il.random_sparse_init(n, s, seed=[0, s])
    _, full = il.iht_loop(fun, theta0, s, gamma, max_iter=T, tol=0.0)
    run = lambda b, schedule=None: il.minibatch_iht(model, X, y, theta0, s, gamma, b, T, seed=0,  # noqa: E731
                                                   step_schedule=schedule)
    b512, b32, b32_decreasing = run(512), run(32), run(32, 5.0 * 45)
    print(f"\nloss after {T} passes: full {full[-1]:.4f}, b=512 {b512.loss:.4f}, b=32 {b32.loss:.4f}, "
          f"b=32 decreasing {b32_decreasing.loss:.4f}")
    assert b512.loss < full[-1] < b32.loss
    assert b32_decreasing.loss < b32.loss
    assert np.all(b512.passes == np.arange(T + 1)) and b32.n_steps == T * 45  # ⌈1437/32⌉ = 45 batches per epoch
    accuracy = model.accuracy(b512.theta, split.X_test, split.y_test)
    assert accuracy > 0.8 and np.count_nonzero(b512.theta) <= s


# ------------------------------------------------------------ R runs at once (minibatch_iht_runs)
def _literal_runs(model, X, y, theta0, s, steps, b, E, seeds, **kw):
    """Run r of minibatch_iht_runs, computed by the literal minibatch_iht alone."""
    return [il.minibatch_iht(model, X, y, theta0[r], s, steps[r], b, E, seed=seeds[r], **kw) for r in range(len(seeds))]


@pytest.mark.parametrize(
    "options",
    [{}, {"step_schedule": 20.0}, {"batch_growth": 1.5}, {"batch_growth": lambda e: [7, 120, 33][e % 3]}],
    ids=["constant", "decreasing step", "growing batch", "batch sizes by a callable"],
)
def test_runs_of_a_softmax_layer_agree_with_the_literal_runs(iris, options):
    """The fast layer (ihtlib.fast.minibatch) against minibatch_iht, run by run: the same batches and updates."""
    model, X, y = iris
    theta0 = il.random_sparse_init(model.n_params, 4, size=3, seed=2)
    steps, seeds = [0.9, 0.4, 0.4], [5, 6, [7, 8]]  # run 0 has a larger step than the others
    r = il.minibatch_iht_runs(model, X, y, theta0, 4, steps, 16, 6, seeds, **options)
    literal = _literal_runs(model, X, y, theta0, 4, steps, 16, 6, seeds, **options)
    assert r.thetas.shape == (3, 7, model.n_params) and r.losses.shape == (3, 7) and r.steps.shape == (3, r.n_steps)
    for i, lit in enumerate(literal):
        assert np.allclose(r.thetas[i], lit.thetas, rtol=0, atol=1e-10)
        assert np.array_equal(r.thetas[i] != 0, lit.thetas != 0)  # the same supports, epoch by epoch
        assert np.allclose(r.losses[i], lit.losses, rtol=1e-12, atol=0)
        assert r.support_changed_at[i] == lit.support_changed_at and np.array_equal(r.steps[i], lit.steps)
        assert r.n_steps == lit.n_steps and np.array_equal(r.batch_sizes, lit.batch_sizes)
        assert np.array_equal(r.passes, lit.passes) and np.array_equal(r.theta[i], r.thetas[i, -1])
    assert np.array_equal(r.loss, r.losses[:, -1])


def test_runs_on_digits_agree_with_the_literal_runs(digits):
    """Chapter 13's setting (digits, s = 65, γ = 1/L̂2s-sized steps, b = 32): 3 epochs, 135 updates per run."""
    model, split = digits
    X, y = split.X_train, split.y_train
    theta0 = il.random_sparse_init(model.n_params, 65, size=2, seed=0)
    r = il.minibatch_iht_runs(model, X, y, theta0, 65, [7.0, 3.5], 32, 3, [[32, 0], [32, 1]])
    for i, lit in enumerate(_literal_runs(model, X, y, theta0, 65, [7.0, 3.5], 32, 3, [[32, 0], [32, 1]])):
        assert np.allclose(r.thetas[i], lit.thetas, rtol=0, atol=1e-9)
        assert np.array_equal(r.thetas[i] != 0, lit.thetas != 0) and r.support_changed_at[i] == lit.support_changed_at


def test_one_start_for_every_run_and_full_batch_runs(iris):
    """θ⁰ of shape (n,) is every run's start; b = N makes every run full-batch IHT (il.iht_loop) to rounding."""
    model, X, y = iris
    theta0 = il.random_sparse_init(model.n_params, 5, seed=1)
    r = il.minibatch_iht_runs(model, X, y, theta0, 5, [0.5, 0.25], len(y), 30, [0, 1])
    for i, step in enumerate((0.5, 0.25)):
        thetas, losses = il.iht_loop(model.objective(X, y), theta0, 5, step, max_iter=30, tol=0.0)
        assert np.allclose(r.thetas[i], thetas, rtol=0, atol=1e-12) and np.allclose(r.losses[i], losses, rtol=1e-12)
    assert np.array_equal(r.thetas[:, 0], np.stack([theta0, theta0]))


def test_runs_of_another_model_are_the_literal_runs_exactly(iris):
    """Without a fast layer (here an MLP) the runs are minibatch_iht, bit for bit."""
    _, X, y = iris
    net = il.MLP([4, 3, 3])
    theta0 = net.init(8, size=2, seed=0)
    r = il.minibatch_iht_runs(net, X, y, theta0, 8, 0.3, 20, 3, [1, 2], step_schedule=10.0)
    for i, lit in enumerate(_literal_runs(net, X, y, theta0, 8, [0.3, 0.3], 20, 3, [1, 2], step_schedule=10.0)):
        assert np.array_equal(r.thetas[i], lit.thetas) and np.array_equal(r.losses[i], lit.losses)
        assert r.support_changed_at[i] == lit.support_changed_at


def test_runs_with_a_generator_per_run_continue_it(iris):
    """A Generator in seeds is used as it is (not copied): the same draws as the literal run with it."""
    model, X, y = iris
    theta0 = il.random_sparse_init(model.n_params, 3, seed=4)
    a = il.minibatch_iht_runs(model, X, y, theta0, 3, 0.5, 30, 2, [np.random.default_rng(9)])
    b = il.minibatch_iht(model, X, y, theta0, 3, 0.5, 30, 2, seed=np.random.default_rng(9))
    assert np.allclose(a.thetas[0], b.thetas, rtol=0, atol=1e-12)


def test_the_fast_threshold_is_hard_threshold_also_at_ties():
    """ihtlib.fast.minibatch._threshold keeps what il.hard_threshold keeps, ties (lower index) included."""
    from ihtlib.fast.minibatch import _threshold

    rng = np.random.default_rng(0)
    v = rng.normal(size=(6, 12))
    v[1, [2, 7]] = [0.5, -0.5]  # a tie that H_3 has to break in row 1 ...
    v[1, [0, 1, 3, 4, 5, 6, 8, 9, 10, 11]] = [2.0, -1.0, 0.1, 0.2, -0.3, 0.0, 0.4, 0.05, -0.01, 0.3]
    v[2] = np.tile([1.0, -1.0], 6)  # ... and a row of twelve equal magnitudes
    for s in (1, 3, 5):
        assert np.array_equal(_threshold(v, s), il.hard_threshold(v, s))
    assert np.array_equal(_threshold(v, np.array([1, 2, 3, 4, 5, 6])), il.hard_threshold(v, [1, 2, 3, 4, 5, 6]))
    with pytest.raises(ValueError, match="overflowed; use a smaller step"):
        _threshold(np.array([[1.0, np.inf]]), 1)
