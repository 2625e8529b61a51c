"""Data: scikit-learn's bundled data sets, split and standardised; a planted sparse problem.

Everything here reads data that ships inside scikit-learn or is drawn from a seed; nothing
is downloaded.  Features are z-scored with the statistics of the **training** part only, so
the test part never leaks into the preprocessing.  :func:`planted_problem` draws the sparse
least-squares problem of chapter 5, whose s-sparse solution is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .rss import Quadratic
from .validation import check_budget, check_integer, check_s, check_seed, check_X, check_Xy

__all__ = [
    "PlantedProblem",
    "planted_problem",
    "Split",
    "check_X",
    "check_Xy",
    "standardized_split",
    "load_iris_split",
    "load_split",
    "DATASETS",
]

#: Data sets that :func:`load_split` knows, by name, with their scikit-learn loader.
DATASETS = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
}


@dataclass(frozen=True)
class Split:
    """A train/test split with standardised features.

    Attributes
    ----------
    X_train : ndarray, shape (N_train, d)
        Standardised training features (mean 0, std 1 per column on the training part).
    X_test : ndarray, shape (N_test, d)
        Test features, standardised with the *training* mean and std.
    y_train, y_test : ndarray of int, shape (N_train,), (N_test,)
        Class labels in ``0 … K-1``.
    feature_names : list of str, length d
    class_names : list of str, length K
    mean, std : ndarray, shape (d,)
        The scaler's training statistics (``std`` is 1 for a constant column).
    """

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    mean: np.ndarray
    std: np.ndarray

    @property
    def n_features(self) -> int:
        """Number of input features d."""
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return len(self.class_names)


def standardized_split(
    X: ArrayLike,
    y: ArrayLike,
    test_size: float = 0.2,
    seed: int = 0,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> Split:
    """Stratified train/test split of any data set, z-scored with training statistics.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
        Labels ``0 … K-1``.
    test_size : float in (0, 1)
        Fraction of samples held out for testing.
    seed : int
        Seed of the (stratified) shuffle.
    feature_names, class_names : list of str, optional
        Default to ``x0, x1, …`` and ``0, 1, …``.

    Returns
    -------
    Split
    """
    X, y = check_Xy(X, y)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.integer, np.floating)):
        raise TypeError(f"test_size must be a fraction strictly between 0 and 1 such as 0.2, got {test_size!r}")
    if not 0.0 < float(test_size) < 1.0:
        raise ValueError(f"test_size must lie strictly between 0 and 1 (a fraction such as 0.2), got {test_size}")
    seed = None if seed is None else check_integer(seed, "seed", low=0)
    if y.max() >= len(y):
        raise ValueError(
            f"labels in y must be 0 … K-1 with K at most the {len(y)} samples, got the label {y.max()}; "
            "relabel with np.unique(y, return_inverse=True)[1]"
        )
    labels, counts = np.unique(y, return_counts=True)
    if labels.size < 2:
        raise ValueError(f"y holds one class only (label {labels[0]}); a classifier needs at least 2 classes")
    if counts.min() < 2:
        raise ValueError(
            f"class {labels[np.argmin(counts)]} has only 1 sample in y; a stratified split needs at least 2 per class"
        )
    n_classes = int(y.max()) + 1
    feature_names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(X.shape[1])]
    class_names = list(class_names) if class_names is not None else [str(k) for k in range(n_classes)]
    if len(feature_names) != X.shape[1]:
        raise ValueError(f"feature_names has {len(feature_names)} names for {X.shape[1]} features")
    if len(class_names) != n_classes:
        raise ValueError(
            f"class_names has {len(class_names)} names for {n_classes} classes (labels 0 … {n_classes - 1})"
        )
    try:
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    except ValueError as err:  # a test or training part smaller than the number of classes
        raise ValueError(
            f"test_size={test_size} cannot split these {len(y)} samples stratified: {err}; change test_size"
        ) from None
    with np.errstate(all="ignore"):
        scaler = StandardScaler().fit(X_tr)
        X_train, X_test = scaler.transform(X_tr), scaler.transform(X_te)
    if not all(np.all(np.isfinite(a)) for a in (X_train, X_test, scaler.mean_, scaler.scale_)):
        raise ValueError(
            f"X is too large to standardise in float64 (largest |x| = {np.abs(X).max():.3g}: the variance "
            "of a column overflows); divide X by a large constant (e.g. X / np.abs(X).max()) first"
        )
    return Split(
        X_train=X_train,
        X_test=X_test,
        y_train=y_tr,
        y_test=y_te,
        feature_names=[str(f) for f in feature_names],
        class_names=[str(c) for c in class_names],
        mean=scaler.mean_.copy(),
        std=scaler.scale_.copy(),
    )


def load_split(name: str, test_size: float = 0.2, seed: int = 0) -> Split:
    """Load one of scikit-learn's bundled data sets and split it.

    Parameters
    ----------
    name : {"iris", "wine", "breast_cancer", "digits"}
    test_size, seed
        As in :func:`standardized_split`.

    Returns
    -------
    Split
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"name must be one of {sorted(DATASETS)}, got {name!r}")
    bunch = DATASETS[name]()
    feature_names = getattr(bunch, "feature_names", None)
    if name == "iris":  # "sepal length (cm)" -> "sepal length"
        feature_names = [f.replace(" (cm)", "") for f in feature_names]
    if name == "digits":
        feature_names = [f"pixel ({r}, {c})" for r in range(8) for c in range(8)]
    class_names = [str(c) for c in bunch.target_names]
    return standardized_split(bunch.data, bunch.target, test_size, seed, feature_names, class_names)


def load_iris_split(test_size: float = 0.2, seed: int = 0) -> Split:
    """The IRIS data (150 samples, 4 features, 3 classes), split and standardised.

    Returns
    -------
    Split
        ``X_train`` has shape (120, 4) for the default ``test_size=0.2``.
    """
    return load_split("iris", test_size=test_size, seed=seed)


# ------------------------------------------------------------------- planted problem
@dataclass(frozen=True)
class PlantedProblem:
    """A sparse least-squares problem with a known s-sparse solution θ_true (chapter 5).

    ``fun`` is f(θ) = ½ θᵀGθ − cᵀθ with G = AᵀA/m and c = Aᵀy/m, which is
    ‖Aθ − y‖²/(2m) minus the constant ‖y‖²/(2m).  Because y = Aθ_true, θ_true minimises f;
    it is the only minimiser when G is invertible (m >= n) and, for Gaussian A, almost surely
    the only s-sparse one when m >= 2s.

    Attributes
    ----------
    A : ndarray, shape (m, n)
        Gaussian design matrix, entries N(0, 1).
    y : ndarray, shape (m,)
        Noise-free measurements A θ_true.
    theta_true : ndarray, shape (n,)
        The planted s-sparse vector.
    fun : ihtlib.Quadratic
        ``fun(θ) -> (loss, grad)`` for θ of shape (..., n).
    L : float
        λ_max(G): the global smoothness constant of f, so γ = 1/L is a step with descent.
    """

    A: np.ndarray
    y: np.ndarray
    theta_true: np.ndarray
    fun: Quadratic
    L: float

    @property
    def support(self) -> tuple[int, ...]:
        """The planted support supp θ_true, sorted."""
        return tuple(int(i) for i in np.flatnonzero(self.theta_true))

    @property
    def step(self) -> float:
        """γ = 1/L."""
        return 1.0 / self.L


def planted_problem(m: int, n: int, s: int, seed: object = None) -> PlantedProblem:
    """Draw y = A θ_true with Gaussian A (m × n) and an s-sparse θ_true: the test problem of chapter 5.

    The support of θ_true is uniformly random; its values are ±(1 + U), U uniform on [0, 1),
    so every planted |θ_i| lies in [1, 2) and no entry is close to 0.

    Parameters
    ----------
    m : int >= 1
        Number of measurements (rows of A).
    n : int >= 1
        Number of unknowns (columns of A).
    s : int, 1 <= s <= n
        Number of nonzeros of θ_true.
    seed : None, int, sequence of int or numpy.random.Generator
        A Generator is used as it is (so a loop can draw many problems from one generator).

    Returns
    -------
    PlantedProblem
    """
    m, n = check_integer(m, "m", low=1), check_integer(n, "n", low=1)
    s = check_s(s, n)
    check_budget(m * n, f"a {m} x {n} matrix A", "pass a smaller m or n")
    rng = check_seed(seed)
    A = rng.standard_normal((m, n))
    theta_true = np.zeros(n)
    support = rng.choice(n, size=s, replace=False)
    theta_true[support] = rng.choice([-1.0, 1.0], size=s) * (1.0 + rng.random(s))
    y = A @ theta_true
    G = A.T @ A / m
    return PlantedProblem(A, y, theta_true, Quadratic(G, A.T @ y / m), float(np.linalg.eigvalsh(G)[-1]))
