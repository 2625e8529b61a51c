"""Experiments: the sparsity sweep and the dense reference the book's chapters plot.

A sweep is, for every sparsity level s and every start r = 0 … n_starts-1: run IHT from
θ⁰ = :func:`sweep_starts` (model, s, n_starts, seed)[r] and record where it ends, one row
of a tidy table per (s, start).  All runs of all levels go to the batched IHT together
(:func:`ihtlib.fast.sweep.iht_in_blocks`: blocks of runs on threads), which gives the same
numbers as running them one by one, only faster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .data import Split
from .fast.sweep import iht_in_blocks
from .iht import SETTLE_RTOL, STABILITY_TOL, IHTResult, ht_stability, iht
from .model import SoftmaxLayer
from .rss import estimate_l2s, smoothness_bound
from .thresholding import random_sparse_init
from .validation import (
    check_array,
    check_budget,
    check_callable,
    check_integer,
    check_levels,
    check_model,
    check_real,
    check_s,
    check_split,
    check_step,
    check_table,
    check_tol,
    seed_entropy,
)

_INIT_SIGNATURE = "init(s, size, seed) -> (size, n)"

__all__ = ["sparsity_sweep", "sweep_starts", "train_dense", "summarize_sweep", "epsilon_optimal"]


def sweep_starts(
    model: SoftmaxLayer, s: int, n_starts: int = 100, seed: object = 0, init: Callable | None = None
) -> np.ndarray:
    """The starts of :func:`sparsity_sweep` at level s: row r is θ⁰ of the table's row (s, start=r).

    Pass the same ``model``, ``n_starts``, ``seed`` and ``init`` as to the sweep; the sweep
    itself calls this function, so the starts are the sweep's by construction.

    Parameters
    ----------
    model : SoftmaxLayer or MLP
    s : int, 1 <= s <= n_params
    n_starts : int, default 100
    seed : int or sequence of int, default 0
        The starts use ``numpy.random.default_rng([seed, s])`` (``[*seed, s]`` for a
        sequence).  A Generator or None gives starts the sweep cannot reproduce.
    init : callable, optional
        ``init(s, size, seed) -> (size, n)``; default :func:`random_sparse_init` (values N(0, 1)).

    Returns
    -------
    ndarray, shape (n_starts, n_params)
    """
    check_model(model)
    s = check_s(s, model.n_params)
    n_starts = check_integer(n_starts, "n_starts", low=1)
    if init is not None:
        check_callable(init, "init", _INIT_SIGNATURE)
    return _starts(model, s, n_starts, seed_entropy(seed), init)


def _starts(model: SoftmaxLayer, s: int, n_starts: int, entropy: list[int], init: Callable | None) -> np.ndarray:
    """``init(s, n_starts, [*entropy, s])`` checked: shape (n_starts, n_params)."""
    if init is None:
        theta0 = random_sparse_init(model.n_params, s, size=n_starts, seed=[*entropy, s])
    else:
        theta0 = check_array(init(s, n_starts, [*entropy, s]), "init(s, size, seed)", ndim=2)
    if theta0.shape != (n_starts, model.n_params):
        raise ValueError(
            f"init(s, size, seed) must return shape ({n_starts}, {model.n_params}) per level, got {theta0.shape}"
        )
    return theta0


def _step_for(
    step: ArrayLike, fun: Callable, model: SoftmaxLayer, split: Split, s: int, n_monte: int, seed: int
) -> tuple[float, float]:
    """Return (γ, L) for one s: L is L̂2s, the bound, or 1/γ for a given number."""
    if isinstance(step, str):
        if step == "l2s":
            est = estimate_l2s(fun, model.n_params, s, n_monte=n_monte, seed=seed)
            return est.step, est.value
        if step == "bound":
            if not isinstance(model, SoftmaxLayer):
                raise ValueError(
                    f"step='bound' is the softmax-layer bound and does not hold for {type(model).__name__}; "
                    "pass step='l2s' or a number"
                )
            bound = smoothness_bound(split.X_train)
            return 1.0 / bound, bound
        raise ValueError(f"step must be 'l2s', 'bound' or a positive number, got {step!r}")
    gamma = float(check_step(step))
    return gamma, 1.0 / gamma


def sparsity_sweep(
    model: SoftmaxLayer,
    split: Split,
    s_values: Iterable[int],
    n_starts: int = 100,
    step: ArrayLike = "l2s",
    max_iter: int = 5000,
    tol: float = 1e-8,
    seed: int = 0,
    n_monte: int = 1000,
    ridge: float = 0.0,
    settle: int | None = None,
    settle_rtol: float = SETTLE_RTOL,
    stability_tol: float = STABILITY_TOL,
    progress: bool = False,
    n_jobs: int = 1,
    init: Callable | None = None,
) -> pd.DataFrame:
    """IHT from many random sparse starts at each sparsity level.

    Parameters
    ----------
    model : SoftmaxLayer (or any model with the same interface)
    split : Split
        Trains on ``split.X_train``; reports accuracy on both parts.
    s_values : iterable of int
        Sparsity levels, each in 1 … n_params.
    n_starts : int, default 100
        Random s-sparse starts per level (by default values N(0, 1) on a uniform random
        support; see ``init``).
    step : "l2s", "bound" or float
        ``"l2s"``: γ = 1/L̂2s from :func:`estimate_l2s` with ``n_monte`` pairs at that s
        (the paper's recipe); ``"bound"``: γ = 1/:func:`smoothness_bound`; a number: that γ.
    max_iter, tol
        Passed to :func:`iht`.
    seed : int, sequence of int, numpy Generator or None
        Starts at level s use ``numpy.random.default_rng([seed, s])`` (``[*seed, s]`` for a
        sequence); the Monte Carlo estimate uses ``seed`` too.  ``None`` draws fresh entropy
        and a Generator gives one integer, which then serve as the seed.
    n_monte : int
    ridge : float
        Optional ``ridge/2 ‖θ‖²`` added to the training loss.
    settle : int or None, default None
        None: every run ends by ``tol``, the budget or the safeguard (the paper's protocol).
        P >= 1: a run also ends, with status ``"settled"``, once it has settled over its last
        P iterations (:func:`ihtlib.iht.settled`; passed to :func:`iht`).
    settle_rtol : float, default 5e-4
        Relative tolerance of the settling rule.
    stability_tol : float, default ``STABILITY_TOL`` (1e-6)
        ``tol`` of :func:`ht_stability`, the same tolerance the book uses everywhere.
    progress : bool
        Show a progress bar over the blocks of runs.
    n_jobs : int, default 1
        Blocks of runs go to this many threads; the table does not depend on it.
    init : callable, optional
        ``init(s, size, seed) -> (size, n)`` s-sparse starts; default
        :func:`random_sparse_init` (values N(0, 1)).  For an MLP pass ``model.init``.

    Returns
    -------
    pandas.DataFrame
        One row per (s, start) with columns ``s, start, step, l2s, loss, train_acc,
        test_acc, nnz, support, n_iter, status, monotone, support_changed_at,
        grad_norm_support, stationary, ht_stable, support_locked, margin, theta``
        (``support`` a tuple of indices, ``theta`` the final parameter vector of shape
        (n,)); the five stability columns are the fields of :func:`ht_stability` at the
        final point with the run's own step (``ht_stable`` is its ``is_ht_stable``).
    """
    check_model(model)
    check_split(split)
    fun = model.objective(split.X_train, split.y_train, ridge=ridge)
    n = model.n_params
    levels = check_levels(s_values, n)
    n_starts = check_integer(n_starts, "n_starts", low=1)
    n_monte = check_integer(n_monte, "n_monte", low=1)
    n_jobs = check_integer(n_jobs, "n_jobs", low=1)
    max_iter = check_integer(max_iter, "max_iter", low=1)
    tol, stability_tol = check_tol(tol), check_tol(stability_tol, "stability_tol")
    settle = None if settle is None else check_integer(settle, "settle", low=1)
    settle_rtol = check_tol(settle_rtol, "settle_rtol")
    check_budget(
        len(levels) * n_starts * n,
        f"{len(levels)} levels x {n_starts} starts of {n} parameters",
        "use fewer starts or levels",
    )
    if init is not None:
        check_callable(init, "init", _INIT_SIGNATURE)
    entropy = seed_entropy(seed)
    seed = entropy[0] if len(entropy) == 1 else entropy
    steps, l2s = zip(*(_step_for(step, fun, model, split, s, n_monte, seed) for s in levels), strict=True)
    theta0 = np.concatenate([_starts(model, s, n_starts, entropy, init) for s in levels])
    s_run, step_run = np.repeat(levels, n_starts), np.repeat(steps, n_starts)
    runs = iht_in_blocks(
        fun,
        theta0,
        s_run,
        step_run,
        max_iter=max_iter,
        tol=tol,
        settle=settle,
        settle_rtol=settle_rtol,
        n_jobs=n_jobs,
        progress=progress,
    )
    theta = runs.theta
    stab = ht_stability(fun, theta, s_run, step_run, tol=stability_tol)
    return pd.DataFrame(
        dict(
            s=s_run,
            start=np.tile(np.arange(n_starts), len(levels)),
            step=step_run,
            l2s=np.repeat(l2s, n_starts),
            loss=model.loss(theta, split.X_train, split.y_train),
            train_acc=model.accuracy(theta, split.X_train, split.y_train),
            test_acc=model.accuracy(theta, split.X_test, split.y_test),
            nnz=np.count_nonzero(theta, axis=1),
            support=[tuple(int(i) for i in np.flatnonzero(th)) for th in theta],
            n_iter=runs.n_iter,
            status=runs.status,
            monotone=runs.monotone,
            support_changed_at=runs.support_changed_at,
            grad_norm_support=stab.grad_norm_support,
            stationary=stab.is_stationary,
            ht_stable=stab.is_ht_stable,
            support_locked=stab.support_locked,
            margin=stab.margin,
            theta=list(theta),
        )
    )


def train_dense(
    model: SoftmaxLayer,
    X: ArrayLike,
    y: ArrayLike,
    step: float | None = None,
    max_iter: int = 5000,
    tol: float = 1e-10,
    ridge: float = 0.0,
    theta0: ArrayLike | None = None,
    settle: int | None = None,
    settle_rtol: float = SETTLE_RTOL,
) -> IHTResult:
    """The dense reference: gradient descent from θ = 0 (IHT with s = n, where H_n is the identity).

    Parameters
    ----------
    model : SoftmaxLayer
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
    step : float, optional
        Defaults to 1 / :func:`smoothness_bound` (X), a step with guaranteed descent.
    max_iter, tol : as in :func:`iht`
    ridge : float
    theta0 : array_like, shape (n,), optional
        Start; default θ = 0 (for an MLP, θ = 0 is a saddle: pass ``model.init(model.n_params)``).
    settle, settle_rtol : as in :func:`iht`
        Pass the sweep's values to train the reference under the same stopping rules.

    Returns
    -------
    IHTResult
        With the same iteration budget as the sparse runs, so losses are comparable.
    """
    check_model(model)
    fun = model.objective(X, y, ridge=ridge)
    if step is None:
        if not isinstance(model, SoftmaxLayer):
            raise ValueError(f"pass a step for {type(model).__name__}: the default 1/bound holds for SoftmaxLayer only")
        step = 1.0 / smoothness_bound(X)
    step = float(check_step(step))
    theta0 = np.zeros(model.n_params) if theta0 is None else check_array(theta0, "theta0")
    if theta0.shape != (model.n_params,):
        raise ValueError(
            f"theta0 must have shape (n_params,) = ({model.n_params},) for {model!r}, got shape {theta0.shape}"
        )
    return iht(fun, theta0, model.n_params, step, max_iter=max_iter, tol=tol, settle=settle, settle_rtol=settle_rtol)


def summarize_sweep(table: pd.DataFrame, columns: Sequence[str] = ("loss", "test_acc")) -> pd.DataFrame:
    """Per-s spread of a sweep: min, 25 %, median, 75 %, max and mean of each column.

    Returns
    -------
    pandas.DataFrame
        Indexed by s, with a two-level column index (column, statistic).
    """
    check_table(table, ["s", *columns])
    stats = {
        "min": "min",
        "q25": lambda v: v.quantile(0.25),
        "median": "median",
        "q75": lambda v: v.quantile(0.75),
        "max": "max",
        "mean": "mean",
    }
    parts = {c: table.groupby("s")[c].agg(list(stats.values())).set_axis(list(stats), axis=1) for c in columns}
    return pd.concat(parts, axis=1)


def epsilon_optimal(
    table: pd.DataFrame, dense_loss: float, eps_values: Iterable[float], statistic: str = "median"
) -> pd.DataFrame:
    """The ε-optimality table: which s reach ``f(θ_s) <= f(θ_dense) + ε``.

    Parameters
    ----------
    table : DataFrame from :func:`sparsity_sweep`
    dense_loss : float
        Training loss of the dense reference at the same budget.
    eps_values : iterable of float
    statistic : {"min", "median"}
        Apply the test to the best run ("min") or the median run at each s.

    Returns
    -------
    pandas.DataFrame
        One row per ε: ``eps``, ``smallest_s`` (None if no level qualifies) and
        ``fraction_of_runs`` (share of the runs at that s within ε; None with it).
    """
    if statistic not in ("min", "median"):
        raise ValueError(f"statistic must be 'min' or 'median', got {statistic!r}")
    check_table(table, ["s", "loss"])
    dense_loss = check_real(dense_loss, "dense_loss")
    if isinstance(eps_values, (str, bytes)) or not isinstance(eps_values, (Iterable, np.ndarray)):
        raise TypeError(f"eps_values must be an iterable of numbers >= 0 such as [0.01, 0.1], got {eps_values!r}")
    eps_values = [check_real(e, "eps", low=0.0) for e in eps_values]
    per_s = table.groupby("s")["loss"].agg(statistic)
    rows = []
    for eps in eps_values:
        ok = per_s[per_s <= dense_loss + eps]
        s_min = int(ok.index.min()) if len(ok) else None
        frac = float((table.loc[table.s == s_min, "loss"] <= dense_loss + eps).mean()) if s_min else None
        rows.append(dict(eps=float(eps), smallest_s=s_min, fraction_of_runs=frac))
    return pd.DataFrame(rows, dtype=object).astype({"eps": float})  # object: keep ints and None
