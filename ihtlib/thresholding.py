"""Hard thresholding: the projection onto the s-sparse vectors (chapter 2), and random s-sparse vectors.

``H_s(v) = argmin_{‖y‖₀ ≤ s} ‖y - v‖₂`` keeps the s entries of largest magnitude
and zeroes the rest.  When the s-th and (s+1)-th largest magnitudes are equal the
minimiser is not unique and ``H_s(v)`` is a *set*; :func:`hard_threshold` returns one
member by a fixed rule and :func:`hard_threshold_set` lists them all.

Tie rule
--------
Among entries of equal magnitude, the one with the **lower index** is kept.  So
``hard_threshold([1, -3, 1], 2)`` is ``[1, -3, 0]``.

Random points of the same set, :func:`random_sparse_init` (a uniformly random support of
size s, random values on it), are the starts of IHT (chapter 5) and the Monte Carlo samples
of the estimate of L2s (chapter 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
from numpy.typing import ArrayLike

from .validation import (
    MAX_PROBLEMS,
    check_array,
    check_budget,
    check_combinations,
    check_integer,
    check_real,
    check_s,
    check_s_per_row,
    seeded_batch,
)

__all__ = [
    "check_s",
    "check_s_per_row",
    "hard_threshold",
    "hard_threshold_set",
    "support",
    "random_sparse_init",
]  # check_*: re-exported


def _check_v(v: ArrayLike) -> np.ndarray:
    v = check_array(v, "v", finite=False, allow_empty=True)
    if v.ndim == 0 or v.shape[-1] == 0:
        raise ValueError(f"v must have shape (..., n) with n >= 1, got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError("v contains NaN or infinite values; hard thresholding needs finite entries")
    return v


def hard_threshold(v: ArrayLike, s: int | ArrayLike) -> np.ndarray:
    """Keep the s largest-magnitude entries of v along the last axis, zero the rest.

    Parameters
    ----------
    v : array_like, shape (..., n)
        One vector or a batch of vectors (leading axes are independent).
    s : int, 1 <= s <= n, or array of int of shape (...)
        The sparsity level, or one level per vector of the batch.

    Returns
    -------
    ndarray, shape (..., n)
        A member of H_s(v); under ties the lower index is kept (module docstring).

    Examples
    --------
    >>> hard_threshold([1.0, -3.0, 1.0], 2)
    array([ 1., -3.,  0.])
    """
    v = _check_v(v)
    n = v.shape[-1]
    s = check_s_per_row(s, n, v.shape[:-1])
    a = np.abs(v)
    if isinstance(s, int):  # t = |v|_(s), the s-th largest magnitude of each vector, shape (..., 1)
        t, n_kept = np.partition(a, n - s, axis=-1)[..., n - s, None], s * (v.size // n)
    else:
        s = s[..., None]
        t, n_kept = np.take_along_axis(np.sort(a, axis=-1), n - s, axis=-1), int(s.sum())
    keep = a >= t  # the s entries of largest magnitude ...
    if np.count_nonzero(keep) != n_kept:  # ... unless some tie with |v|_(s): then the lower indices first
        above, tied = a > t, a == t
        room = s - np.count_nonzero(above, axis=-1, keepdims=True)
        keep = above | (tied & (np.cumsum(tied, axis=-1) <= room))
    return np.where(keep, v, 0.0)


def hard_threshold_set(v: ArrayLike, s: int) -> list[np.ndarray]:
    """Every member of the set-valued H_s(v) for one vector v.

    Parameters
    ----------
    v : array_like, shape (n,)
    s : int, 1 <= s <= n

    Returns
    -------
    list of ndarray, each of shape (n,)
        All distinct best s-term approximations of v. The first one equals
        ``hard_threshold(v, s)``. One member when there is no tie at the s-th
        largest magnitude (or when v has at most s nonzeros).

    Examples
    --------
    >>> [m.tolist() for m in hard_threshold_set([1.0, -3.0, 1.0], 2)]
    [[1.0, -3.0, 0.0], [0.0, -3.0, 1.0]]
    """
    v = _check_v(v)
    if v.ndim != 1:
        raise ValueError(f"v must be one vector of shape (n,) for hard_threshold_set, got shape {v.shape}")
    s = check_s(s, v.size)
    a = np.abs(v)
    t = np.sort(a)[::-1][s - 1]  # the s-th largest magnitude
    if t == 0.0:  # at most s nonzeros: H_s(v) = {v}
        return [v.copy()]
    keep = np.flatnonzero(a > t)
    tied = np.flatnonzero(a == t)
    check_combinations(
        tied.size,
        s - keep.size,
        f"H_s(v) has one member per choice of {s - keep.size} of the {tied.size} tied entries",
        "too many to list: use hard_threshold(v, s) for one member",
        limit=MAX_PROBLEMS,
    )
    members = []
    for chosen in combinations(tied, s - keep.size):
        out = np.zeros_like(v)
        idx = np.concatenate([keep, np.array(chosen, dtype=int)])
        out[idx] = v[idx]
        members.append(out)
    return members


def support(v: ArrayLike) -> tuple[int, ...] | list[tuple[int, ...]]:
    """Indices of the nonzero entries.

    Parameters
    ----------
    v : array_like, shape (n,) or (B, n)

    Returns
    -------
    tuple of int
        For one vector: the sorted indices i with v[i] != 0.
    list of tuple of int
        For a batch of shape (B, n): one tuple per row.
    """
    try:
        v = np.asarray(v)
    except (TypeError, ValueError) as err:
        raise TypeError(f"v must be an array of shape (n,) or (B, n), got {v!r:.60}") from err
    if v.dtype.kind not in "biuf":
        raise TypeError(f"v must hold real numbers or booleans, got dtype {v.dtype}")
    if v.ndim == 1:
        return tuple(int(i) for i in np.flatnonzero(v))
    if v.ndim == 2:
        return [tuple(int(i) for i in np.flatnonzero(row)) for row in v]
    raise ValueError(f"support takes shape (n,) or (B, n), got shape {v.shape}")


def random_sparse_init(
    n: int,
    s: int,
    size: int | None = None,
    seed: int | Sequence[int] | np.random.Generator | None = None,
    scale: float = 1.0,
    law: str = "normal",
) -> np.ndarray:
    """Random s-sparse vectors: a uniformly random support of size s, random values on it.

    Parameters
    ----------
    n : int
        Length of each vector.
    s : int, 1 <= s <= n
        Number of nonzeros.
    size : int, optional
        Number of vectors B. ``None`` returns one vector of shape (n,).
    seed : int, sequence of int or numpy Generator, optional
        Seed for ``numpy.random.default_rng``.
    scale : float, default 1
        Standard deviation (``law="normal"``) or half-width (``law="uniform"``).
    law : {"normal", "uniform"}
        Distribution of the nonzero values: N(0, scale²) or U(-scale, scale).

    Returns
    -------
    ndarray, shape (n,) or (size, n)
        Exactly s nonzeros per vector (almost surely).
    """
    n = check_integer(n, "n", low=1)
    s = check_s(s, n)
    if law not in ("normal", "uniform"):
        raise ValueError(f"law must be 'normal' or 'uniform', got {law!r}")
    scale = check_real(scale, "scale", low=0.0, low_open=True)
    rng, B = seeded_batch(seed, size)
    check_budget(B * n, f"random_sparse_init of {B} vectors of length {n}", "pass a smaller size or n")
    idx = np.argsort(rng.random((B, n)), axis=1)[:, :s]
    if law == "normal":
        values = rng.normal(0.0, scale, (B, s))
    else:
        values = rng.uniform(-scale, scale, (B, s))
    out = np.zeros((B, n))
    np.put_along_axis(out, idx, values, axis=1)
    return out[0] if size is None else out
