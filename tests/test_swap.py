"""Tests of ihtlib.swap: the swap search against its proven guarantees and the exhaustive optimum.

* proven (module docstring of :mod:`ihtlib.swap`): from a support one swap away from the best
  support S*, one move reaches S*; at s = 1 and s = n - 1 one move reaches S* from any support;
  F* strictly decreases along the path;
* measured (IRIS): from IHT's best support (chapter 8's recipe), the levels at which the search
  reaches the exhaustive optimum, and a start at which it stops short (a swap-local minimum);
* the batched version against the literal one, move by move.
"""

from itertools import combinations
from math import comb

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


# ------------------------------------------------------------------ the swap graph of a solved level
def _table(n, s, objectives):
    """A BestSubsetResult with given restricted optima (for tables that no model produces)."""
    supports = np.array(list(combinations(range(n), s)), dtype=np.int64).reshape(-1, s)
    objectives = np.asarray(objectives, dtype=float)
    i = int(np.argmin(objectives))
    return il.BestSubsetResult(
        s=s, objective=float(objectives[i]), loss=float(objectives[i]), theta=np.zeros(n),
        support=tuple(int(k) for k in supports[i]), all_supports=supports, all_objectives=objectives,
        all_losses=objectives, all_thetas=np.zeros((supports.shape[0], n)),
    )


def _agrees_with_best_swap(result):
    graph = il.swap_graph(result)
    for row, S in enumerate(map(tuple, result.all_supports)):
        assert graph.rows([il.best_swap(result, S)])[0] == graph.next[row]
    return graph


@pytest.mark.parametrize("s", [1, 2, 3, 13, 14])
def test_swap_graph_agrees_with_best_swap_on_iris(iris, model, s):
    """The fast graph against the literal sweep, on every support of the level."""
    _agrees_with_best_swap(il.best_subset(model, iris.X_train, iris.y_train, s, ridge=RIDGE))


@pytest.mark.parametrize("s", [1, 3, 4, 6])
def test_swap_graph_agrees_with_best_swap_under_ties(s):
    """Objectives with only three distinct values (ties everywhere): the same first minimum is chosen."""
    n = 8
    rng = np.random.default_rng(s)
    _agrees_with_best_swap(_table(n, s, rng.integers(0, 3, size=comb(n, s))))


def test_swap_graph_rows_are_the_combinations_order():
    for n, s in ((5, 1), (7, 3), (9, 8), (42, 2)):
        graph = il.swap_graph(_table(n, s, np.arange(comb(n, s), dtype=float)))
        assert np.array_equal(graph.rows(graph.supports), np.arange(comb(n, s)))
        assert np.array_equal(graph.rows(graph.supports[::-1]), np.arange(comb(n, s))[::-1])


@pytest.mark.parametrize("seed", range(5))
def test_separable_objective_every_swap_local_minimum_is_optimal(seed):
    """Proven (chapter "Closing the gap"): if F*(S) = c - sum of gains g_i over S with distinct gains, the
    only swap-local minimum is the top-s support and each move adds one of its coordinates, so the search
    ends there after |S - S*| moves from any S."""
    n = 9
    gains = np.random.default_rng(seed).permutation(n) + 1.0
    for s in range(1, n):
        result = _table(n, s, [-gains[list(S)].sum() for S in combinations(range(n), s)])
        graph = _agrees_with_best_swap(result) if s in (2, 5) else il.swap_graph(result)
        top = set(np.argsort(-gains)[:s].tolist())
        assert graph.local_min.sum() == 1 and graph.local_min[graph.rows([tuple(sorted(top))])[0]]
        assert np.all(graph.end == graph.rows([tuple(sorted(top))])[0])
        assert np.array_equal(graph.moves, [len(set(S.tolist()) - top) for S in graph.supports])


def test_swap_graph_follows_the_real_search(iris, model, iris_iht):
    """Walking the graph takes the path of swap_search_batched (real refits) from the same starts."""
    _, opt = iris_iht
    X, y = iris.X_train, iris.y_train
    for s in (2, 4, 6):
        graph = il.swap_graph(opt[s])
        rng = np.random.default_rng(s)
        for row in rng.choice(graph.supports.shape[0], size=3, replace=False):
            res = il.swap_search_batched(model, X, y, tuple(graph.supports[row]), ridge=RIDGE)
            walk, r = [row], row
            while graph.next[r] != r:
                r = graph.next[r]
                walk.append(r)
            assert [tuple(graph.supports[k]) for k in walk] == res.path
            assert graph.end[row] == walk[-1] and graph.moves[row] == len(res.path) - 1


def test_iris_swap_local_minima_at_s_2(iris, model):
    """Measured: at s = 2 the swap graph has two local minima, the optimum (6, 11) and (2, 7); 36 of the
    105 supports lead to the optimum."""
    opt = il.best_subset(model, iris.X_train, iris.y_train, 2, ridge=RIDGE)
    graph = il.swap_graph(opt)
    minima = [tuple(int(i) for i in S) for S in graph.supports[graph.local_min]]
    assert minima == [(2, 7), (6, 11)]
    assert int(np.sum(graph.end == graph.rows([(6, 11)])[0])) == 36
    assert graph.end[graph.rows([(0, 1)])[0]] == graph.rows([(2, 7)])[0]


@pytest.mark.parametrize("s", [2, 3, 4])
def test_swap_local_minima_are_ht_stable_for_safe_steps(iris, model, s):
    """Proven (chapter "Closing the gap"): the refit on a swap-local minimum is a fixed point of IHT for every
    γ <= 1/L, L a value-form constant of F on s-sparse pairs; the global bound + ridge is one."""
    X, y = iris.X_train, iris.y_train
    opt = il.best_subset(model, X, y, s, ridge=RIDGE)
    graph = il.swap_graph(opt)
    fun = model.objective(X, y, ridge=RIDGE)
    step = 1.0 / (il.smoothness_bound(X) + RIDGE)
    for row in np.flatnonzero(graph.local_min):
        report = il.ht_stability(fun, opt.all_thetas[row], s, step)
        assert report.is_stationary and report.is_ht_stable
