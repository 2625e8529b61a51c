"""Mini-batch IHT against full-batch IHT on digits at equal gradient evaluations (issue 14).

The softmax layer on digits (n = 650 parameters), s = 65 (10 % of n), the step γ = 1/L̂2s of
chapter 9 (``estimate_l2s`` with 200 Monte Carlo pairs, seed 0).  Full-batch IHT
(``il.iht_loop``, T iterations) against ``il.minibatch_iht`` at batch sizes 32, 128 and 512
for T epochs: one epoch uses every sample once, so both cost T full passes of gradient
evaluations.  Mini-batch runs use the same γ, constant or decreasing
(γ_k = γ / (1 + k/k₀) with k₀ = 5 epochs' worth of updates).

For each seed (0, 1, 2) the start is ``random_sparse_init(n, s, seed=[seed, s])`` (the same
start for every method) and the mini-batch shuffles use the same seed.  Printed: mean and
spread (min–max) over the seeds of the training loss and test accuracy after 10 and after T
passes, the epoch in which the support last changed, and the seconds per run.

Run:  python benchmarks/bench_minibatch.py [T]      (default T = 100; about a minute on 2 cores)
"""

from __future__ import annotations

import sys
import time

import numpy as np

import ihtlib as il

SEEDS = (0, 1, 2)
BATCHES = (32, 128, 512)
EARLY = 10  # the early budget, in passes


def runs(T: int):
    split = il.load_split("digits")
    X, y, Xt, yt = split.X_train, split.y_train, split.X_test, split.y_test
    model = il.SoftmaxLayer(split.n_features, split.n_classes)
    fun = model.objective(X, y)
    n = model.n_params
    s = round(0.1 * n)
    gamma = il.estimate_l2s(fun, n, s, n_monte=200, seed=0).step
    print(f"digits: N = {len(y)} training / {len(yt)} test samples, n = {n}, s = {s}, γ = 1/L̂2s = {gamma:.3g}, "
          f"T = {T} passes, seeds {SEEDS}\n")
    rows = {}

    def record(name, seed, thetas, losses, changed, seconds):
        rows.setdefault(name, []).append(
            (losses[EARLY], model.accuracy(thetas[EARLY], Xt, yt), losses[T], model.accuracy(thetas[T], Xt, yt),
             changed, seconds)
        )

    for seed in SEEDS:
        theta0 = il.random_sparse_init(n, s, seed=[seed, s])
        t = time.perf_counter()
        thetas, losses = il.iht_loop(fun, theta0, s, gamma, max_iter=T, tol=0.0)
        seconds = time.perf_counter() - t
        supports = [il.support(th) for th in thetas]
        changed = max((k for k in range(1, len(supports)) if supports[k] != supports[k - 1]), default=0)
        thetas = np.vstack([thetas, np.repeat(thetas[-1:], T + 1 - len(thetas), axis=0)])  # if it stopped early
        losses = np.append(losses, np.repeat(losses[-1], T + 1 - len(losses)))
        record("full batch (b = N)", seed, thetas, losses, changed, seconds)
        for b in BATCHES:
            per_epoch = -(-len(y) // b)
            for label, schedule in (("γ constant", None), ("γ decreasing", 5.0 * per_epoch)):
                t = time.perf_counter()
                r = il.minibatch_iht(model, X, y, theta0, s, gamma, b, T, seed=seed, step_schedule=schedule)
                record(f"b = {b}, {label}", seed, r.thetas, r.losses, r.support_changed_at, time.perf_counter() - t)
    return rows


def main(T: int = 100) -> None:
    rows = runs(T)
    cols = [f"loss @{EARLY}", f"test acc @{EARLY} (%)", f"loss @{T}", f"test acc @{T} (%)", "support last changed",
            "seconds"]
    head = f"{'method':<28}" + "".join(f"{c:>26}" for c in cols)
    print(head)
    print("-" * len(head))
    for name, values in rows.items():
        v = np.array(values, dtype=float)
        v[:, [1, 3]] *= 100
        cells = []
        for j, c in enumerate(cols):
            fmt = ".0f" if c == "support last changed" else (".2f" if "seconds" in c or "acc" in c else ".4f")
            cells.append(f"{v[:, j].mean():{fmt}} [{v[:, j].min():{fmt}}, {v[:, j].max():{fmt}}]")
        print(f"{name:<28}" + "".join(f"{c:>26}" for c in cells))
    print("\nmean [min, max] over the seeds; 'support last changed': the last epoch (= pass, = full-batch iteration)"
          " in which an update changed the support; T means it was still changing at the end.")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
