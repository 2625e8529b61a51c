"""Arrays: real numbers of the right shape, finite, non-empty; data matrices, labels, θ.

Part of :mod:`ihtlib.validation` (import the checks from there).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .scalars import _show


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
    if finite and not np.isfinite(arr).all():
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); all entries must be finite")
    return arr


def check_X(X: ArrayLike, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """Return ``X`` as a finite float64 matrix of shape (N, d), or raise.

    Parameters
    ----------
    X : array_like, shape (N, d)
    name : str, default "X"
    n_features : int, optional
        If given, d must equal it (the model's number of inputs).

    Raises
    ------
    TypeError
        Not real numbers.
    ValueError
        If ``X`` is not 2-D, is empty, has other than ``n_features`` columns, or holds NaN
        or infinite values.
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
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} columns (n_features), got {X.shape[1]}")
    return X


def check_Xy(
    X: ArrayLike, y: ArrayLike, n_classes: int | None = None, n_features: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a feature matrix and its labels.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    n_classes : int, optional
        If given, labels must lie in ``0 … n_classes-1``.
    n_features : int, optional
        If given, X must have that many columns.

    Returns
    -------
    X : ndarray of float64, shape (N, d)
    y : ndarray of int64, shape (N,)

    Raises
    ------
    ValueError
        Mismatched lengths, non-finite X, non-integer labels or labels out of range.
    """
    X = check_X(X, n_features=n_features)
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
    if not np.isfinite(theta).all():
        raise ValueError(f"{name} contains NaN or infinite values; all entries must be finite")
    return theta
