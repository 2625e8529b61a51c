"""Tests of ihtlib.swap: the swap search against its proven guarantees and the exhaustive optimum.

* proven (module docstring of :mod:`ihtlib.swap`): from a support one swap away from the best
  support S*, one move reaches S*; at s = 1 and s = n - 1 one move reaches S* from any support;
  F* strictly decreases along the path;
* measured (IRIS): from IHT's best support (chapter 8's recipe), the levels at which the search
  reaches the exhaustive optimum, and a start at which it stops short (a swap-local minimum);
* the batched version against the literal one, move by move.
"""

import numpy as np
import pytest

import ihtlib as il
from ihtlib.swap import _neighbours

RIDGE = 1e-8


# ------------------------------------------------------------------ a planted problem
@pytest.fixture(scope="module")
def planted_softmax():
    """Three classes, 3 features (n = 12): labels drawn from a softmax with W = 2.5 I (3 planted weights)."""
    rng = np.random.default_rng(2024)
    model = il.SoftmaxLayer(3, 3)
    X = rng.standard_normal((300, 3))
    theta_true = np.zeros(model.n_params)
    theta_true[[0, 4, 8]] = 2.5  # W[0, 0], W[1, 1], W[2, 2]
    p = il.model.softmax(X @ theta_true[:9].reshape(3, 3).T + theta_true[9:], axis=1)
    y = (rng.random(300)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)  # y ~ p
    return model, X, y


def _one_swap_away(S, n):
    return [tuple(int(k) for k in np.flatnonzero(row)) for row in _neighbours(tuple(S), n)]


def test_one_move_reaches_the_best_support_from_every_support_one_swap_away(planted_softmax):
    """Proven: S* is in N(S), and best improvement picks the unique minimiser of F* over N(S)."""
    model, X, y = planted_softmax
    opt = il.best_subset(model, X, y, 3, ridge=RIDGE)
    assert opt.support == (0, 4, 8)  # measured: the planted support is the best one
    assert np.sort(opt.all_objectives)[1] > opt.objective * 1.1  # S* is the unique optimum, by far
    starts = _one_swap_away(opt.support, model.n_params)
    assert len(starts) == 3 * 9
    for start in starts:
        res = il.swap_search_batched(model, X, y, start, ridge=RIDGE)
        assert res.path == [start, opt.support] and res.converged and res.n_sweeps == 2
        assert res.objective == pytest.approx(opt.objective, rel=1e-12)
    for start in starts[::6]:  # the literal version, on a few
        res = il.swap_search(model, X, y, start, ridge=RIDGE)
        assert res.path == [start, opt.support] and res.n_refits == 1 + 2 * 27


def test_on_the_planted_problem_every_start_reaches_the_optimum(planted_softmax):
    """Measured (not proven): at s = 3 every 4th of the C(12, 3) = 220 starts ends at S* (all 220 do)."""
    model, X, y = planted_softmax
    opt = il.best_subset(model, X, y, 3, ridge=RIDGE)
    moves = []
    for start in map(tuple, opt.all_supports[::4]):
        res = il.swap_search_batched(model, X, y, start, ridge=RIDGE)
        assert res.support == opt.support
        moves.append(len(res.path) - 1)
    assert max(moves) == 3


def test_at_s_1_every_support_is_a_neighbour(planted_softmax):
    model, X, y = planted_softmax
    opt = il.best_subset(model, X, y, 1, ridge=RIDGE)
    for start in map(tuple, opt.all_supports):
        res = il.swap_search_batched(model, X, y, start, ridge=RIDGE)
        assert res.support == opt.support and len(res.path) <= 2 and res.converged


def test_at_s_n_minus_1_every_support_is_a_neighbour(planted_softmax):
    """At s = n - 1 the optimum is attained on several supports (drop any one bias: the softmax does not
    see a common shift, up to the ridge), so compare objectives."""
    model, X, y = planted_softmax
    opt = il.best_subset(model, X, y, 11, ridge=RIDGE)
    for start in map(tuple, opt.all_supports):
        res = il.swap_search_batched(model, X, y, start, ridge=RIDGE)
        assert res.objective <= opt.objective * (1 + 1e-12) and len(res.path) <= 2 and res.converged


def test_the_path_strictly_decreases_and_each_objective_is_the_refit(planted_softmax):
    model, X, y = planted_softmax
    res = il.swap_search(model, X, y, (1, 3, 4), ridge=RIDGE)
    assert np.all(np.diff(res.history) < 0) and len(set(res.path)) == len(res.path)
    F = model.objective(X, y, ridge=RIDGE)
    for S, value in zip(res.path, res.history, strict=True):
        assert F(il.refit(model, X, y, S, ridge=RIDGE))[0] == pytest.approx(value, rel=1e-14)
    assert il.support(res.theta) == res.support and res.objective == res.history[-1]


def test_full_support_and_max_sweeps(planted_softmax):
    model, X, y = planted_softmax
    for search in (il.swap_search, il.swap_search_batched):
        full = search(model, X, y, tuple(range(12)), ridge=RIDGE)
        assert full.converged and full.n_refits == 1 and full.path == [tuple(range(12))]
        short = search(model, X, y, (1, 3, 4), ridge=RIDGE, max_sweeps=1)
        assert short.n_sweeps == 1 and not short.converged and len(short.path) == 2


# ------------------------------------------------------------------ the two versions agree
@pytest.mark.parametrize("s", [2, 3, 4, 5, 6])
def test_batched_agrees_with_literal_on_iris(iris, model, s):
    rng = np.random.default_rng(s)
    start = tuple(sorted(rng.choice(model.n_params, size=s, replace=False).tolist()))
    lit = il.swap_search(model, iris.X_train, iris.y_train, start, ridge=RIDGE)
    fast = il.swap_search_batched(model, iris.X_train, iris.y_train, start, ridge=RIDGE, n_jobs=1)
    assert lit.path == fast.path and lit.n_sweeps == fast.n_sweeps and lit.n_refits == fast.n_refits
    assert np.allclose(lit.history, fast.history, rtol=1e-12, atol=0)
    assert np.allclose(lit.theta, fast.theta, rtol=0, atol=1e-6)


def test_neighbourhood_is_every_single_swap():
    S, n = (1, 4, 6), 8
    got = _one_swap_away(S, n)
    want = [tuple(sorted(set(S) - {i} | {j})) for i in S for j in range(n) if j not in S]
    assert got == want


# ------------------------------------------------------------------ measured on IRIS
@pytest.fixture(scope="module")
def iris_iht(iris, model):
    """Chapter 8's recipe at s = 2 … 6: 100 starts, 1000 IHT steps, γ = 1/L̂2s; the exhaustive optimum."""
    levels = [2, 3, 4, 5, 6]
    X, y = iris.X_train, iris.y_train
    sweep = il.sparsity_sweep(model, iris, levels, n_starts=100, max_iter=1000, seed=0, n_monte=1000, ridge=RIDGE)
    sweep["refit"] = il.minimize_on_supports(model, X, y, np.stack(sweep.theta.to_numpy()) != 0, ridge=RIDGE).objective
    best = {s: sweep[sweep.s == s].sort_values("refit").iloc[0].support for s in levels}
    return best, il.best_subset_path(model, X, y, levels, ridge=RIDGE)


def test_swap_from_ihts_best_support_reaches_the_optimum_on_iris(iris, model, iris_iht):
    """Measured: IHT's best support is already optimal at s = 3, 4, 5; it ranks 3rd at s = 2 and 40th at
    s = 6 (chapter 8), and there one swap reaches the optimum.  So at every s = 2 … 6 the swap search ends
    at the exhaustive optimum."""
    best, opt = iris_iht
    ranks, moves = {}, {}
    for s, start in best.items():
        res = il.swap_search_batched(model, iris.X_train, iris.y_train, start, ridge=RIDGE)
        ranks[s], moves[s] = opt[s].rank_of(start) + 1, len(res.path) - 1
        assert res.support == opt[s].support and res.converged
        assert res.objective <= opt[s].objective * (1 + 1e-12)
    assert ranks == {2: 3, 3: 1, 4: 1, 5: 1, 6: 40}
    assert moves == {2: 1, 3: 0, 4: 0, 5: 0, 6: 1}


def test_a_swap_local_minimum_that_is_not_the_optimum(iris, model):
    """Measured: from (0, 1) at s = 2 the search stops at (2, 7), 1.05 % above F*, where no swap helps.

    So "a non-optimal support always has an improving swap" is false: the search is a local search."""
    opt = il.best_subset(model, iris.X_train, iris.y_train, 2, ridge=RIDGE)
    res = il.swap_search(model, iris.X_train, iris.y_train, (0, 1), ridge=RIDGE)
    assert res.converged and res.support == (2, 7) != opt.support == (6, 11)
    assert res.objective / opt.objective - 1 == pytest.approx(0.0105, abs=5e-4)
    assert opt.rank_of(res.support) > 0
