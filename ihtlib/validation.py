"""Validation: the checks the public functions of ``ihtlib`` share.

Every check returns the value in the form the library computes with (an ``int``, a
``float``, a float64 array, a ``numpy.random.Generator``) or raises

* ``TypeError`` when the value has the wrong type (a bool or a float where an integer
  goes, a string where a number goes, an array of complex numbers), and
* ``ValueError`` when the type is right but the value is not (out of range, NaN or
  infinite, the wrong shape, empty, too large to compute with).

Each message names the argument, shows the value and says what to pass instead.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from math import comb

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "MAX_BYTES",
    "MAX_PROBLEMS",
    "check_array",
    "check_budget",
    "check_combinations",
    "check_integer",
    "check_real",
    "check_s",
    "check_s_per_row",
    "check_seed",
    "check_step",
    "check_theta",
    "check_tol",
    "check_X",
    "check_Xy",
    "seeded_batch",
]

#: Largest single array (in bytes) a call may allocate before it is refused with a message.
MAX_BYTES = 4 * 2**30
#: Largest number of problems (supports, subsets, members) a call may enumerate.
MAX_PROBLEMS = 2_000_000


def _show(value: object) -> str:
    """A short repr of ``value`` for a message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ----------------------------------------------------------------------- scalars
def check_integer(value: object, name: str, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as ``int`` if it is an integer in ``low … high``, else raise.

    Parameters
    ----------
    value : object
        Accepted: ``int`` and NumPy integers (``numbers.Integral``); refused: ``bool``,
        floats (even 5.0), strings, ``None``.
    name : str
        The argument's name, for the message.
    low, high : int, optional
        Inclusive bounds.

    Raises
    ------
    TypeError
        Not an integer.
    ValueError
        Outside ``low … high``.
    """
    if low is not None and high is not None:
        bounds = f" between {low} and {high}"
    elif low is not None:
        bounds = f" >= {low}"
    else:
        bounds = f" <= {high}" if high is not None else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer{bounds}, got {_show(value)} of type {type(value).__name__}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer{bounds}, got {name}={int(value)}")
    return int(value)


def check_real(
    value: object,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` within the given bounds, else raise.

    Parameters
    ----------
    value : object
        A real number (``numbers.Real``: int, float, NumPy scalars); ``bool`` is refused.
    name : str
    low, high : float, optional
        Bounds; inclusive unless ``low_open`` / ``high_open``.

    Raises
    ------
    TypeError
        Not a real number.
    ValueError
        NaN, infinite or out of bounds.
    """
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    bounds = (" and " + " and ".join(parts)) if parts else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a finite real number{bounds}, got {_show(value)} of type {type(value).__name__}"
        )
    x = float(value)
    bad = not np.isfinite(x)
    if low is not None:
        bad |= x <= low if low_open else x < low
    if high is not None:
        bad |= x >= high if high_open else x > high
    if bad:
        raise ValueError(f"{name} must be a finite real number{bounds}, got {name}={_show(value)}")
    return x


def check_tol(tol: object, name: str = "tol") -> float:
    """A tolerance: a finite real number >= 0 (``bool`` refused).

    Raises
    ------
    TypeError, ValueError
        With the message ``"<name> must be a finite number >= 0, got …"``.
    """
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, numbers.Real):
        raise TypeError(f"{name} must be a finite number >= 0 (for example 1e-8), got {_show(tol)}")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"{name} must be a finite number >= 0 (for example 1e-8), got {name}={_show(tol)}")
    return float(tol)


def check_step(step: ArrayLike, n_runs: int | None = None) -> np.ndarray:
    """Validate a step size γ (a positive finite number, or one per run).

    Returns
    -------
    ndarray of float64, shape () or (n_runs,)

    Raises
    ------
    TypeError
        ``step`` is not a real number (bools and strings included).
    ValueError
        ``step`` is <= 0, NaN or infinite, or has the wrong length.
    """
    if isinstance(step, (bool, np.bool_, str, bytes)) or step is None:
        raise TypeError(f"step must be a positive real number, got {_show(step)}")
    try:
        raw = np.asarray(step)
        if raw.dtype.kind not in "iuf":
            raise TypeError
        arr = raw.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"step must be a positive real number, got {_show(step)}") from err
    if arr.ndim > 1 or (arr.ndim == 1 and (n_runs is None or arr.shape[0] != n_runs)):
        raise ValueError(f"step must be a scalar or have one entry per run ({n_runs}), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(
            f"step must be finite and > 0 (for example 1/L2s^val or 1/smoothness_bound), got {_show(step)}"
        )
    return arr


def check_s(s: int, n: int) -> int:
    """Return ``s`` as int if it is an integer with ``1 <= s <= n``, else raise.

    Raises
    ------
    TypeError
        ``s`` is not an integer (a float such as 5.0 is refused too, and so is a bool).
    ValueError
        ``s < 1`` or ``s > n``.
    """
    if isinstance(s, (bool, np.bool_)) or not isinstance(s, numbers.Integral):
        raise TypeError(f"s must be an integer between 1 and n={n}, got {_show(s)} of type {type(s).__name__}")
    if not 1 <= s <= n:
        raise ValueError(f"s must satisfy 1 <= s <= n={n}, got s={s}")
    return int(s)


def check_s_per_row(s: int | ArrayLike, n: int, batch_shape: tuple[int, ...]) -> int | np.ndarray:
    """Validate one sparsity level, or one per vector of a batch.

    Returns
    -------
    int, or ndarray of int of shape ``batch_shape``
        A scalar ``s`` is checked by :func:`check_s`; an array must hold integers in
        1 … n and broadcast to ``batch_shape``.
    """
    if np.ndim(s) == 0:
        return check_s(s.item() if isinstance(s, np.ndarray) and s.dtype.kind in "iu" else s, n)
    arr = np.asarray(s)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"s must hold integers between 1 and n={n}, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 1 or arr.max() > n):
        raise ValueError(f"every s must satisfy 1 <= s <= n={n}, got values from {arr.min()} to {arr.max()}")
    try:
        return np.broadcast_to(arr, batch_shape).astype(np.int64)
    except ValueError as err:
        raise ValueError(f"s of shape {arr.shape} does not match the batch shape {batch_shape}") from err


# ------------------------------------------------------------------------ seeds
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


# ------------------------------------------------------------------------ arrays
def check_array(
    a: ArrayLike,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    finite: bool = True,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``a`` as a float64 array after checking its type, shape and values.

    Read-only input is fine: the result may be the same array (a view), and no
    function of ``ihtlib`` writes into it.

    Parameters
    ----------
    a : array_like of real numbers
        Booleans, complex numbers, strings and objects are refused.
    name : str
    ndim : int or tuple of int, optional
        Allowed numbers of axes.
    finite : bool, default True
        Refuse NaN and infinite entries.
    allow_empty : bool, default False

    Raises
    ------
    TypeError
        Not an array of real numbers.
    ValueError
        Wrong number of axes, empty, or NaN / infinite entries.
    """
    try:
        raw = np.asarray(a)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise TypeError(f"{name} must be an array of real numbers, got {_show(a)} ({err})") from err
    if raw.dtype.kind not in "iuf":
        what = {"b": "booleans", "c": "complex numbers", "O": "Python objects (None, ragged rows?)"}
        raise TypeError(
            f"{name} must hold real numbers (int or float), got dtype {raw.dtype} "
            f"({what.get(raw.dtype.kind, 'not numbers')}); convert it with np.asarray({name}, dtype=float)"
        )
    arr = raw.astype(np.float64, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{k}-D" for k in allowed)
            raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); at least one entry is needed")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); all entries must be finite")
    return arr


def check_X(X: ArrayLike, name: str = "X") -> np.ndarray:
    """Return ``X`` as a finite float64 matrix of shape (N, d), or raise.

    Raises
    ------
    TypeError
        Not real numbers.
    ValueError
        If ``X`` is not 2-D, is empty, or holds NaN or infinite values.
    """
    X = check_array(X, name, finite=False, allow_empty=True)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (N, d), got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} has no rows; at least one sample is needed")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no columns; at least one feature is needed")
    if not np.all(np.isfinite(X)):
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); all entries must be finite")
    return X


def check_Xy(X: ArrayLike, y: ArrayLike, n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate a feature matrix and its labels.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    n_classes : int, optional
        If given, labels must lie in ``0 … n_classes-1``.

    Returns
    -------
    X : ndarray of float64, shape (N, d)
    y : ndarray of int64, shape (N,)

    Raises
    ------
    ValueError
        Mismatched lengths, non-finite X, non-integer labels or labels out of range.
    """
    X = check_X(X)
    try:
        y = np.asarray(y)
    except (TypeError, ValueError) as err:
        raise ValueError(f"y must hold integer class labels 0 … K-1, got {_show(y)}") from err
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D of shape (N,), got shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y have mismatched lengths: X has {X.shape[0]} rows, y has {y.shape[0]}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError("y must hold integer class labels 0 … K-1")
    elif y.dtype.kind not in "iu":
        raise ValueError(f"y must hold integer class labels 0 … K-1, got dtype {y.dtype}")
    if y.dtype.kind == "f" and np.abs(y).max() > 2**62:
        raise ValueError(f"labels in y must be >= 0 and small integers, got values up to {np.abs(y).max():g}")
    y = y.astype(np.int64)
    if n_classes is not None and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"labels in y must lie in 0 … {n_classes - 1} (n_classes={n_classes}), "
            f"got values from {y.min()} to {y.max()}"
        )
    if y.min() < 0:
        raise ValueError(f"labels in y must be >= 0, got {y.min()}")
    return X, y


def check_theta(theta: ArrayLike, n_params: int, name: str = "theta") -> np.ndarray:
    """Return ``theta`` as float64 of shape (..., n_params), or raise ValueError.

    Raises
    ------
    TypeError
        Not real numbers.
    ValueError
        Wrong last dimension, or NaN / infinite entries.
    """
    theta = check_array(theta, name, finite=False, allow_empty=True)
    if theta.ndim == 0 or theta.shape[-1] != n_params:
        raise ValueError(f"{name} must have shape (..., {n_params}), got shape {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"{name} contains NaN or infinite values; all entries must be finite")
    return theta
