"""ihtlib.thresholding: the (set-valued) hard-thresholding operator H_s.

Vectors are drawn with small integer values so that ties at the s-th largest
magnitude are frequent; every property is also checked against a brute-force
enumeration of all supports.
"""

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ihtlib as il

small_ints = st.integers(-3, 3).map(float)


@st.composite
def vec_and_s(draw, max_n=8):
    n = draw(st.integers(1, max_n))
    v = np.array(draw(st.lists(small_ints, min_size=n, max_size=n)))
    s = draw(st.integers(1, n))
    return v, s


@st.composite
def batch_and_s(draw):
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=5))
    V = draw(hnp.arrays(np.float64, shape, elements=st.integers(-3, 3).map(float)))
    s = draw(st.integers(1, shape[-1]))
    return V, s


def brute_force_set(v, s):
    """All distinct minimisers of ||y - v|| over y with at most s nonzeros (supports of size s suffice)."""
    best, members = np.inf, []
    for T in combinations(range(v.size), s):
        y = np.zeros_like(v)
        y[list(T)] = v[list(T)]
        dist = float(np.sum((y - v) ** 2))
        if dist < best - 1e-12:
            best, members = dist, [y]
        elif abs(dist - best) <= 1e-12:
            members.append(y)
    distinct = {tuple(m) for m in members}
    return best, distinct


# ------------------------------------------------------------------- single vectors
@given(vec_and_s())
def test_output_is_s_sparse_and_keeps_input_entries(vs):
    v, s = vs
    out = il.hard_threshold(v, s)
    assert out.shape == v.shape
    assert np.count_nonzero(out) <= s
    kept = out != 0
    np.testing.assert_array_equal(out[kept], v[kept])
    # every entry is either v_i or 0
    assert np.all((out == v) | (out == 0))


@given(vec_and_s())
def test_keeps_the_s_largest_magnitudes(vs):
    v, s = vs
    out = il.hard_threshold(v, s)
    top_v = np.sort(np.abs(v))[::-1][:s]
    top_out = np.sort(np.abs(out))[::-1][:s]
    np.testing.assert_array_equal(top_out, top_v)
    # and nothing dropped is larger than anything kept
    support = np.flatnonzero(out)
    dropped = np.setdiff1d(np.arange(v.size), support)
    if support.size and dropped.size:
        assert np.abs(v[dropped]).max() <= np.abs(v[support]).min()


@given(vec_and_s())
def test_idempotent(vs):
    v, s = vs
    once = il.hard_threshold(v, s)
    np.testing.assert_array_equal(il.hard_threshold(once, s), once)


@given(vec_and_s())
def test_output_is_member_of_the_set(vs):
    v, s = vs
    out = il.hard_threshold(v, s)
    members = il.hard_threshold_set(v, s)
    assert any(np.array_equal(out, m) for m in members)
    np.testing.assert_array_equal(members[0], out)  # documented: the first member is hard_threshold(v, s)


@given(vec_and_s())
def test_set_members_are_optimal_sparse_and_distinct(vs):
    v, s = vs
    members = il.hard_threshold_set(v, s)
    optimal = np.sqrt(np.sum(np.sort(np.abs(v))[: v.size - s] ** 2))  # the n - s smallest are dropped
    for m in members:
        assert m.shape == v.shape
        assert np.count_nonzero(m) <= s
        assert np.linalg.norm(m - v) == pytest.approx(optimal, abs=1e-12)
    assert len({tuple(m) for m in members}) == len(members)


@given(vec_and_s(max_n=7))
def test_set_equals_brute_force(vs):
    v, s = vs
    best, distinct = brute_force_set(v, s)
    members = il.hard_threshold_set(v, s)
    assert {tuple(m) for m in members} == distinct
    assert np.linalg.norm(il.hard_threshold(v, s) - v) ** 2 == pytest.approx(best, abs=1e-12)


@given(vec_and_s())
def test_tie_rule_lower_index(vs):
    """Among equal magnitudes at the threshold, the lower indices are kept."""
    v, s = vs
    out = il.hard_threshold(v, s)
    a = np.abs(v)
    t = np.sort(a)[::-1][s - 1]
    if t == 0:
        np.testing.assert_array_equal(out, v)
        return
    tied = np.flatnonzero(a == t)
    n_keep = s - np.count_nonzero(a > t)
    np.testing.assert_array_equal(out[tied[:n_keep]], v[tied[:n_keep]])
    np.testing.assert_array_equal(out[tied[n_keep:]], 0.0)


def test_example_with_a_tie():
    v = np.array([1.0, -3.0, 1.0])
    members = il.hard_threshold_set(v, 2)
    assert len(members) == 2
    assert {tuple(m) for m in members} == {(1.0, -3.0, 0.0), (0.0, -3.0, 1.0)}
    np.testing.assert_array_equal(il.hard_threshold(v, 2), [1.0, -3.0, 0.0])
    np.testing.assert_array_equal(il.hard_threshold([1, -3, 1], 2), [1.0, -3.0, 0.0])  # lists and ints work


def test_set_size_counts_tie_combinations():
    v = np.array([2.0, 1.0, -1.0, 1.0, 0.5, -1.0])  # one entry above the tie, four tied at 1
    members = il.hard_threshold_set(v, 3)
    assert len(members) == 6  # C(4, 2)
    assert all(m[0] == 2.0 and m[4] == 0.0 for m in members)
    assert len(il.hard_threshold_set(v, 1)) == 1
    assert len(il.hard_threshold_set(np.array([0.0, 5.0, 0.0]), 2)) == 1  # fewer than s nonzeros


def test_no_tie_single_member_and_exact():
    v = np.array([0.3, -2.5, 1.7, -0.1, 4.0])
    np.testing.assert_array_equal(il.hard_threshold(v, 2), [0.0, -2.5, 0.0, 0.0, 4.0])
    np.testing.assert_array_equal(il.hard_threshold(v, 5), v)
    assert len(il.hard_threshold_set(v, 3)) == 1
    # the input is not modified
    assert v.tolist() == [0.3, -2.5, 1.7, -0.1, 4.0]


# --------------------------------------------------------------------------- batches
@given(batch_and_s())
def test_batched_equals_rowwise(Vs):
    V, s = Vs
    out = il.hard_threshold(V, s)
    assert out.shape == V.shape
    for idx in np.ndindex(*V.shape[:-1]):
        np.testing.assert_array_equal(out[idx], il.hard_threshold(V[idx], s))
    assert np.all(np.count_nonzero(out, axis=-1) <= s)


# --------------------------------------------------------------------------- support
def test_support():
    assert il.support(np.array([0.0, 2.0, 0.0, -1.0])) == (1, 3)
    assert il.support(np.zeros(3)) == ()
    assert il.support(np.array([[1.0, 0.0], [0.0, 0.0], [3.0, 4.0]])) == [(0,), (), (0, 1)]
    assert all(isinstance(i, int) for i in il.support(np.array([0.0, 1.0])))
    with pytest.raises(ValueError, match="shape"):
        il.support(np.zeros((2, 2, 2)))


@given(vec_and_s())
def test_support_of_threshold_has_at_most_s(vs):
    v, s = vs
    sup = il.support(il.hard_threshold(v, s))
    assert len(sup) <= s and list(sup) == sorted(sup)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("s", [2.0, True, False, np.float64(2.0), "2", None, 1.5])
def test_error_s_not_integer(s):
    with pytest.raises(TypeError, match=r"^s must be an integer"):
        il.hard_threshold(np.arange(5.0), s)
    with pytest.raises(TypeError, match=r"^s must be an integer"):
        il.hard_threshold_set(np.arange(5.0), s)


@pytest.mark.parametrize("s", [0, -1, 6])
def test_error_s_out_of_range(s):
    with pytest.raises(ValueError, match=r"^s must satisfy 1 <= s <= n=5"):
        il.hard_threshold(np.arange(5.0), s)
    with pytest.raises(ValueError, match=r"^s must satisfy"):
        il.hard_threshold_set(np.arange(5.0), s)


def test_numpy_integer_s_accepted():
    np.testing.assert_array_equal(il.hard_threshold(np.arange(4.0), np.int64(1)), [0, 0, 0, 3.0])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_error_non_finite_v(bad):
    v = np.array([1.0, bad, 2.0])
    with pytest.raises(ValueError, match=r"^v contains NaN or infinite"):
        il.hard_threshold(v, 1)
    with pytest.raises(ValueError, match=r"^v contains NaN or infinite"):
        il.hard_threshold_set(v, 1)
    with pytest.raises(ValueError, match=r"^v contains"):
        il.hard_threshold(np.array([[1.0, 2.0], [bad, 0.0]]), 1)


def test_error_set_takes_one_vector():
    with pytest.raises(ValueError, match="one vector"):
        il.hard_threshold_set(np.zeros((2, 3)), 1)
