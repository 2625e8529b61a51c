"""Speed figures of ihtlib, measured in one run on this machine.

Run:  python benchmarks/bench.py            (about a minute)
      python benchmarks/bench.py --quick    (smaller sweep, a few seconds)

Prints
  1. batched IHT throughput on IRIS (B = 100 starts, s = 5, float64), in run-steps/s;
  2. the floor: the time of only exp over the logits and the two matrix products of a
     step, for the same shapes, and the ratio throughput / floor (target >= 0.8);
  3. a plain loop of single runs for contrast;
  4. Monte Carlo L2s estimation with n_monte = 10,000 (target <= 1 s);
  5. the full sweep s = 1…15 × 100 starts × 5000 iterations (target <= 30 s).
Each timing is the best of several repeats (the machine may be shared).  With ``--cpu`` the
timings are the process's CPU time instead of wall time: on a shared machine other people's jobs
inflate wall time far more than CPU time (the load average is printed for the record).
To compare two versions of ihtlib run this script against each, alternately, for example
``PYTHONPATH=/path/to/old/checkout python benchmarks/bench.py --quick --cpu``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np

import ihtlib as il

CLOCK = time.perf_counter  # time.process_time with --cpu


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Smallest time (wall, or CPU with --cpu) of ``repeat`` calls of ``fn``, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller sweep (s = 1…15 × 100 starts × 500 its)")
    parser.add_argument("--cpu", action="store_true", help="time with the process's CPU time instead of wall time")
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time

    split = il.load_iris_split()
    model = il.SoftmaxLayer(4, 3)
    fun = model.objective(split.X_train, split.y_train)
    bound = il.smoothness_bound(split.X_train)
    B, s, iters = 100, 5, 1000
    theta0 = il.random_sparse_init(model.n_params, s, size=B, seed=0)
    clock = "CPU time" if args.cpu else "wall time"
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}, load {os.getloadavg()[0]:.2f}; {clock}")
    print(f"ihtlib: {il.__file__}")

    # 1. batched IHT (tol=0 so that every run does every iteration)
    t_iht = best_of(lambda: il.iht(fun, theta0, s, 1.0 / bound, max_iter=iters, tol=0.0))
    per_step = t_iht / iters
    print(f"batched IHT      B={B}, s={s}: {B * iters / t_iht:12,.0f} run-steps/s  ({per_step * 1e6:6.1f} µs/step)")

    # 2. the floor: exp over the logits and the two matrix products, same shapes
    K, N, da = 3, split.X_train.shape[0], split.X_train.shape[1] + 1
    rng = np.random.default_rng(0)
    Wa = rng.normal(size=(K * B, da)) * 0.3
    XaT = np.ascontiguousarray(np.hstack([split.X_train, np.ones((N, 1))]).T)
    Xa = np.ascontiguousarray(XaT.T)

    def floor_step():
        Z = Wa @ XaT
        np.exp(Z, out=Z)
        return Z @ Xa

    reps = 1000
    t_floor = best_of(lambda: [floor_step() for _ in range(reps)]) / reps
    print(f"floor            exp + 2 matmuls:   {B / t_floor:12,.0f} run-steps/s  ({t_floor * 1e6:6.1f} µs/step)")
    print(f"ratio            throughput / floor: {t_floor / per_step:.2f}   (target >= 0.8)")

    # 3. single runs in a plain loop
    n_single = 10
    t_single = best_of(
        lambda: [il.iht(fun, theta0[i], s, 1.0 / bound, max_iter=iters, tol=0.0) for i in range(n_single)], repeat=3
    )
    print(f"single-run loop  B=1 × {n_single}:       {n_single * iters / t_single:12,.0f} run-steps/s")

    # 4. Monte Carlo L2s
    t_mc = best_of(lambda: il.estimate_l2s(fun, model.n_params, s, n_monte=10_000, seed=0), repeat=3)
    print(f"estimate_l2s     n_monte=10,000:    {t_mc:8.3f} s   (target <= 1 s)")

    # 5. the full sweep
    max_iter = 500 if args.quick else 5000
    t0 = CLOCK()
    table = il.sparsity_sweep(model, split, range(1, 16), n_starts=100, max_iter=max_iter, seed=0)
    t_sweep = CLOCK() - t0
    run_steps = int(table.n_iter.sum())
    print(
        f"sparsity sweep   s=1…15 × 100 × {max_iter}: {t_sweep:8.2f} s   "
        f"({run_steps:,} run-steps done; runs stop early when converged)   (target <= 30 s)"
    )


if __name__ == "__main__":
    main()
