"""Seeds, budgets (work and memory guards) and the objects the experiments take.

Part of :mod:`ihtlib.validation` (import the checks from there).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from math import comb

import numpy as np

from .scalars import _show, check_integer, check_s

#: Largest single array (in bytes) a call may allocate before it is refused with a message.
MAX_BYTES = 4 * 2**30
#: Largest number of problems (supports, subsets, members) a call may enumerate.
MAX_PROBLEMS = 2_000_000


def check_seed(seed: object, name: str = "seed") -> np.random.Generator:
    """A random generator from ``seed``, with ``numpy.random.default_rng`` semantics.

    Parameters
    ----------
    seed : None, int >= 0, sequence of int >= 0, or numpy.random.Generator
        ``None`` draws fresh entropy; a Generator is used as it is (not copied), like
        scikit-learn's ``check_random_state`` does with a ``RandomState``.

    Raises
    ------
    TypeError
        A bool, float, string or other object.
    ValueError
        A negative integer or an empty sequence.
    """
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    hint = "pass None, a non-negative integer such as 0, a sequence of them, or a numpy Generator"
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
        if seed < 0:
            raise ValueError(f"{name} must be >= 0, got {name}={seed}; {hint}")
        return np.random.default_rng(int(seed))
    if not isinstance(seed, (Sequence, np.ndarray)) or isinstance(seed, (str, bytes)):
        raise TypeError(f"{name} must be an integer seed, got {_show(seed)} of type {type(seed).__name__}; {hint}")
    items = list(np.asarray(seed).ravel()) if isinstance(seed, np.ndarray) else list(seed)
    if not items:
        raise ValueError(f"{name} is an empty sequence; {hint}")
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
            raise TypeError(f"{name} must hold integers, got {_show(seed)}; {hint}")
        if item < 0:
            raise ValueError(f"{name} must hold integers >= 0, got {name}={_show(seed)}; {hint}")
    return np.random.default_rng([int(i) for i in items])


def seeded_batch(seed: object, size: int | None) -> tuple[np.random.Generator, int]:
    """The random generator for ``seed`` and the batch size for ``size`` (1 when None).

    Raises
    ------
    TypeError, ValueError
        A bad seed (:func:`check_seed`), or ``size`` that is not an integer >= 1.
    """
    rng = check_seed(seed)
    if size is None:
        return rng, 1
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Integral):
        raise TypeError(f"size must be None or an integer >= 1 (the number of vectors), got {_show(size)}")
    if size < 1:
        raise ValueError(f"size must be >= 1 (or None for one vector), got {size}")
    return rng, int(size)


# ------------------------------------------------------------------------ budgets
def check_budget(n_items: int, what: str, fix: str, itemsize: int = 8) -> None:
    """Refuse an allocation of ``n_items * itemsize`` bytes above :data:`MAX_BYTES`.

    Raises
    ------
    ValueError
        Naming what would be allocated, its size in GB and ``fix``.
    """
    if n_items * itemsize > MAX_BYTES:
        gb = n_items * itemsize / 2**30
        raise ValueError(f"{what} would need {gb:.3g} GB (limit {MAX_BYTES / 2**30:g} GB); {fix}")


def check_combinations(n: int, k: int, what: str, fix: str, limit: int = MAX_PROBLEMS) -> int:
    """Return ``C(n, k)``, or refuse when it exceeds ``limit`` (hours of work or more).

    Raises
    ------
    ValueError
    """
    count = comb(n, k)
    if count > limit:
        raise ValueError(f"{what}: C({n}, {k}) = {count} is more than the limit of {limit}; {fix}")
    return count


# ----------------------------------------------------------------- objects
def check_levels(s_values: object, n: int, name: str = "s_values") -> list[int]:
    """Sparsity levels: a non-empty iterable of integers in 1 … n.

    Raises
    ------
    TypeError
        Not an iterable (an int, a string), or a level that is not an integer.
    ValueError
        Empty, or a level outside 1 … n.
    """
    if isinstance(s_values, (str, bytes)) or not isinstance(s_values, (Iterable, np.ndarray)):
        raise TypeError(f"{name} must be an iterable of integers such as range(1, {n + 1}), got {_show(s_values)}")
    levels = [check_s(s.item() if isinstance(s, np.generic) else s, n) for s in s_values]
    if not levels:
        raise ValueError(f"{name} is empty; pass at least one sparsity level in 1 … {n}")
    return levels


def seed_entropy(seed: object) -> list[int]:
    """Integer entropy for seeding each level with ``[*entropy, s]``.

    ``None`` draws fresh entropy, a Generator gives one integer, an int ``k`` gives ``[k]``
    and a sequence of ints itself.

    Raises
    ------
    TypeError, ValueError
        As :func:`check_seed`.
    """
    if seed is None:
        return [int(np.random.SeedSequence().entropy)]
    if isinstance(seed, np.random.Generator):
        return [int(seed.integers(2**63))]
    if isinstance(seed, (Sequence, np.ndarray)) and not isinstance(seed, (str, bytes)) and len(seed) > 0:
        return [check_integer(v, "seed", low=0) for v in np.asarray(seed, dtype=object).ravel()]
    return [check_integer(seed, "seed", low=0)]


def check_callable(value: object, name: str, signature: str) -> None:
    """Refuse anything that cannot be called, naming the expected ``signature``.

    Raises
    ------
    TypeError
        ``"<name> must be callable, <signature>, got <type>"``.
    """
    if not callable(value):
        raise TypeError(f"{name} must be callable, {signature}, got {type(value).__name__}")


def check_model(model: object) -> None:
    """Refuse anything that is not a model (no ``objective`` or ``n_params``)."""
    if not (hasattr(model, "objective") and hasattr(model, "n_params")):
        raise TypeError(f"model must be a SoftmaxLayer or an MLP, got {type(model).__name__}")


def check_split(split: object) -> None:
    """Refuse anything without the four parts of a :class:`ihtlib.Split`."""
    if not all(hasattr(split, a) for a in ("X_train", "y_train", "X_test", "y_test")):
        raise TypeError(f"split must be a Split (from load_split or standardized_split), got {type(split).__name__}")


def check_table(table: object, columns: Sequence[str]) -> None:
    """Refuse anything but a non-empty DataFrame with the given columns."""
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be the DataFrame of sparsity_sweep, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}; pass the DataFrame of sparsity_sweep")
    if len(table) == 0:
        raise ValueError("table is empty (no runs); pass the DataFrame of a sparsity_sweep")
