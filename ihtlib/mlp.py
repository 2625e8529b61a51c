"""Model: a fully connected network (multi-layer perceptron) with softmax cross-entropy.

The same interface as :class:`ihtlib.model.SoftmaxLayer`, for any number of layers, so
:func:`ihtlib.iht`, :func:`ihtlib.estimate_l2s` and :func:`ihtlib.sparsity_sweep` run on it
unchanged.  ``MLP([d, K])`` *is* the one-layer softmax network (same layout, same loss).

Architecture
------------
``sizes = [d, h_1, …, h_{L-1}, K]`` gives L linear layers; every layer but the last is
followed by the activation (``tanh`` by default), the last by softmax, and the loss is the
mean cross-entropy over the samples::

    a_0 = x,   z_l = W_l a_{l-1} + b_l,   a_l = σ(z_l)  (l < L),   p = softmax(z_L)

Parameter layout
----------------
θ concatenates the layers in order; within a layer the weights come first, **row-major**,
then the biases::

    θ = [W_1.ravel(), b_1, W_2.ravel(), b_2, …, W_L.ravel(), b_L]
    W_l has shape (sizes[l], sizes[l-1]):  W_l[i, j] is the weight from unit j of layer l-1
                                           to unit i of layer l

so ``n = Σ_l sizes[l] * (sizes[l-1] + 1)``.  ``MLP([64, 32, 10])`` has
64·32 + 32 + 32·10 + 10 = 2410 parameters.  :meth:`MLP.layer_slices` gives each layer's
block, :meth:`MLP.unpack` the matrices, :meth:`MLP.param_names` readable names.

Batches
-------
Every method accepts θ of shape ``(..., n)``; leading axes are independent networks (for
example many random starts of IHT).  Losses have shape ``(...)``, gradients ``(..., n)``.

How it is computed
------------------
Activations are stored unit-first, ``(B, units, N)``.  The first layer of all B networks is
**one** matrix product ``(B·h_1, d) @ (d, N)`` with the shared data; every later layer is one
stacked product ``np.matmul`` over the B networks.  The backward pass (hand-written
backpropagation) mirrors it: ``δ_L = (P - Y) / N``, ``∇W_l = δ_l a_{l-1}ᵀ``, ``∇b_l = Σ_n δ_l``,
``δ_{l-1} = (W_lᵀ δ_l) ⊙ σ'(z_{l-1})``.  The probabilities come from the book's one softmax,
:func:`ihtlib.model.softmax`, which shifts by the largest logit of each sample, so it never
overflows; the loss reads log Σ_k exp(z_k) off it as max_k z_k − log max_k p_k.

Smoothness
----------
With ``tanh`` the loss is infinitely differentiable, but unlike the one-layer network its
gradient is **not** globally Lipschitz: the curvature grows with the size of the weights of
the later layers (for example ``∂²f/∂W_1²`` scales with ``‖W_2‖²``).  So there is no analytic
analogue of :func:`ihtlib.smoothness_bound`; the restricted constant must be estimated
(:func:`ihtlib.estimate_l2s`) and depends on the region of θ that is sampled.  ``relu`` is
offered for experiments; its loss is not differentiable where a pre-activation is 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .model import ClassifierMethods, ObjectiveMethods, softmax
from .validation import (
    check_array,
    check_budget,
    check_integer,
    check_real,
    check_s,
    check_theta,
    check_X,
    check_Xy,
    seeded_batch,
)

__all__ = ["MLP", "MLPObjective"]

_ACTIVATIONS = ("tanh", "relu")


def _activate(Z: np.ndarray, activation: str) -> np.ndarray:
    """σ(Z) in place."""
    if activation == "tanh":
        return np.tanh(Z, out=Z)
    return np.maximum(Z, 0.0, out=Z)


def _activation_slope(A: np.ndarray, activation: str) -> np.ndarray:
    """σ'(z) from the activation a = σ(z): 1 - a² for tanh, [a > 0] for relu."""
    if activation == "tanh":
        out = np.multiply(A, A)
        return np.subtract(1.0, out, out=out)
    return (A > 0).astype(np.float64)


class MLP(ClassifierMethods):
    """A fully connected network with ``tanh`` (or ``relu``) hidden layers, softmax and cross-entropy.

    Parameters
    ----------
    sizes : sequence of int, length >= 2
        ``[d, h_1, …, K]``: input dimension, hidden widths, number of classes (K >= 2).
        ``[d, K]`` is the one-layer softmax network of :class:`ihtlib.SoftmaxLayer`.
    activation : {"tanh", "relu"}, default "tanh"
        Activation of the hidden layers.

    Attributes
    ----------
    sizes : tuple of int
    n_layers : int
        Number of linear layers L = ``len(sizes) - 1``.
    n_features, n_classes : int
        ``sizes[0]`` and ``sizes[-1]``.
    n_params : int
        ``Σ_l sizes[l] * (sizes[l-1] + 1)``; the layout of θ is in the module docstring.

    Examples
    --------
    >>> MLP([64, 32, 10]).n_params
    2410
    >>> MLP([4, 3]).n_params      # = SoftmaxLayer(4, 3).n_params
    15
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh"):
        try:
            sizes = list(sizes)
        except TypeError as err:
            raise TypeError(f"sizes must be a sequence of integers such as [64, 32, 10], got {sizes!r}") from err
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least 2 entries [n_features, n_classes], got {sizes}")
        for i, value in enumerate(sizes):
            check_integer(value, f"sizes[{i}]")  # TypeError for floats, bools, strings
            if value < 1:
                raise ValueError(f"sizes[{i}] must be >= 1, got {value}")
        if sizes[-1] < 2:
            raise ValueError(f"the last entry of sizes (n_classes) must be >= 2, got {sizes[-1]}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
        self.sizes = tuple(int(v) for v in sizes)
        self.activation = activation
        self.n_layers = len(self.sizes) - 1
        self.n_features = self.sizes[0]
        self.n_classes = self.sizes[-1]
        self._slices = []  # per layer: (weight slice, bias slice)
        start = 0
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            w = slice(start, start + fan_out * fan_in)
            b = slice(w.stop, w.stop + fan_out)
            self._slices.append((w, b))
            start = b.stop
        self.n_params = start

    def __repr__(self) -> str:
        return f"MLP(sizes={list(self.sizes)}, activation={self.activation!r})"

    # ----------------------------------------------------------------- layout
    def layer_slices(self) -> list[tuple[slice, slice]]:
        """Per layer, the slices of θ holding its weights and its biases.

        Returns
        -------
        list of (slice, slice), length L
        """
        return list(self._slices)

    def layer_of(self) -> np.ndarray:
        """Layer index (1 … L) of every parameter, shape (n,)."""
        out = np.empty(self.n_params, dtype=int)
        for li, (w, b) in enumerate(self._slices, start=1):
            out[w.start : b.stop] = li
        return out

    def is_bias(self) -> np.ndarray:
        """True for the bias entries of θ, shape (n,)."""
        out = np.zeros(self.n_params, dtype=bool)
        for _, b in self._slices:
            out[b] = True
        return out

    def unpack(self, theta: ArrayLike) -> list[tuple[np.ndarray, np.ndarray]]:
        """Split θ of shape (..., n) into ``[(W_1, b_1), …, (W_L, b_L)]``.

        ``W_l`` has shape (..., sizes[l], sizes[l-1]) and ``b_l`` shape (..., sizes[l]); both are views.
        """
        theta = check_theta(theta, self.n_params)
        lead = theta.shape[:-1]
        return [
            (theta[..., w].reshape(lead + (fo, fi)), theta[..., b])
            for (w, b), fi, fo in zip(self._slices, self.sizes[:-1], self.sizes[1:], strict=True)
        ]

    def pack(self, layers: Sequence[tuple[ArrayLike, ArrayLike]]) -> np.ndarray:
        """Inverse of :meth:`unpack`: θ of shape (..., n) from ``[(W_1, b_1), …]``."""
        layers = list(layers)
        if len(layers) != self.n_layers:
            raise ValueError(f"need {self.n_layers} (W, b) pairs, got {len(layers)}")
        parts = []
        lead = None
        for li, ((W, b), fi, fo) in enumerate(zip(layers, self.sizes[:-1], self.sizes[1:], strict=True), start=1):
            W = check_array(W, f"W{li}", allow_empty=True)
            b = check_array(b, f"b{li}", allow_empty=True)
            if W.shape[-2:] != (fo, fi) or b.shape[-1:] != (fo,) or W.shape[:-2] != b.shape[:-1]:
                raise ValueError(
                    f"layer {li}: W must have shape (..., {fo}, {fi}) and b shape (..., {fo}); got {W.shape}, {b.shape}"
                )
            if lead is not None and W.shape[:-2] != lead:
                raise ValueError(f"layer {li} has leading shape {W.shape[:-2]}, layer 1 has {lead}")
            lead = W.shape[:-2]
            parts += [W.reshape(lead + (fo * fi,)), b]
        return np.concatenate(parts, axis=-1)

    def param_names(
        self, feature_names: Sequence[str] | None = None, class_names: Sequence[str] | None = None
    ) -> list[str]:
        """Readable names of the n parameters in θ order.

        Hidden units of layer l are called ``h{l}.{i}``; inputs and classes take the given
        names (default ``x0, x1, …`` and ``0, 1, …``).

        Returns
        -------
        list of str, length n
            ``"W{l}[to, from]"`` for the weights (row-major), then ``"b{l}[to]"``, layer by layer.
            For ``MLP([d, K])`` the names equal :meth:`SoftmaxLayer.param_names` with ``W1``/``b1``.
        """
        d, K = self.n_features, self.n_classes
        feature_names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(d)]
        class_names = list(class_names) if class_names is not None else [str(k) for k in range(K)]
        if len(feature_names) != d or len(class_names) != K:
            raise ValueError(f"need {d} feature names and {K} class names")
        units = [feature_names]
        units += [[f"h{li}.{i}" for i in range(h)] for li, h in enumerate(self.sizes[1:-1], start=1)]
        units += [class_names]
        names = []
        for li in range(1, self.n_layers + 1):
            names += [f"W{li}[{to}, {fr}]" for to in units[li] for fr in units[li - 1]]
            names += [f"b{li}[{to}]" for to in units[li]]
        return names

    # ---------------------------------------------------------- initialisation
    def init(
        self,
        s: int,
        size: int | None = None,
        seed: int | Sequence[int] | np.random.Generator | None = None,
        bias_scale: float = 0.1,
    ) -> np.ndarray:
        """Random s-sparse parameters with scales suited to a sparse network.

        How the s nonzeros are placed
            The weights get the nonzeros, spread across the layers **in proportion to their
            number of weights** (largest-remainder rounding, at least one per layer when
            s >= L), on a uniformly random support inside each layer.  Biases start at 0
            (a common convention, and what the paper's author notes use for the one-layer
            network); only when s exceeds the number of weights do the remaining nonzeros go
            to random biases, with values N(0, bias_scale²).  A support spread in proportion
            to size keeps every layer connected: a uniformly random support over all of θ
            would do the same on average, but at small s it can leave a layer with no
            weight at all, and then no signal reaches the output and every hidden gradient
            is zero.

        Which scale
            Glorot (Xavier) initialisation draws ``W_l`` with variance ``2 / (fan_in + fan_out)``
            so that signals keep their variance forward and backward through a *dense* layer.
            In a layer of density ρ each unit has on average ``ρ·fan_in`` inputs and
            ``ρ·fan_out`` outputs, so we use the same rule with the **effective** fan-in and
            fan-out, ``max(1, ρ·fan_in)`` and ``max(1, ρ·fan_out)`` ("sparse Glorot"):
            ``Var = 2 / (max(1, ρ·fan_in) + max(1, ρ·fan_out))``.  At ρ = 1 this is Glorot;
            in a very sparse layer a connected unit has about one input and its weight is of
            order 1, so tanh is neither saturated nor linear.  Values are normal.

        Parameters
        ----------
        s : int, 1 <= s <= n
            Number of nonzeros of each vector (exactly s, almost surely).
        size : int, optional
            Number of vectors B.  ``None`` returns one vector of shape (n,).
        seed : int, sequence of int or numpy Generator, optional
        bias_scale : float, default 0.1
            Standard deviation of the biases that are nonzero (only when s > number of weights).

        Returns
        -------
        ndarray, shape (n,) or (size, n)
        """
        s = check_s(s, self.n_params)
        bias_scale = check_real(bias_scale, "bias_scale", low=0.0, low_open=True)
        rng, B = seeded_batch(seed, size)
        check_budget(B * self.n_params, f"{B} vectors of {self.n_params} parameters", "pass a smaller size")
        n_w = np.array([fo * fi for fi, fo in zip(self.sizes[:-1], self.sizes[1:], strict=True)])
        total_w = int(n_w.sum())
        k = self._allocate(min(s, total_w), n_w)
        out = np.zeros((B, self.n_params))
        for li, ((w, _), fi, fo) in enumerate(zip(self._slices, self.sizes[:-1], self.sizes[1:], strict=True)):
            if k[li] == 0:
                continue
            rho = k[li] / n_w[li]
            std = np.sqrt(2.0 / (max(1.0, rho * fi) + max(1.0, rho * fo)))
            idx = np.argsort(rng.random((B, n_w[li])), axis=1)[:, : k[li]]
            block = np.zeros((B, n_w[li]))
            np.put_along_axis(block, idx, rng.normal(0.0, std, (B, k[li])), axis=1)
            out[:, w] = block
        if s > total_w:  # the rest on random biases
            bias_idx = np.flatnonzero(self.is_bias())
            idx = np.argsort(rng.random((B, bias_idx.size)), axis=1)[:, : s - total_w]
            rows = np.arange(B)[:, None]
            out[rows, bias_idx[idx]] = rng.normal(0.0, bias_scale, idx.shape)
        return out[0] if size is None else out

    @staticmethod
    def _allocate(s: int, counts: np.ndarray) -> np.ndarray:
        """Split s into per-layer counts ∝ counts (largest remainder), >= 1 each when s >= L."""
        L = counts.size
        floor_one = s >= L
        base = np.ones(L, dtype=int) if floor_one else np.zeros(L, dtype=int)
        rest = s - int(base.sum())
        share = rest * counts / counts.sum()
        k = base + np.floor(share).astype(int)
        k = np.minimum(k, counts)
        while k.sum() < s:  # hand out the remainder by largest fractional part, within capacity
            frac = np.where(k < counts, base + share - k, -np.inf)
            k[int(np.argmax(frac))] += 1
        return k

    # --------------------------------------------------------- the objective
    def objective(self, X: ArrayLike, y: ArrayLike, ridge: float = 0.0) -> MLPObjective:
        """The training objective on fixed data as a callable ``fun(θ) -> (loss, grad)``.

        Parameters
        ----------
        X : array_like, shape (N, d)
        y : array_like of int, shape (N,)
        ridge : float, default 0
            Adds ``ridge/2 * ||θ||²`` to the loss.

        Returns
        -------
        MLPObjective
        """
        return MLPObjective(self, X, y, ridge)

    def logits(self, theta: ArrayLike, X: ArrayLike) -> np.ndarray:
        """Logits (pre-softmax outputs), shape (..., N, K)."""
        theta = check_theta(theta, self.n_params)
        X = check_X(X, n_features=self.n_features)
        lead = theta.shape[:-1]
        Z = self._forward(theta.reshape(-1, self.n_params), X)[-1]  # (B, K, N)
        return np.swapaxes(Z, 1, 2).reshape(lead + (X.shape[0], self.n_classes))

    def _forward(self, theta_rows: np.ndarray, X: np.ndarray, XT: np.ndarray | None = None) -> list[np.ndarray]:
        """Activations ``[a_1, …, a_{L-1}, z_L]`` for θ of shape (B, n), each (B, units, N)."""
        B, N = theta_rows.shape[0], X.shape[0]
        XT = np.ascontiguousarray(X.T) if XT is None else XT
        out = []
        A = None
        for li, ((w, b), fi, fo) in enumerate(zip(self._slices, self.sizes[:-1], self.sizes[1:], strict=True)):
            W = theta_rows[:, w].reshape(B, fo, fi)
            if li == 0:  # one product for all B networks: (B·fo, d) @ (d, N)
                Z = (W.reshape(B * fo, fi) @ XT).reshape(B, fo, N)
            else:
                Z = np.matmul(W, A)
            Z += theta_rows[:, b][:, :, None]
            if li < self.n_layers - 1:
                A = _activate(Z, self.activation)
                out.append(A)
            else:
                out.append(Z)
        return out


class MLPObjective(ObjectiveMethods):
    """``fun(θ) -> (loss, grad)`` for an :class:`MLP` on fixed data.

    Call it with θ of shape (..., n); it returns the mean cross-entropy (plus the optional
    ridge term) of shape (...) and its gradient of shape (..., n), by backpropagation.
    ``.loss(θ)`` and ``.grad(θ)`` return one of the two.
    """

    def __init__(self, model: MLP, X: ArrayLike, y: ArrayLike, ridge: float = 0.0):
        X, y = check_Xy(X, y, model.n_classes, model.n_features)
        ridge = check_real(ridge, "ridge", low=0.0)
        N = X.shape[0]
        self.model, self.ridge, self.n_samples = model, ridge, N
        self.X = np.ascontiguousarray(X)
        self.XT = np.ascontiguousarray(X.T)
        self.y = y
        self.Y = np.zeros((model.n_classes, N))
        self.Y[y, np.arange(N)] = 1.0

    def __call__(self, theta: ArrayLike):
        """Loss of shape (...) and gradient of shape (..., n) at θ of shape (..., n)."""
        model = self.model
        n = model.n_params
        theta = check_theta(theta, n)
        theta_rows = np.ascontiguousarray(theta.reshape(-1, n))
        B, N = theta_rows.shape[0], self.n_samples
        acts = model._forward(theta_rows, self.X, self.XT)
        Z = acts[-1]  # (B, K, N) logits
        P = softmax(Z, axis=1)  # (B, K, N)
        # cross-entropy of sample i: log Σ_k exp(z_ik) − z_iy_i, where log Σ_k exp(z_ik) =
        # max_k z_ik − log max_k p_ik exactly (the largest probability is >= 1/K: no underflow)
        log_sum_exp = Z.max(axis=1) - np.log(P.max(axis=1))  # (B, N)
        loss = (log_sum_exp.sum(axis=1) - np.einsum("bkn,kn->b", Z, self.Y)) / N
        delta = (P - self.Y) * (1.0 / N)  # ∂loss/∂z_L, (B, K, N)
        grad = np.empty((B, n))
        for li in range(model.n_layers - 1, -1, -1):
            w, b = model._slices[li]
            fi, fo = model.sizes[li], model.sizes[li + 1]
            grad[:, b] = delta.sum(axis=2)
            if li == 0:  # one product for all B networks: (B·fo, N) @ (N, d)
                grad[:, w] = (delta.reshape(B * fo, N) @ self.X).reshape(B, fo * fi)
            else:
                A = acts[li - 1]  # (B, fi, N)
                grad[:, w] = np.matmul(delta, A.transpose(0, 2, 1)).reshape(B, fo * fi)
                W = theta_rows[:, w].reshape(B, fo, fi)
                delta = np.matmul(W.transpose(0, 2, 1), delta)
                delta *= _activation_slope(A, model.activation)
        return self._finish(theta, theta_rows, loss, grad)
