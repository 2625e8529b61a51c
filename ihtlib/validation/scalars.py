"""Scalars: integers, real numbers, tolerances, step sizes and sparsity levels.

Part of :mod:`ihtlib.validation` (import the checks from there).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike


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
    if type(step) is np.ndarray and step.dtype == np.float64 and step.ndim <= 1:
        # the common case, called once per IHT iteration: one pass for "finite and > 0", no conversion
        if (step.ndim == 0 or (n_runs is not None and step.shape[0] == n_runs)) and (
            np.isfinite(step).all() and (step > 0).all()
        ):
            return step.copy()
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
    if arr.dtype == np.int64 and arr.shape == batch_shape and arr.size:  # the common case, once per IHT iteration
        if arr.min() >= 1 and arr.max() <= n:
            return arr.copy()
    if arr.dtype.kind not in "iu":
        raise TypeError(f"s must hold integers between 1 and n={n}, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 1 or arr.max() > n):
        raise ValueError(f"every s must satisfy 1 <= s <= n={n}, got values from {arr.min()} to {arr.max()}")
    try:
        return np.broadcast_to(arr, batch_shape).astype(np.int64)
    except ValueError as err:
        raise ValueError(f"s of shape {arr.shape} does not match the batch shape {batch_shape}") from err
