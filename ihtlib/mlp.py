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
:func:`mlp_loss_and_grad` below is the literal backpropagation of one network, sample-first
like the formulas of chapter 10::

    δ_L = (P − Y) / N,   ∇W_l = δ_lᵀ a_{l-1},   ∇b_l = Σ_i δ_l,   δ_{l-1} = (δ_l W_l) ⊙ σ'(z_{l-1})

The objective the library runs (:meth:`MLP.objective`) computes the same for B networks at
once; that batched machinery lives in :mod:`ihtlib.fast.mlp` and is tested to agree with
:func:`mlp_loss_and_grad`.

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

from .classifier import Classifier, feature_and_class_names
from .fast.mlp import MLPObjective, forward
from .mlp_init import sparse_glorot_init
from .model import softmax
from .validation import (
    check_array,
    check_integer,
    check_theta,
    check_X,
    check_Xy,
)

__all__ = ["MLP", "MLPObjective", "mlp_loss_and_grad"]

_ACTIVATIONS = ("tanh", "relu")


def mlp_loss_and_grad(model: MLP, theta: ArrayLike, X: ArrayLike, y: ArrayLike) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of one network and its gradient by backpropagation: the literal version.

    f(θ) = 1/N Σ_i −log p_{y_i}(x_i) with p = softmax(z_L), as in chapter 10.  For moderate θ
    (no probability underflows to 0); :meth:`MLP.objective` is the batched, overflow-safe one.

    Parameters
    ----------
    model : MLP
    theta : array_like, shape (n,)
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)

    Returns
    -------
    loss : float
    grad : ndarray, shape (n,), in the layout of θ
    """
    theta = check_theta(theta, model.n_params)
    X, y = check_Xy(X, y, model.n_classes, model.n_features)
    N = len(y)
    sigma, slope = _SIGMA[model.activation]
    layers = model.unpack(theta)  # [(W_1, b_1), …, (W_L, b_L)]
    a = [X]  # a_0 = x, a_l = σ(W_l a_{l-1} + b_l), one row per sample (so a @ Wᵀ)
    for W, b in layers[:-1]:
        a.append(sigma(a[-1] @ W.T + b))
    W_L, b_L = layers[-1]
    P = softmax(a[-1] @ W_L.T + b_L)  # (N, K)
    loss = -np.mean(np.log(P[np.arange(N), y]))
    delta = (P - np.eye(model.n_classes)[y]) / N  # ∂loss/∂z_L
    grads = []
    for layer in range(model.n_layers, 0, -1):  # L, …, 1
        W, _ = layers[layer - 1]
        grads.insert(0, (delta.T @ a[layer - 1], delta.sum(axis=0)))  # ∇W_layer, ∇b_layer
        delta = (delta @ W) * slope(a[layer - 1])  # δ_{layer-1} (not used after layer 1)
    return float(loss), model.pack(grads)


#: σ and σ' (the latter from a = σ(z)) of each activation.
_SIGMA = {
    "tanh": (np.tanh, lambda a: 1.0 - a**2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0).astype(float)),
}


class MLP(Classifier):
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

    #: What :meth:`objective` builds: batched backpropagation (:mod:`ihtlib.fast.mlp`), the same
    #: numbers as :func:`mlp_loss_and_grad` row by row; ``ridge`` adds ``ridge/2 * ||θ||²``.
    objective_class = MLPObjective

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
        feature_names, class_names = feature_and_class_names(feature_names, class_names, d, K)
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
        """Random s-sparse parameters with scales suited to a sparse network ("sparse Glorot").

        The nonzeros go to the weights, spread over the layers in proportion to their size,
        with Glorot's variance for the effective (density-corrected) fan-in and fan-out;
        biases start at 0.  Parameters, rules and their reasons:
        :func:`ihtlib.mlp_init.sparse_glorot_init` (this method is that function for this model).

        Returns
        -------
        ndarray, shape (n,) or (size, n)
        """
        return sparse_glorot_init(self, s, size, seed, bias_scale)

    # ---------------------------------------------------------- predictions
    def logits(self, theta: ArrayLike, X: ArrayLike) -> np.ndarray:
        """Logits (pre-softmax outputs), shape (..., N, K)."""
        theta = check_theta(theta, self.n_params)
        X = check_X(X, n_features=self.n_features)
        lead = theta.shape[:-1]
        Z = forward(self, theta.reshape(-1, self.n_params), X)[-1]  # (B, K, N)
        return np.swapaxes(Z, 1, 2).reshape(lead + (X.shape[0], self.n_classes))
