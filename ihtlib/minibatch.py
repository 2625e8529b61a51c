"""Mini-batch stochastic IHT (issue 14): IHT with the gradient of a random mini-batch.

For ``f(θ) = 1/N Σ_i f_i(θ)`` (the mean loss over the N training samples) and an s-sparse θ⁰::

    θ^{k+1} ∈ H_s(θ^k − γ_k ∇f_{B_k}(θ^k)),      f_B(θ) = 1/|B| Σ_{i ∈ B} f_i(θ),

where B_k is a mini-batch of samples.  Batches are drawn **without replacement within each
epoch**: epoch e shuffles the N samples once (a seeded ``numpy`` Generator) and splits the
shuffled order into ⌈N/b_e⌉ consecutive batches of nearly equal size (at most b_e), so every
sample is used exactly once per epoch and one epoch costs exactly one full pass of
gradient evaluations, whatever the batch size.  That makes "equal numbers of gradient
evaluations" simple: E epochs of mini-batch IHT cost what E iterations of full-batch IHT
(:func:`ihtlib.iht_loop`) cost.

Every update is :func:`ihtlib.iht_step` with the mini-batch objective
``model.objective(X[B_k], y[B_k])``; the indices of a batch are sorted (the mean over a set
does not depend on the order), so with b = N every batch is the whole data in its original
order and the run is full-batch IHT exactly, bit for bit.

Two options of the stochastic-approximation literature:

* a **decreasing step**: γ_k = γ / (1 + k/k₀) (pass the number k₀), or γ_k = γ · φ(k)
  for your own callable φ;
* a **growing batch**: b_e = min(N, ⌈b · ρ^e⌉) in epoch e = 0, 1, … (pass the number ρ >= 1),
  or b_e = β(e) for your own callable β.

Read this module from the top: :func:`minibatch_iht` is the algorithm for one run, literally
(no safeguard against divergence, as in :func:`ihtlib.iht_loop`).  :func:`minibatch_iht_runs`
is what the chapter's sweeps call: R runs of it at once (one seed each, the same batch-size
and step schedules).  For a :class:`~ihtlib.SoftmaxLayer` it hands the work to
:mod:`ihtlib.fast.minibatch` (all runs' mini-batch gradients in one product per update),
which is tested to agree with :func:`minibatch_iht` run by run
(``tests/test_minibatch.py``); for any other model it calls :func:`minibatch_iht` once per run.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .iht import _check_starts, iht_step
from .thresholding import support
from .validation import check_integer, check_model, check_real, check_seed, check_step

__all__ = ["MiniBatchResult", "minibatch_iht", "minibatch_iht_runs"]


@dataclass
class MiniBatchResult:
    """What :func:`minibatch_iht` returns: the run, epoch by epoch.

    :func:`minibatch_iht_runs` returns the same fields for R runs: ``theta``, ``thetas``,
    ``losses``, ``support_changed_at`` and ``steps`` then have a leading axis of length R
    (shapes (R, n), (R, E+1, n), (R, E+1), (R,), (R, K)); ``passes``, ``n_steps`` and
    ``batch_sizes`` are shared by the runs.

    Attributes
    ----------
    theta : ndarray, shape (n,)
        θ after the last epoch (s-sparse).
    thetas : ndarray, shape (E+1, n)
        θ⁰ and θ after each of the E epochs.
    losses : ndarray, shape (E+1,)
        The full-data loss f(θ) (all N samples, not the mini-batch) at θ⁰ and after each epoch.
        These monitoring evaluations are not counted in ``passes``.
    passes : ndarray, shape (E+1,)
        Gradient evaluations so far in units of full passes: Σ_k |B_k| / N (0 at θ⁰; one
        per epoch, since an epoch uses every sample once).  E full-batch IHT iterations cost E.
    support_changed_at : int
        The last epoch (1 … E) in which some update changed supp θ; 0 if no update did.  From
        the next epoch on the support stayed the same (E: it was still changing in the last).
    n_steps : int
        Number of updates K = Σ_e ⌈N / b_e⌉.
    batch_sizes : ndarray of int, shape (E,)
        b_e, the largest batch size of epoch e.
    steps : ndarray, shape (K,)
        γ_k of every update.
    """

    theta: np.ndarray
    thetas: np.ndarray
    losses: np.ndarray
    passes: np.ndarray
    support_changed_at: int
    n_steps: int
    batch_sizes: np.ndarray
    steps: np.ndarray

    @property
    def loss(self) -> float | np.ndarray:
        """The full-data loss after the last epoch: a float, or shape (R,) for R runs."""
        last = self.losses[..., -1]
        return float(last) if last.ndim == 0 else last


def minibatch_iht(
    model: object,
    X: ArrayLike,
    y: ArrayLike,
    theta0: ArrayLike,
    s: int,
    step: float,
    batch_size: int,
    n_epochs: int,
    seed: object = 0,
    step_schedule: float | Callable[[int], float] | None = None,
    batch_growth: float | Callable[[int], int] | None = None,
) -> MiniBatchResult:
    """Stochastic IHT, literally: θ^{k+1} ∈ H_s(θ^k − γ_k ∇f_{B_k}(θ^k)), batches drawn per epoch.

    Parameters
    ----------
    model : SoftmaxLayer, MLP, or any object with ``n_params`` and ``objective(X, y)``
        ``model.objective(X[B], y[B])`` is the mini-batch objective f_B, a callable
        ``fun(θ) -> (loss, grad)``; ``model.objective(X, y)`` is f, for the losses.
    X : array_like, shape (N, d)
        Training features.
    y : array_like, shape (N,)
        Training targets (class labels for a classifier).
    theta0 : array_like, shape (n,)
        An s-sparse start.
    s : int, 1 <= s <= n
        Sparsity level.
    step : float
        γ > 0; the step of every update (constant), or the scale of the schedule.
    batch_size : int, 1 <= batch_size <= N
        b: the (first) batch size.  b = N is full-batch IHT (:func:`ihtlib.iht_loop`).
    n_epochs : int >= 1
        E: passes over the data.
    seed : None, int, sequence of int or numpy.random.Generator, default 0
        Seed of the shuffles (a Generator is used as it is).
    step_schedule : None, float or callable, default None
        None: γ_k = γ.  A number k₀ > 0: γ_k = γ / (1 + k/k₀), with k = 0, 1, … the update
        count.  A callable φ: γ_k = γ · φ(k), φ(k) finite and > 0.
    batch_growth : None, float or callable, default None
        None: b_e = b.  A number ρ >= 1: b_e = min(N, ⌈b · ρ^e⌉) in epoch e = 0, 1, ….
        A callable β: b_e = β(e), an integer in 1 … N.

    Returns
    -------
    MiniBatchResult

    Raises
    ------
    TypeError, ValueError
        A bad argument, named in the message; or (no safeguard, as in :func:`ihtlib.iht_loop`)
        a step so large that θ − γ∇f_B(θ) overflows.
    """
    check_model(model)
    f = model.objective(X, y)  # f, the full-data objective (and the checks of X and y)
    X, y = np.asarray(X), np.asarray(y)
    N = X.shape[0]
    theta, s = _check_starts(theta0, s, "theta0", batch=False)
    if theta.shape != (model.n_params,):
        raise ValueError(f"theta0 must have shape ({model.n_params},) (model.n_params), got {theta.shape}")
    gamma = float(check_step(step))
    b = check_integer(batch_size, "batch_size", low=1, high=N)
    n_epochs = check_integer(n_epochs, "n_epochs", low=1)
    rng = check_seed(seed)
    step_factor = _step_schedule(step_schedule)
    batch_size_of = _batch_growth(batch_growth, b, N)

    thetas, passes, batch_sizes, steps = [theta], [0.0], [], []
    support_changed_at, k = 0, 0
    for epoch in range(n_epochs):
        b_e = batch_size_of(epoch)
        batch_sizes.append(b_e)
        order = rng.permutation(N)  # a fresh shuffle: without replacement within the epoch
        for B in np.array_split(order, math.ceil(N / b_e)):  # ⌈N/b_e⌉ batches, sizes b_e or less
            B = np.sort(B)
            f_B = model.objective(X[B], y[B])  # f_B(θ) = 1/|B| Σ_{i∈B} f_i(θ)
            gamma_k = gamma * step_factor(k)  # γ_k
            theta_next = iht_step(f_B, theta, s, gamma_k)  # H_s(θ^k − γ_k ∇f_B(θ^k))
            if support(theta_next) != support(theta):
                support_changed_at = epoch + 1
            theta, k = theta_next, k + 1
            steps.append(gamma_k)
        thetas.append(theta)
        passes.append(passes[-1] + 1.0)  # every sample once: one full pass per epoch
    thetas = np.array(thetas)
    losses = np.asarray(f(thetas)[0], dtype=np.float64).reshape(len(thetas))  # as iht_loop does
    return MiniBatchResult(
        theta=theta,
        thetas=thetas,
        losses=losses,
        passes=np.array(passes),
        support_changed_at=support_changed_at,
        n_steps=k,
        batch_sizes=np.array(batch_sizes, dtype=int),
        steps=np.array(steps),
    )


def minibatch_iht_runs(
    model: object,
    X: ArrayLike,
    y: ArrayLike,
    theta0: ArrayLike,
    s: int,
    step: ArrayLike,
    batch_size: int,
    n_epochs: int,
    seeds: Sequence[object],
    step_schedule: float | Callable[[int], float] | None = None,
    batch_growth: float | Callable[[int], int] | None = None,
) -> MiniBatchResult:
    """R runs of :func:`minibatch_iht` at once, one seed per run (what the chapter's sweeps call).

    Run r is ``minibatch_iht(model, X, y, theta0[r], s, step[r], batch_size, n_epochs,
    seed=seeds[r], step_schedule=step_schedule, batch_growth=batch_growth)``: the same
    shuffles, batches, steps and iterates.  For a :class:`~ihtlib.SoftmaxLayer` the runs are
    computed together by :func:`ihtlib.fast.minibatch.softmax_minibatch_runs` (equal to the
    literal runs up to rounding, tested in ``tests/test_minibatch.py``); for any other model
    :func:`minibatch_iht` is called once per run.

    Parameters
    ----------
    model, X, y, s, batch_size, n_epochs, step_schedule, batch_growth
        As in :func:`minibatch_iht`; the batch-size and step schedules are shared by the runs.
    theta0 : array_like, shape (n,) or (R, n)
        One s-sparse start for every run, or one per run.
    step : float, or array_like of shape (R,)
        γ > 0 for every run, or one per run.
    seeds : sequence of R seeds
        ``seeds[r]`` seeds the shuffles of run r (anything :func:`minibatch_iht` takes as
        ``seed``); R = ``len(seeds)`` >= 1.  Pass distinct seeds (or Generators) per run.

    Returns
    -------
    MiniBatchResult
        With a leading axis of length R on ``theta`` (R, n), ``thetas`` (R, E+1, n),
        ``losses`` (R, E+1), ``support_changed_at`` (R,) and ``steps`` (R, K); ``passes``
        (E+1,), ``n_steps`` and ``batch_sizes`` (E,) are the same for every run.

    Raises
    ------
    TypeError, ValueError
        A bad argument, named in the message (as :func:`minibatch_iht`; ``seeds`` must be a
        non-empty list or tuple, ``theta0`` and ``step`` must have R rows); or a step so
        large that θ − γ∇f_B(θ) overflows (``FloatingPointError`` or ``ValueError``).
    """
    check_model(model)
    if not isinstance(seeds, (list, tuple)):
        raise TypeError(f"seeds must be a list or tuple with one seed per run, got {type(seeds).__name__}")
    if len(seeds) == 0:
        raise ValueError("seeds must hold one seed per run, got an empty sequence")
    R = len(seeds)
    f = model.objective(X, y)  # f, the full-data objective (and the checks of X and y)
    X, y = np.asarray(X), np.asarray(y)
    N = X.shape[0]
    thetas, s = _check_starts(theta0, s, "theta0", batch=True)
    if np.ndim(theta0) == 1:
        thetas = np.repeat(thetas, R, axis=0)  # one start for every run
    if thetas.shape != (R, model.n_params):
        raise ValueError(
            f"theta0 must have shape ({model.n_params},) or ({R}, {model.n_params}) (len(seeds), model.n_params), "
            f"got {np.shape(theta0)}"
        )
    gammas = np.broadcast_to(check_step(step, R), (R,)).astype(np.float64)
    b = check_integer(batch_size, "batch_size", low=1, high=N)
    n_epochs = check_integer(n_epochs, "n_epochs", low=1)
    rngs = [check_seed(seed, f"seeds[{r}]") for r, seed in enumerate(seeds)]
    step_factor = _step_schedule(step_schedule)
    batch_size_of = _batch_growth(batch_growth, b, N)

    from .model import SoftmaxLayer  # here: ihtlib.model is imported after this module

    if type(model) is SoftmaxLayer:
        from .fast.minibatch import softmax_minibatch_runs

        history, changed, n_steps, batch_sizes, steps = softmax_minibatch_runs(
            X, y, model.n_classes, thetas, s, gammas, n_epochs, rngs, step_factor, batch_size_of
        )
        losses = np.asarray(f(history)[0], dtype=np.float64).reshape(R, n_epochs + 1)
        return MiniBatchResult(
            theta=history[:, -1].copy(),
            thetas=history,
            losses=losses,
            passes=np.arange(n_epochs + 1, dtype=np.float64),
            support_changed_at=changed,
            n_steps=n_steps,
            batch_sizes=batch_sizes,
            steps=steps,
        )
    runs = [
        minibatch_iht(model, X, y, thetas[r], s, gammas[r], b, n_epochs, rngs[r], step_schedule, batch_growth)
        for r in range(R)
    ]
    return MiniBatchResult(
        theta=np.stack([r.theta for r in runs]),
        thetas=np.stack([r.thetas for r in runs]),
        losses=np.stack([r.losses for r in runs]),
        passes=runs[0].passes,
        support_changed_at=np.array([r.support_changed_at for r in runs], dtype=int),
        n_steps=runs[0].n_steps,
        batch_sizes=runs[0].batch_sizes,
        steps=np.stack([r.steps for r in runs]),
    )


def _step_schedule(step_schedule: object) -> Callable[[int], float]:
    """φ(k) with γ_k = γ · φ(k): 1, 1/(1 + k/k₀), or the user's callable (checked at each k)."""
    if step_schedule is None:
        return lambda k: 1.0
    if callable(step_schedule):

        def factor(k: int) -> float:
            value = step_schedule(k)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                raise TypeError(f"step_schedule(k) must return a real number, got {value!r} at k={k}")
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"step_schedule(k) must return a finite factor > 0, got {value!r} at k={k}")
            return float(value)

        return factor
    if isinstance(step_schedule, (bool, np.bool_)) or not isinstance(step_schedule, numbers.Real):
        raise TypeError(
            "step_schedule must be None, a number k0 > 0 (γ_k = γ/(1 + k/k0)) or a callable k -> factor, "
            f"got {type(step_schedule).__name__}"
        )
    k0 = check_real(step_schedule, "step_schedule", low=0.0, low_open=True)
    return lambda k: 1.0 / (1.0 + k / k0)


def _batch_growth(batch_growth: object, b: int, N: int) -> Callable[[int], int]:
    """β(e), the batch size of epoch e: b, min(N, ⌈b ρ^e⌉), or the user's callable (checked)."""
    if batch_growth is None:
        return lambda e: b
    if callable(batch_growth):

        def size(e: int) -> int:
            value = batch_growth(e)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
                raise TypeError(f"batch_growth(e) must return an integer batch size, got {value!r} at epoch {e}")
            if not 1 <= value <= N:
                raise ValueError(f"batch_growth(e) must return a batch size in 1 … {N} (N), got {value} at epoch {e}")
            return int(value)

        return size
    if isinstance(batch_growth, (bool, np.bool_)) or not isinstance(batch_growth, numbers.Real):
        raise TypeError(
            "batch_growth must be None, a number rho >= 1 (b_e = min(N, ⌈b rho^e⌉)) or a callable e -> size, "
            f"got {type(batch_growth).__name__}"
        )
    rho = check_real(batch_growth, "batch_growth", low=1.0)
    # b ρ^e, capped at N before ρ^e can overflow
    return lambda e: N if e * math.log(rho) >= math.log(N / b) else min(N, math.ceil(b * rho**e))
