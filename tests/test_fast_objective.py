"""The fast objective agrees with the literal one.

``SoftmaxLayer.objective`` (the batched kernel ``ihtlib.fast.objective.BatchedCrossEntropy``)
must compute, row by row, what ``ihtlib.model.cross_entropy_loss_and_grad`` computes for one
θ: random data of several shapes, batches that mix the kernel's two branches (unshifted
and shifted softmax) and its cancellation-free path, tied logits, and the ridge term.
The literal function itself is checked against scikit-learn and finite differences in
``tests/test_model.py``.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ihtlib as il
from ihtlib.fast.objective import BatchedCrossEntropy
from ihtlib.model import cross_entropy_loss_and_grad as literal


def _assert_rows_agree(fun, thetas, X, y, min_loss=1e-4):
    """Every row of ``fun(thetas)`` equals the literal loss and gradient of that row.

    Rows whose literal loss is below ``min_loss`` are skipped: there −log p_y loses its
    relative accuracy (the kernel does not; tests/test_model.py checks those rows).
    Returns how many rows were compared.
    """
    loss, grad = fun(thetas)
    compared = 0
    for i, theta in enumerate(thetas):
        with np.errstate(divide="ignore"):
            ref_loss, ref_grad = literal(theta, X, y)
        if not (np.isfinite(ref_loss) and ref_loss > min_loss):
            continue
        assert loss[i] == pytest.approx(ref_loss, rel=1e-10), f"row {i}"
        scale = max(1.0, float(np.abs(X).max()))
        np.testing.assert_allclose(grad[i], ref_grad, rtol=1e-9, atol=1e-13 * scale, err_msg=f"row {i}")
        compared += 1
    return compared


@given(
    d=st.integers(1, 5),
    K=st.integers(2, 4),
    N=st.integers(1, 25),
    B=st.integers(1, 6),
    log_scale=st.floats(-2.0, 1.5),
    seed=st.integers(0, 2**32 - 1),
)
def test_rows_agree_with_literal_on_random_problems(d, K, N, B, log_scale, seed):
    """Random X, y, θ at scales 0.01 … 30: small logits (unshifted branch) and large ones."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(N, d)), rng.integers(0, K, size=N)
    thetas = rng.normal(scale=10.0**log_scale, size=(B, K * d + K))
    fun = il.SoftmaxLayer(d, K).objective(X, y)
    _assert_rows_agree(fun, thetas, X, y)


def test_both_branches_agree_with_literal(fun, iris):
    """The same rows alone (every |logit| < 300: no shift) and next to a huge row (shifted softmax)."""
    rng = np.random.default_rng(0)
    small = rng.normal(scale=0.5, size=(5, 15))
    huge = rng.normal(scale=400.0, size=(1, 15))  # forces the shifted branch for the whole batch
    X, y = iris.X_train, iris.y_train
    assert _assert_rows_agree(fun, small, X, y) == 5
    assert _assert_rows_agree(fun, np.vstack([small, huge]), X, y) >= 5
    np.testing.assert_allclose(fun(np.vstack([small, huge]))[0][:5], fun(small)[0], rtol=1e-13)


def test_theta_zero_all_logits_tie(fun, iris):
    """θ = 0: every logit ties, p = 1/K, loss ln K, gradient the literal one."""
    loss, grad = fun(np.zeros(15))
    ref_loss, ref_grad = literal(np.zeros(15), iris.X_train, iris.y_train)
    assert loss == pytest.approx(np.log(3.0), rel=1e-15) and ref_loss == pytest.approx(np.log(3.0), rel=1e-15)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)


def test_tied_top_logits_in_the_cancellation_free_path():
    """Huge logits, every sample separated except one sitting exactly on the boundary.

    The loss is ln 2 / N (that sample) plus terms below 1e-100, tiny next to the logits, so
    the kernel takes its cancellation-free path, where that sample's true-class logit ties
    with the other at the top (z_0 = z_1 = 0).  Zeroing both tied terms would give 0 there.
    The literal −log p_y is accurate here (p_y = 1/2 for that sample, 1 for the others).
    """
    N, scale = 50, 1e5
    x = np.linspace(-1.0, 1.0, N)
    x[24] = 0.0  # on the boundary, class 0
    y = (x > 0).astype(int)
    X = x[:, None]
    theta = scale * np.array([-1.0, 1.0, 0.0, 0.0])  # z_0 = -scale x, z_1 = scale x
    fun = il.SoftmaxLayer(1, 2).objective(X, y)
    loss, grad = fun(theta)
    assert loss < 1e-6 * scale  # below the kernel's cancellation threshold: the accurate path ran
    ref_loss, ref_grad = literal(theta, X, y)
    assert loss == pytest.approx(np.log(2.0) / N, rel=1e-12)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)


def test_ridge_is_added_to_the_literal_loss(iris):
    rng = np.random.default_rng(1)
    ridge = 0.3
    fun = il.SoftmaxLayer(4, 3).objective(iris.X_train, iris.y_train, ridge=ridge)
    thetas = rng.normal(size=(4, 15))
    loss, grad = fun(thetas)
    for i, theta in enumerate(thetas):
        ref_loss, ref_grad = literal(theta, iris.X_train, iris.y_train)
        assert loss[i] == pytest.approx(ref_loss + ridge / 2 * theta @ theta, rel=1e-12)
        np.testing.assert_allclose(grad[i], ref_grad + ridge * theta, rtol=1e-10, atol=1e-14)


def test_kernel_alone_agrees_with_literal(iris):
    """The kernel without the public wrapper: (B, n) in, (B,) and (B, n) out, no ridge."""
    rng = np.random.default_rng(2)
    kernel = BatchedCrossEntropy(iris.X_train, iris.y_train, 3)
    thetas = rng.normal(size=(3, 15))
    loss, grad = kernel(thetas)
    assert loss.shape == (3,) and grad.shape == (3, 15)
    for i, theta in enumerate(thetas):
        ref_loss, ref_grad = literal(theta, iris.X_train, iris.y_train)
        assert loss[i] == pytest.approx(ref_loss, rel=1e-12)
        np.testing.assert_allclose(grad[i], ref_grad, rtol=1e-10, atol=1e-14)
