"""ihtlib.model.SoftmaxLayer: layout, loss, gradient, batching, stability, errors."""

import numpy as np
import pytest
from finite_differences import fd_gradient, relative_error
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.metrics import log_loss

import ihtlib as il
from ihtlib.model import cross_entropy_loss_and_grad as literal


# ----------------------------------------------------------------------------- layout
@pytest.mark.parametrize("d,K", [(4, 3), (1, 2), (13, 5)])
def test_n_params(d, K):
    assert il.SoftmaxLayer(d, K).n_params == K * d + K


def test_layout_unpack_pack(model):
    K, d = 3, 4
    theta = np.arange(15, dtype=float) + 1.0
    W, b = model.unpack(theta)
    assert W.shape == (K, d) and b.shape == (K,)
    for k in range(K):
        for j in range(d):
            assert W[k, j] == theta[k * d + j]
        assert b[k] == theta[K * d + k]
    np.testing.assert_array_equal(model.pack(W, b), theta)
    # batched layout
    T = np.random.default_rng(0).normal(size=(2, 5, 15))
    Wb, bb = model.unpack(T)
    assert Wb.shape == (2, 5, 3, 4) and bb.shape == (2, 5, 3)
    np.testing.assert_array_equal(model.pack(Wb, bb), T)
    np.testing.assert_array_equal(Wb[1, 3, 2, 1], T[1, 3, 2 * 4 + 1])


def test_param_names(model, iris):
    names = model.param_names(iris.feature_names, iris.class_names)
    assert len(names) == 15
    assert names[0] == "W[setosa, sepal length]"
    assert names[2 * 4 + 3] == "W[virginica, petal width]"
    assert names[1 * 4 + 2] == "W[versicolor, petal length]"
    assert names[12:] == ["b[setosa]", "b[versicolor]", "b[virginica]"]
    # the names agree with unpack: put 1 in one slot and find it in W or b
    i = names.index("W[virginica, petal width]")
    e = np.zeros(15)
    e[i] = 1.0
    W, b = model.unpack(e)
    assert W[2, 3] == 1.0 and W.sum() == 1.0 and b.sum() == 0.0
    e = np.zeros(15)
    e[names.index("b[setosa]")] = 1.0
    W, b = model.unpack(e)
    assert b[0] == 1.0 and W.sum() == 0.0
    assert model.param_names()[:2] == ["W[0, x0]", "W[0, x1]"]
    with pytest.raises(ValueError, match="feature names"):
        model.param_names(["a", "b"], iris.class_names)


# ------------------------------------------------------------------------ the loss
def test_loss_matches_sklearn_log_loss(model, fun, iris):
    rng = np.random.default_rng(1)
    for _ in range(5):
        theta = rng.normal(scale=0.7, size=15)
        proba = model.predict_proba(theta, iris.X_train)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
        expected = log_loss(iris.y_train, proba, labels=[0, 1, 2])
        assert fun.loss(theta) == pytest.approx(expected, rel=1e-12)
        assert model.loss(theta, iris.X_train, iris.y_train) == pytest.approx(expected, rel=1e-12)


def test_loss_at_zero_is_log_K(fun):
    assert fun.loss(np.zeros(15)) == pytest.approx(np.log(3.0), rel=1e-14)


def test_literal_loss_matches_sklearn_log_loss(iris):
    """The reader's version of chapter 1's loss, against scikit-learn's cross-entropy."""
    rng = np.random.default_rng(2)
    for _ in range(5):
        theta = rng.normal(scale=1.5, size=15)
        W, b = theta[:12].reshape(3, 4), theta[12:]
        proba = il.model.softmax(iris.X_train @ W.T + b)
        expected = log_loss(iris.y_train, proba, labels=[0, 1, 2])
        assert literal(theta, iris.X_train, iris.y_train)[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("d,K,N", [(4, 3, 120), (13, 3, 30), (2, 5, 7), (1, 2, 1)])
def test_literal_gradient_matches_finite_differences(iris, d, K, N):
    """The reader's gradient (p_ik − [y_i = k]) x~_i / N, summed, against central differences."""
    rng = np.random.default_rng(d * 100 + K)
    if (d, K, N) == (4, 3, 120):
        X, y = iris.X_train, iris.y_train
    else:
        X, y = rng.normal(size=(N, d)), rng.integers(0, K, size=N)
    theta = rng.normal(scale=0.7, size=K * d + K)
    grad = literal(theta, X, y)[1]
    fd = fd_gradient(lambda t: literal(t, X, y)[0], theta)
    assert relative_error(fd, grad) < 1e-6


def test_gradient_matches_central_finite_differences(fun):
    rng = np.random.default_rng(3)
    for _ in range(4):
        theta = rng.normal(size=15)
        assert relative_error(fd_gradient(fun.loss, theta), fun.grad(theta)) < 1e-6


def test_gradient_other_shape_finite_differences():
    """Wine-sized layer (d = 13, K = 3) on random data, with a ridge term."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 13))
    y = rng.integers(0, 3, size=30)
    obj = il.SoftmaxLayer(13, 3).objective(X, y, ridge=0.05)
    theta = rng.normal(scale=0.3, size=42)
    assert relative_error(fd_gradient(obj.loss, theta), obj.grad(theta)) < 1e-6


# ------------------------------------------------------------------------ batching
@pytest.mark.parametrize("batch_shape", [(6,), (2, 3), (1,)])
def test_batched_equals_loop(fun, model, iris, batch_shape):
    rng = np.random.default_rng(5)
    T = rng.normal(scale=2.0, size=batch_shape + (15,))
    T.reshape(-1, 15)[0] *= 200.0  # one run with large logits in the batch
    loss, grad = fun(T)
    assert np.shape(loss) == batch_shape and grad.shape == batch_shape + (15,)
    for idx in np.ndindex(*batch_shape):
        l1, g1 = fun(T[idx])
        assert isinstance(l1, float)
        np.testing.assert_allclose(loss[idx], l1, rtol=1e-12)
        np.testing.assert_allclose(grad[idx], g1, rtol=1e-12, atol=1e-13)
    acc = model.accuracy(T, iris.X_test, iris.y_test)
    assert np.shape(acc) == batch_shape
    for idx in np.ndindex(*batch_shape):
        assert acc[idx] == model.accuracy(T[idx], iris.X_test, iris.y_test)
    assert model.logits(T, iris.X_test).shape == batch_shape + (30, 3)
    assert model.predict(T, iris.X_test).shape == batch_shape + (30,)


# ----------------------------------------------------------------------- stability
def test_huge_logits_are_stable(fun, iris):
    rng = np.random.default_rng(6)
    for _ in range(4):
        theta = rng.normal(size=15) * 1e3
        loss, grad = fun(theta)
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
        # a direct stable log-sum-exp in numpy
        W, b = theta[:12].reshape(3, 4), theta[12:]
        Z = iris.X_train @ W.T + b
        m = Z.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.sum(np.exp(Z - m), axis=1))
        expected = np.mean(lse - Z[np.arange(120), iris.y_train])
        assert loss == pytest.approx(expected, rel=1e-10)
        with np.errstate(divide="ignore"):  # the literal loss is inf here (p_y underflows); its gradient is fine
            _, ref_grad = literal(theta, iris.X_train, iris.y_train)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-12)


def test_huge_logits_in_a_batch_with_small_ones(fun):
    rng = np.random.default_rng(7)
    T = rng.normal(size=(3, 15))
    T[1] *= 1e3
    loss, _ = fun(T)
    assert np.all(np.isfinite(loss))
    assert loss[0] == pytest.approx(fun.loss(T[0]), rel=1e-12)


def test_predict_proba_stable_for_huge_logits(model, iris):
    theta = np.random.default_rng(8).normal(size=15) * 1e4
    P = model.predict_proba(theta, iris.X_test)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)


# --------------------------------------------------------------- predict / accuracy
def test_predict_and_accuracy(model, iris):
    rng = np.random.default_rng(9)
    theta = rng.normal(size=15)
    W, b = theta[:12].reshape(3, 4), theta[12:]
    Z = iris.X_test @ W.T + b
    np.testing.assert_allclose(model.logits(theta, iris.X_test), Z, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(model.predict(theta, iris.X_test), Z.argmax(axis=1))
    assert model.accuracy(theta, iris.X_test, iris.y_test) == np.mean(Z.argmax(axis=1) == iris.y_test)
    # θ = 0: all logits tie, the lower class wins -> everything "setosa" -> 1/3 accuracy
    np.testing.assert_array_equal(model.predict(np.zeros(15), iris.X_train), 0)
    assert model.accuracy(np.zeros(15), iris.X_train, iris.y_train) == pytest.approx(40 / 120)


def test_accuracy_bias_only(model, iris):
    theta = np.zeros(15)
    theta[12:] = [0.0, 1.0, 0.0]  # bias only: everything predicted as versicolor
    assert model.accuracy(theta, iris.X_test, iris.y_test) == pytest.approx(10 / 30)


# --------------------------------------------------------------------------- ridge
def test_ridge_term(iris, model):
    rng = np.random.default_rng(10)
    plain = model.objective(iris.X_train, iris.y_train)
    ridge = 0.37
    reg = model.objective(iris.X_train, iris.y_train, ridge=ridge)
    for theta in (rng.normal(size=15), rng.normal(size=(4, 15))):
        l0, g0 = plain(theta)
        l1, g1 = reg(theta)
        np.testing.assert_allclose(np.asarray(l1) - l0, ridge / 2 * np.sum(theta**2, axis=-1), rtol=1e-12)
        np.testing.assert_allclose(g1 - g0, ridge * theta, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="ridge"):
        model.objective(iris.X_train, iris.y_train, ridge=-1.0)
    with pytest.raises(ValueError, match="ridge"):
        model.objective(iris.X_train, iris.y_train, ridge=np.nan)


# -------------------------------------------------------------------------- errors
def test_error_wrong_theta_length(fun, model, iris):
    with pytest.raises(ValueError, match=r"^theta must have shape \(\.\.\., 15\)"):
        fun(np.zeros(14))
    with pytest.raises(ValueError, match=r"^theta must have shape"):
        fun(np.zeros((3, 16)))
    with pytest.raises(ValueError, match=r"^theta must have shape"):
        fun(0.0)
    with pytest.raises(ValueError, match=r"^theta must have shape"):
        model.predict(np.zeros(12), iris.X_test)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_error_non_finite_theta(fun, bad):
    theta = np.zeros(15)
    theta[4] = bad
    with pytest.raises(ValueError, match=r"^theta contains NaN or infinite"):
        fun(theta)


def test_error_X_wrong_columns(model, iris):
    X5 = np.hstack([iris.X_train, iris.X_train[:, :1]])
    with pytest.raises(ValueError, match=r"^X must have 4 columns"):
        model.objective(X5, iris.y_train)
    with pytest.raises(ValueError, match=r"^X must have 4 columns"):
        model.logits(np.zeros(15), X5)
    with pytest.raises(ValueError, match=r"^X must be a 2-D array"):
        model.objective(iris.X_train[:, 0], iris.y_train)


def test_error_constructor():
    with pytest.raises(ValueError, match=r"^n_classes must be >= 2"):
        il.SoftmaxLayer(4, 1)
    with pytest.raises(ValueError, match=r"^n_features must be >= 1"):
        il.SoftmaxLayer(0, 3)
    with pytest.raises(TypeError, match=r"^n_features must be an integer"):
        il.SoftmaxLayer(4.0, 3)
    with pytest.raises(TypeError, match=r"^n_features must be an integer"):
        il.SoftmaxLayer(True, 3)
    with pytest.raises(TypeError, match=r"^n_classes must be an integer"):
        il.SoftmaxLayer(4, "3")
    assert il.SoftmaxLayer(np.int64(4), np.int32(3)).n_params == 15


# ------------------------------------------------ small losses along a separating direction
def _accurate_loss(theta, X, y, K):
    """Mean of log(1 + Σ_{k≠y} exp(z_k − z_y)): accurate even when the loss is tiny."""
    N, d = X.shape
    Z = X @ theta[: K * d].reshape(K, d).T + theta[K * d :]
    D = Z - Z[np.arange(N), y][:, None]  # z_k − z_y, zero at k = y
    D[np.arange(N), y] = -np.inf
    m = np.maximum(D.max(axis=1), 0.0)
    # log(1 + Σ e^{D}) computed as m + log(e^{-m} + Σ e^{D - m}), with log1p when m = 0
    S = np.exp(D - m[:, None]).sum(axis=1)
    per = np.where(m > 0, m + np.log(np.exp(-m) + S), np.log1p(S))
    return per.mean()


# A separating θ for setosa (class 0) vs the rest on the standardised IRIS training set.
SEPARATING = np.array([-0.87, 1.55, -2.23, -2.09, 0.87, -1.55, 2.23, 2.09, -2.32, 2.32])


def test_reference_separating_theta(iris):
    y = (iris.y_train != 0).astype(int)
    m2 = il.SoftmaxLayer(4, 2)
    assert m2.accuracy(SEPARATING, iris.X_train, y) == 1.0
    assert m2.loss(SEPARATING, iris.X_train, y) == pytest.approx(
        _accurate_loss(SEPARATING, iris.X_train, y, 2), rel=1e-9
    )


# Regression tests for a bug these tests found (fixed in bc24242): the loss was computed as
# mean(logsumexp) - <θ, c> only, and the two terms cancel catastrophically when the loss is small
# compared with the logits, so on separable data the cross-entropy came out negative (-1.8e-12 at
# 13·θ_sep) or many orders of magnitude too large (7e-15 instead of ~1e-26 at 10·θ_sep).


def test_small_loss_on_separable_data_is_accurate(iris):
    y = (iris.y_train != 0).astype(int)
    obj = il.SoftmaxLayer(4, 2).objective(iris.X_train, y)
    scales = np.geomspace(1.0, 1e5, 60)
    thetas = SEPARATING[None, :] * scales[:, None]
    losses = obj.loss(thetas)
    expected = np.array([_accurate_loss(t, iris.X_train, y, 2) for t in thetas])
    np.testing.assert_allclose(losses, expected, rtol=1e-8, atol=1e-300)


def test_cross_entropy_is_never_negative(iris):
    y = (iris.y_train != 0).astype(int)
    obj = il.SoftmaxLayer(4, 2).objective(iris.X_train, y)
    scales = np.arange(1.0, 301.0)  # 13, 26, 52, 55, ... give negative values
    losses = obj.loss(SEPARATING[None, :] * scales[:, None])
    assert np.all(losses >= 0.0), f"negative cross-entropy {losses.min():.3g} at scale {scales[losses.argmin()]}"


def test_gradient_on_separable_data_matches_reference(iris):
    """Near separation the gradient is small; it must still match the direct formula to float64 accuracy."""
    y = (iris.y_train != 0).astype(int)
    obj = il.SoftmaxLayer(4, 2).objective(iris.X_train, y)
    for scale in (1.0, 3.0, 13.0, 200.0):
        theta = SEPARATING * scale
        _, ref = literal(theta, iris.X_train, y)
        np.testing.assert_allclose(obj.grad(theta), ref, rtol=1e-8, atol=1e-15)
        # batched with a non-separated θ gives the same loss as alone
        both = obj.loss(np.stack([theta, np.full(10, 0.1)]))
        assert both[0] == pytest.approx(obj.loss(theta), rel=1e-12, abs=1e-300)


# ------------------------------------------------------------------ property-based checks
@given(
    direction=st.lists(st.integers(-3, 3).map(float), min_size=10, max_size=10),
    log_scale=st.floats(-1.0, 5.0),
    toward_separation=st.floats(0.0, 1.0),
)
def test_loss_nonnegative_and_accurate_everywhere(iris, direction, log_scale, toward_separation):
    """Mixtures of a random direction and the separating one, at scales 0.1 … 1e5 (tiny to huge losses)."""
    y = (iris.y_train != 0).astype(int)
    obj = _binary_objective(iris)
    theta = ((1 - toward_separation) * np.array(direction) + toward_separation * SEPARATING) * 10.0**log_scale
    loss = obj.loss(theta)
    assert np.isfinite(loss) and loss >= 0.0
    assert loss == pytest.approx(_accurate_loss(theta, iris.X_train, y, 2), rel=1e-8, abs=1e-300)


@given(
    T=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.just(15)), elements=st.floats(-50, 50)),
)
def test_batch_equals_single_property(fun, T):
    loss, grad = fun(T)
    for i in range(T.shape[0]):
        l1, g1 = fun(T[i])
        assert loss[i] == pytest.approx(l1, rel=1e-12, abs=1e-300)
        np.testing.assert_allclose(grad[i], g1, rtol=1e-12, atol=1e-13)
        assert l1 >= 0.0


_BINARY = {}


def _binary_objective(iris):
    if "obj" not in _BINARY:
        _BINARY["obj"] = il.SoftmaxLayer(4, 2).objective(iris.X_train, (iris.y_train != 0).astype(int))
    return _BINARY["obj"]


def test_pack_errors(model):
    with pytest.raises(ValueError, match=r"^W must have shape \(\.\.\., 3, 4\)"):
        model.pack(np.zeros((4, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"^W must have shape"):
        model.pack(np.zeros((2, 3, 4)), np.zeros(3))
