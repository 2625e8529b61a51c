"""ihtlib.mlp.MLP: layout, backpropagation, batching, initialisation, errors, IHT on it."""

import numpy as np
import pytest
from finite_differences import fd_gradient, relative_error

import ihtlib as il
from ihtlib.mlp import MLP


@pytest.fixture(scope="module")
def small():
    """A 4 -> 5 -> 3 tanh network on IRIS and its objective."""
    split = il.load_iris_split()
    model = MLP([4, 5, 3])
    return split, model, model.objective(split.X_train, split.y_train)


# ----------------------------------------------------------------------------- layout
@pytest.mark.parametrize("sizes,n", [([4, 3], 15), ([64, 32, 10], 2410), ([3, 4, 5, 2], 16 + 25 + 12)])
def test_n_params(sizes, n):
    assert MLP(sizes).n_params == n


def test_layout_unpack_pack_and_names():
    m = MLP([3, 4, 2])
    theta = np.arange(m.n_params, dtype=float)
    (W1, b1), (W2, b2) = m.unpack(theta)
    assert W1.shape == (4, 3) and b1.shape == (4,) and W2.shape == (2, 4) and b2.shape == (2,)
    assert W1[2, 1] == theta[2 * 3 + 1] and b1[0] == theta[12]
    assert W2[1, 3] == theta[16 + 1 * 4 + 3] and b2[1] == theta[16 + 8 + 1]
    np.testing.assert_array_equal(m.pack(m.unpack(theta)), theta)
    T = np.random.default_rng(0).normal(size=(2, 3, m.n_params))
    layers = m.unpack(T)
    assert layers[0][0].shape == (2, 3, 4, 3)
    np.testing.assert_array_equal(m.pack(layers), T)
    names = m.param_names(["a", "b", "c"], ["no", "yes"])
    assert len(names) == m.n_params
    assert names[2 * 3 + 1] == "W1[h1.2, b]" and names[12] == "b1[h1.0]"
    assert names[16 + 4 + 3] == "W2[yes, h1.3]" and names[-1] == "b2[yes]"
    assert list(m.layer_of()) == [1] * 16 + [2] * 10
    assert m.is_bias().sum() == 6 and m.is_bias()[12:16].all()
    with pytest.raises(ValueError, match="feature names"):
        m.param_names(["a"], ["no", "yes"])
    with pytest.raises(ValueError, match="layer 1"):
        m.pack([(np.zeros((3, 3)), np.zeros(4)), (np.zeros((2, 4)), np.zeros(2))])


def test_one_layer_mlp_is_the_softmax_layer(iris):
    m, sl = MLP([4, 3]), il.SoftmaxLayer(4, 3)
    th = np.random.default_rng(3).normal(size=(6, 15))
    l1, g1 = m.objective(iris.X_train, iris.y_train)(th)
    l2, g2 = sl.objective(iris.X_train, iris.y_train)(th)
    np.testing.assert_allclose(l1, l2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, atol=1e-13)
    assert m.param_names() == [nm.replace("W[", "W1[").replace("b[", "b1[") for nm in sl.param_names()]
    np.testing.assert_array_equal(m.predict(th, iris.X_test), sl.predict(th, iris.X_test))


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gradient_matches_central_finite_differences(small, activation):
    split, _, _ = small
    m = MLP([4, 5, 3], activation=activation)
    fun = m.objective(split.X_train, split.y_train)
    theta = m.init(m.n_params, seed=1)
    theta[m.is_bias()] = np.random.default_rng(2).normal(scale=0.3, size=m.is_bias().sum())
    assert relative_error(fun(theta)[1], fd_gradient(fun.loss, theta)) < 1e-7


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_literal_backpropagation_matches_finite_differences(small, activation):
    split, _, _ = small
    m = MLP([4, 5, 3], activation=activation)
    theta = np.random.default_rng(12).normal(scale=0.7, size=m.n_params)
    loss_of = lambda th: il.mlp_loss_and_grad(m, th, split.X_train, split.y_train)[0]  # noqa: E731
    assert (
        relative_error(il.mlp_loss_and_grad(m, theta, split.X_train, split.y_train)[1], fd_gradient(loss_of, theta))
        < 1e-7
    )


def test_batched_objective_agrees_with_the_literal_backpropagation():
    """ihtlib.fast.mlp (B networks unit-first) against mlp_loss_and_grad row by row, random networks and data."""
    rng = np.random.default_rng(13)
    for trial in range(12):
        sizes = [int(rng.integers(1, 6)) for _ in range(int(rng.integers(1, 4)))] + [int(rng.integers(2, 5))]
        m = MLP(sizes, activation=("tanh", "relu")[trial % 2])
        N = int(rng.integers(1, 30))
        X, y = rng.normal(size=(N, sizes[0])), rng.integers(0, sizes[-1], N)
        thetas = rng.normal(scale=rng.choice([0.1, 1.0, 3.0]), size=(int(rng.integers(1, 5)), m.n_params))
        thetas[rng.random(thetas.shape) < 0.5] = 0.0  # sparse rows, as IHT feeds them
        loss, grad = m.objective(X, y)(thetas)
        for b, theta in enumerate(thetas):
            one_loss, one_grad = il.mlp_loss_and_grad(m, theta, X, y)
            assert loss[b] == pytest.approx(one_loss, rel=1e-12, abs=1e-14)
            np.testing.assert_allclose(grad[b], one_grad, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("chunk_bytes", [1, 3 * 8 * 5 * 120])
def test_chunks_of_networks_give_the_batch_result(small, monkeypatch, chunk_bytes):
    """A large batch goes through in chunks of networks (1 and 3 here, the last chunk short)."""
    import ihtlib.fast.mlp

    split, model, fun = small
    thetas = model.init(12, size=10, seed=3)
    whole = fun(thetas)
    monkeypatch.setattr(ihtlib.fast.mlp, "CHUNK_BYTES", chunk_bytes)
    loss, grad = fun(thetas)
    np.testing.assert_allclose(loss, whole[0], rtol=1e-14, atol=0)
    np.testing.assert_allclose(grad, whole[1], rtol=0, atol=1e-15)
    one_loss, one_grad = il.mlp_loss_and_grad(model, thetas[7], split.X_train, split.y_train)
    assert loss[7] == pytest.approx(one_loss, rel=1e-12) and np.allclose(grad[7], one_grad, rtol=1e-10, atol=1e-13)


def test_gradient_three_layers_and_ridge():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 4, 30)
    m = MLP([3, 4, 3, 4])
    fun = m.objective(X, y, ridge=0.1)
    theta = rng.normal(size=m.n_params)
    loss, grad = fun(theta)
    assert relative_error(grad, fd_gradient(fun.loss, theta)) < 1e-7
    assert loss == pytest.approx(m.loss(theta, X, y) + 0.05 * theta @ theta, rel=1e-12)


def test_loss_is_the_cross_entropy_of_predict_proba(small):
    """The batched loss is −mean log p_y of predict_proba, and stays finite where some p_y underflows to 0."""
    split, m, fun = small
    T = m.init(20, size=3, seed=8) * np.array([[1.0], [30.0], [300.0]])
    P = m.predict_proba(T, split.X_train)  # (3, N, K)
    with np.errstate(divide="ignore"):  # p_y = 0 for some sample of the third network: log 0 = -inf
        expected = -np.log(P[:, np.arange(len(split.y_train)), split.y_train]).mean(axis=1)
    finite = np.isfinite(expected)
    assert finite[:2].all()
    np.testing.assert_allclose(fun(T)[0][finite], expected[finite], rtol=1e-10)
    assert np.isfinite(fun(T)[0]).all()  # even where some p_y underflows to 0


def test_loss_at_zero_is_log_K(small):
    _, m, fun = small
    assert fun(np.zeros(m.n_params))[0] == pytest.approx(np.log(3), rel=1e-14)


@pytest.mark.parametrize("batch_shape", [(7,), (2, 3)])
def test_batched_equals_single(small, batch_shape):
    split, m, fun = small
    T = m.init(20, size=int(np.prod(batch_shape)), seed=5).reshape(batch_shape + (m.n_params,))
    loss, grad = fun(T)
    assert loss.shape == batch_shape and grad.shape == batch_shape + (m.n_params,)
    acc = m.accuracy(T, split.X_test, split.y_test)
    assert acc.shape == batch_shape
    for idx in np.ndindex(*batch_shape):
        l1, g1 = fun(T[idx])
        assert isinstance(l1, float)
        np.testing.assert_allclose(loss[idx], l1, rtol=1e-13)
        np.testing.assert_allclose(grad[idx], g1, rtol=1e-12, atol=1e-15)
        assert acc[idx] == m.accuracy(T[idx], split.X_test, split.y_test)


def test_shapes_predictions_and_stability(small):
    split, m, fun = small
    T = m.init(m.n_params, size=3, seed=6)
    assert m.logits(T, split.X_test).shape == (3, 30, 3)
    P = m.predict_proba(T, split.X_test)
    np.testing.assert_allclose(P.sum(axis=-1), 1.0, rtol=1e-14)
    assert m.predict(T, split.X_test).shape == (3, 30)
    assert m.grad(T[0], split.X_train, split.y_train).shape == (m.n_params,)
    big = T[0] * 1e6  # huge logits: the shifted softmax stays finite
    loss, grad = fun(big)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert np.all(np.isfinite(m.predict_proba(big, split.X_test)))


# ----------------------------------------------------------------------------- init
def test_init_sparse_spread_and_seeded():
    m = MLP([64, 32, 10])
    T = m.init(241, size=5, seed=0)
    assert T.shape == (5, 2410)
    assert np.all(np.count_nonzero(T, axis=1) == 241)
    assert not np.any(T[:, m.is_bias()])  # biases start at zero
    per_layer = [np.count_nonzero(T[:, m.layer_of() == li], axis=1) for li in (1, 2)]
    assert np.all(per_layer[0] == 208) and np.all(per_layer[1] == 33)  # ∝ 2048 : 320
    np.testing.assert_array_equal(m.init(241, size=5, seed=0), T)
    assert m.init(2, seed=1).shape == (2410,)
    assert np.all(np.count_nonzero(m.init(2, size=4, seed=1)[:, m.layer_of() == 2], axis=1) == 1)
    dense = m.init(2410, seed=2)
    assert np.count_nonzero(dense) == 2410
    W1 = dense[m.layer_slices()[0][0]]
    assert W1.std() == pytest.approx(np.sqrt(2 / 96), rel=0.1)  # Glorot when dense


def test_init_errors():
    m = MLP([4, 5, 3])
    with pytest.raises(ValueError, match="s must satisfy"):
        m.init(0)
    with pytest.raises(ValueError, match="s must satisfy"):
        m.init(m.n_params + 1)
    with pytest.raises(TypeError, match="s must be an integer"):
        m.init(3.0)
    with pytest.raises(ValueError, match="size"):
        m.init(3, size=0)


# ----------------------------------------------------------------------------- errors
def test_errors_like_softmax_layer(small):
    split, m, fun = small
    with pytest.raises(ValueError, match=r"^theta must have shape \(\.\.\., 43\)"):
        fun(np.zeros(42))
    with pytest.raises(ValueError, match=r"^theta contains NaN or infinite"):
        fun(np.full(43, np.nan))
    with pytest.raises(ValueError, match=r"^X must have 4 columns"):
        m.objective(split.X_train[:, :3], split.y_train)
    with pytest.raises(ValueError, match=r"^X must have 4 columns"):
        m.predict(np.zeros(43), split.X_test[:, :2])
    with pytest.raises(ValueError, match=r"^X must be a 2-D array"):
        m.predict(np.zeros(43), split.X_test[0])
    with pytest.raises(ValueError, match="mismatched lengths"):
        m.objective(split.X_train, split.y_train[:-1])
    with pytest.raises(ValueError, match="labels in y must lie in"):
        m.objective(split.X_train, split.y_train + 1)
    with pytest.raises(ValueError, match="ridge"):
        m.objective(split.X_train, split.y_train, ridge=-1.0)
    with pytest.raises(ValueError, match="n_classes"):
        MLP([4, 5, 1])
    with pytest.raises(ValueError, match="at least 2 entries"):
        MLP([4])
    with pytest.raises(TypeError, match=r"sizes\[1\] must be an integer"):
        MLP([4, 2.0, 3])
    with pytest.raises(ValueError, match=r"sizes\[1\] must be >= 1"):
        MLP([4, 0, 3])
    with pytest.raises(ValueError, match="activation"):
        MLP([4, 3], activation="sigmoid")
    with pytest.raises(TypeError, match="sizes must be a sequence"):
        MLP(5)


# ----------------------------------------------------------------------------- IHT on it
def test_iht_decreases_the_loss_of_a_two_layer_network(small):
    _, m, fun = small
    s = 15
    theta0 = m.init(s, size=4, seed=7)
    est = il.estimate_l2s(fun, m.n_params, s, n_monte=200, seed=0)
    res = il.iht(fun, theta0, s, 0.5 * est.step, max_iter=300)
    assert np.all(np.count_nonzero(res.theta, axis=1) <= s)
    assert np.all(res.loss < 0.5 * res.losses[:, 0])
    assert np.all(res.status != "diverged")


def test_sparsity_sweep_runs_on_the_mlp(small):
    split, m, _ = small
    table = il.sparsity_sweep(m, split, [5, 20], n_starts=3, step=0.5, max_iter=100, seed=0, n_jobs=1)
    assert len(table) == 6 and set(table.s) == {5, 20}
    assert (table.nnz <= table.s).all() and table.test_acc.between(0, 1).all()
