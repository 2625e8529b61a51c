"""Shared fixtures and settings for the ihtlib unit tests.

* matplotlib uses the non-interactive Agg backend (set before pyplot is imported);
* hypothesis runs a bounded, derandomised profile so CI is deterministic;
* the IRIS split, the 4 -> 3 softmax layer and its training objective are built once.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import ihtlib as il  # noqa: E402

settings.register_profile(
    "ihtlib-ci",
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ihtlib-ci")


@pytest.fixture(scope="session")
def iris():
    """The default IRIS split: 120 training, 30 test samples, seed 0."""
    return il.load_iris_split()


@pytest.fixture(scope="session")
def model():
    return il.SoftmaxLayer(4, 3)


@pytest.fixture(scope="session")
def fun(iris, model):
    """Mean cross-entropy of the IRIS training set, ``fun(θ) -> (loss, grad)``."""
    return model.objective(iris.X_train, iris.y_train)


@pytest.fixture(scope="session")
def bound(iris):
    """Global smoothness bound L of the IRIS training loss (≈ 1.45)."""
    return il.smoothness_bound(iris.X_train)


@pytest.fixture(scope="session")
def planted():
    """A sparse least-squares problem with a planted 3-sparse solution.

    f(θ) = ½ θᵀ (AᵀA/m) θ - (Aᵀy/m)ᵀ θ  with Gaussian A (m = 80 rows, n = 20 columns)
    and y = A x*, so x* is the unique minimiser and the planted support is S*.
    """
    rng = np.random.default_rng(12345)
    m, n = 80, 20
    A = rng.normal(size=(m, n))
    x_star = np.zeros(n)
    S = np.array([2, 7, 15])
    x_star[S] = np.array([1.5, -2.0, 1.0])
    y = A @ x_star
    H = A.T @ A / m
    quad = il.Quadratic(H, A.T @ y / m)
    step = 1.0 / float(np.linalg.eigvalsh(H)[-1])
    return dict(fun=quad, x_star=x_star, support=tuple(int(i) for i in S), s=3, n=n, step=step, H=H)
