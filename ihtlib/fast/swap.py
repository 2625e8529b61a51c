"""The swap graph of a solved level as arrays: the machinery behind :func:`ihtlib.swap_graph`.

Must agree with :func:`ihtlib.swap.best_swap` (one sweep of the swap search, its refits read
from an exhaustive search's table), support by support; ``tests/test_swap.py`` checks it on
every support of several levels, ties included.

What is added for speed (none of it changes which swap is chosen):

* a support's row in the table is computed, not searched: the table lists the supports of
  size s in ``itertools.combinations`` (lexicographic) order, and the lexicographic rank of
  c_0 < … < c_{s-1} among the subsets of {0, …, n-1} is
  ``C(n, s) - 1 - Σ_k C(n - 1 - c_k, s - k)`` (the second term counts the subsets after it);
* all s (n - s) swaps of a block of supports are built, sorted and ranked as one integer
  array of shape (rows, s (n - s), s), in the order of the literal loop (i ∈ S ascending,
  then j ∉ S ascending), so ``argmin`` picks the same first minimum;
* the end of every search comes from following all pointers at once, one move per pass.
"""

from __future__ import annotations

from math import comb

import numpy as np

BLOCK = 1 << 21  # swap entries (rows · s (n - s) · s) per block: bounds the memory to ~16 MB


def _binomials(n: int, s: int) -> np.ndarray:
    """C(a, b) for 0 <= a <= n, 0 <= b <= s as int64 (0 for b > a)."""
    table = np.zeros((n + 1, s + 1), dtype=np.int64)
    for a in range(n + 1):
        for b in range(min(a, s) + 1):
            table[a, b] = comb(a, b)
    return table


def support_rows(supports: np.ndarray, n: int) -> np.ndarray:
    """Row of each sorted support in ``itertools.combinations(range(n), s)`` order.

    Parameters
    ----------
    supports : ndarray of int, shape (..., s)
        Increasing indices in 0 … n-1 along the last axis.
    n : int

    Returns
    -------
    ndarray of int64, shape (...)
    """
    s = supports.shape[-1]
    binom = _binomials(n, s)
    later = binom[n - 1 - supports, s - np.arange(s)].sum(axis=-1)  # supports after this one
    return comb(n, s) - 1 - later


def best_swap_rows(supports: np.ndarray, objective: np.ndarray, n: int, rtol: float) -> np.ndarray:
    """:func:`ihtlib.swap.best_swap` for every row of an exhaustive search's table.

    Parameters
    ----------
    supports : ndarray of int, shape (C, s)
        Every support of size s, in combinations order (C = C(n, s)).
    objective : ndarray, shape (C,)
        F*(S) of each.
    n : int
    rtol : float

    Returns
    -------
    ndarray of int64, shape (C,)
        Row of the best swap when it lowers F* by more than ``rtol · |F*|``, else the row itself.
    """
    C, s = supports.shape
    nxt = np.arange(C, dtype=np.int64)
    if s == n:  # nothing outside: no swap
        return nxt
    inside = np.zeros((C, n), dtype=bool)
    np.put_along_axis(inside, supports, True, axis=1)
    outside = np.nonzero(~inside)[1].reshape(C, n - s)  # ascending per row
    per_row = s * (n - s) * s
    step = max(1, BLOCK // per_row)
    for lo in range(0, C, step):
        rows = slice(lo, min(C, lo + step))
        S, out = supports[rows], outside[rows]
        B = S.shape[0]
        swapped = np.broadcast_to(S[:, None, None, :], (B, s, n - s, s)).copy()
        k = np.arange(s)
        swapped[:, k, :, k] = out[None, :, :]  # entry (b, k, q): position k of S_b replaced by out_q
        swapped = np.sort(swapped.reshape(B, s * (n - s), s), axis=-1)  # S - {S_k} ∪ {out_q}, sorted
        cand = support_rows(swapped, n)  # (B, s (n - s)) in the literal loop's order
        values = objective[cand]
        first = np.argmin(values, axis=1)  # the first minimum, as the strict < of the loop
        best = values[np.arange(B), first]
        current = objective[rows]
        lowers = best < current - rtol * np.abs(current)
        nxt[rows] = np.where(lowers, cand[np.arange(B), first], nxt[rows])
    return nxt


def follow(nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Follow ``nxt`` from every row to the row where it stops (``nxt[r] == r``).

    Parameters
    ----------
    nxt : ndarray of int, shape (C,)
        Each row's successor; the values along a path strictly decrease, so there are no cycles.

    Returns
    -------
    end : ndarray of int64, shape (C,)
    moves : ndarray of int64, shape (C,)
        Number of steps from each row to its end.
    """
    nxt = np.asarray(nxt, dtype=np.int64)
    end = np.arange(nxt.size, dtype=np.int64)
    moves = np.zeros(nxt.size, dtype=np.int64)
    for _ in range(nxt.size):  # one move of every search per pass
        step = nxt[end]
        moving = step != end
        if not moving.any():
            break
        moves += moving
        end = step
    return end, moves
