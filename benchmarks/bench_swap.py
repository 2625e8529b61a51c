"""Swap search from IHT's best support on IRIS, against the exhaustive optimum (s = 1 … 8).

Run:  python benchmarks/bench_swap.py                 (chapter 8's sweep: 100 starts, 1000 IHT steps)
      python benchmarks/bench_swap.py --starts 20

For each s: IHT's best support is the sweep row with the lowest refitted objective (as in
chapter 8); the swap search starts there.  Printed: its gap to the exhaustive optimum F* before
and after the swap search, whether the search reaches the optimal support, its moves, refits and
seconds for the literal ``swap_search`` and for ``swap_search_batched``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import ihtlib as il

RIDGE = 1e-8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=100)
    parser.add_argument("--max-iter", type=int, default=1000)
    args = parser.parse_args()
    split = il.load_iris_split()
    model = il.SoftmaxLayer(4, 3)
    X, y = split.X_train, split.y_train
    levels = list(range(1, 9))
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}; IHT: {args.starts} starts, "
          f"{args.max_iter} steps, step 1/L2s")
    opt = il.best_subset_path(model, X, y, levels, ridge=RIDGE)
    sweep = il.sparsity_sweep(model, split, levels, n_starts=args.starts, max_iter=args.max_iter, seed=0,
                              n_monte=1000, ridge=RIDGE)
    sweep["refit"] = il.minimize_on_supports(model, X, y, np.stack(sweep.theta.to_numpy()) != 0, ridge=RIDGE).objective
    print(f"{'s':>2} {'IHT+refit gap %':>15} {'rank':>9} {'swap gap %':>10} {'optimum':>7} {'moves':>5} "
          f"{'refits':>6} {'literal s':>9} {'batched s':>9} {'agree':>5}")
    for s in levels:
        row = sweep[sweep.s == s].sort_values("refit").iloc[0]
        start = row.support
        t0 = time.perf_counter()
        lit = il.swap_search(model, X, y, start, ridge=RIDGE)
        t1 = time.perf_counter()
        fast = il.swap_search_batched(model, X, y, start, ridge=RIDGE)
        t2 = time.perf_counter()
        F_star = opt[s].objective
        print(f"{s:>2} {100 * (row.refit / F_star - 1):>15.3f} {opt[s].rank_of(start) + 1:>4}/{opt[s].n_supports:<4} "
              f"{100 * (lit.objective / F_star - 1):>10.3f} {str(lit.support == opt[s].support):>7} "
              f"{len(lit.path) - 1:>5} {lit.n_refits:>6} {t1 - t0:>9.2f} {t2 - t1:>9.2f} "
              f"{str(lit.path == fast.path):>5}")


if __name__ == "__main__":
    main()
