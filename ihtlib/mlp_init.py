"""Sparse Glorot initialisation of an :class:`ihtlib.MLP`: random s-sparse starts for IHT.

:meth:`ihtlib.MLP.init` calls :func:`sparse_glorot_init`; the reasons for where the s
nonzeros go and for their scale are in its docstring (chapter 10 uses them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .validation import check_budget, check_real, check_s, seeded_batch

__all__ = ["sparse_glorot_init"]


def sparse_glorot_init(
    model: object,
    s: int,
    size: int | None = None,
    seed: int | Sequence[int] | np.random.Generator | None = None,
    bias_scale: float = 0.1,
) -> np.ndarray:
    """Random s-sparse parameters with scales suited to a sparse network.

    How the s nonzeros are placed
        The weights get the nonzeros, spread across the layers **in proportion to their
        number of weights** (largest-remainder rounding, at least one per layer when
        s >= L), on a uniformly random support inside each layer.  Biases start at 0
        (a common convention, and what the paper's author notes use for the one-layer
        network); only when s exceeds the number of weights do the remaining nonzeros go
        to random biases, with values N(0, bias_scale²).  A support spread in proportion
        to size keeps every layer connected: a uniformly random support over all of θ
        would do the same on average, but at small s it can leave a layer with no
        weight at all, and then no signal reaches the output and every hidden gradient
        is zero.

    Which scale
        Glorot (Xavier) initialisation draws ``W_l`` with variance ``2 / (fan_in + fan_out)``
        so that signals keep their variance forward and backward through a *dense* layer.
        In a layer of density ρ each unit has on average ``ρ·fan_in`` inputs and
        ``ρ·fan_out`` outputs, so we use the same rule with the **effective** fan-in and
        fan-out, ``max(1, ρ·fan_in)`` and ``max(1, ρ·fan_out)`` ("sparse Glorot"):
        ``Var = 2 / (max(1, ρ·fan_in) + max(1, ρ·fan_out))``.  At ρ = 1 this is Glorot;
        in a very sparse layer a connected unit has about one input and its weight is of
        order 1, so tanh is neither saturated nor linear.  Values are normal.

    Parameters
    ----------
    model : MLP
    s : int, 1 <= s <= n
        Number of nonzeros of each vector (exactly s, almost surely).
    size : int, optional
        Number of vectors B.  ``None`` returns one vector of shape (n,).
    seed : int, sequence of int or numpy Generator, optional
    bias_scale : float, default 0.1
        Standard deviation of the biases that are nonzero (only when s > number of weights).

    Returns
    -------
    ndarray, shape (n,) or (size, n)
    """
    s = check_s(s, model.n_params)
    bias_scale = check_real(bias_scale, "bias_scale", low=0.0, low_open=True)
    rng, B = seeded_batch(seed, size)
    check_budget(B * model.n_params, f"{B} vectors of {model.n_params} parameters", "pass a smaller size")
    n_w = np.array([fo * fi for fi, fo in zip(model.sizes[:-1], model.sizes[1:], strict=True)])
    total_w = int(n_w.sum())
    k = _allocate(min(s, total_w), n_w)
    out = np.zeros((B, model.n_params))
    for li, ((w, _), fi, fo) in enumerate(zip(model.layer_slices(), model.sizes[:-1], model.sizes[1:], strict=True)):
        if k[li] == 0:
            continue
        rho = k[li] / n_w[li]
        std = np.sqrt(2.0 / (max(1.0, rho * fi) + max(1.0, rho * fo)))
        idx = np.argsort(rng.random((B, n_w[li])), axis=1)[:, : k[li]]
        block = np.zeros((B, n_w[li]))
        np.put_along_axis(block, idx, rng.normal(0.0, std, (B, k[li])), axis=1)
        out[:, w] = block
    if s > total_w:  # the rest on random biases
        bias_idx = np.flatnonzero(model.is_bias())
        idx = np.argsort(rng.random((B, bias_idx.size)), axis=1)[:, : s - total_w]
        rows = np.arange(B)[:, None]
        out[rows, bias_idx[idx]] = rng.normal(0.0, bias_scale, idx.shape)
    return out[0] if size is None else out


def _allocate(s: int, counts: np.ndarray) -> np.ndarray:
    """Split s into per-layer counts ∝ counts (largest remainder), >= 1 each when s >= L."""
    L = counts.size
    floor_one = s >= L
    base = np.ones(L, dtype=int) if floor_one else np.zeros(L, dtype=int)
    rest = s - int(base.sum())
    share = rest * counts / counts.sum()
    k = base + np.floor(share).astype(int)
    k = np.minimum(k, counts)
    while k.sum() < s:  # hand out the remainder by largest fractional part, within capacity
        frac = np.where(k < counts, base + share - k, -np.inf)
        k[int(np.argmax(frac))] += 1
    return k
