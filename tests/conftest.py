"""Shared fixtures and settings for the ihtlib unit tests.

* matplotlib uses the non-interactive Agg backend (set before pyplot is imported);
* hypothesis runs a bounded, derandomised profile so CI is deterministic;
* the IRIS split, the 4 -> 3 softmax layer and its training objective are built once.
"""

import matplotlib

matplotlib.use("Agg")

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
    """Chapter 5's planted problem, ``il.planted_problem(80, 20, 3, seed=12345)``, as a dict.

    f(θ) = ‖Aθ − y‖²/(2m) + const with Gaussian A (m = 80 rows, n = 20 columns) and
    y = A x*, so x* (3-sparse, planted values in [1, 2) in absolute value) is the unique
    minimiser; keys ``fun, x_star, support, s, n, step, H, problem``.
    """
    problem = il.planted_problem(80, 20, 3, seed=12345)
    return dict(
        fun=problem.fun,
        x_star=problem.theta_true,
        support=problem.support,
        s=3,
        n=20,
        step=problem.step,
        H=problem.fun.A,
        problem=problem,
    )
