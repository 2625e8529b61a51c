"""Timing of the exhaustive best-subset search on IRIS (all 32,767 supports, s = 1…15).

Run:  python benchmarks/bench_exhaustive.py            (best of 3 repeats)
      python benchmarks/bench_exhaustive.py --repeat 1

Prints the wall time of ``best_subset_path`` over every level (target <= 30 s on a
2-core machine), with n_jobs = 1 and 2, and the Newton accuracy reached.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import ihtlib as il
from ihtlib.exhaustive import best_subset_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    split = il.load_iris_split()
    model = il.SoftmaxLayer(4, 3)
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}")
    for n_jobs in (1, 2):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            path = best_subset_path(model, split.X_train, split.y_train, ridge=1e-8, n_jobs=n_jobs)
            times.append(time.perf_counter() - t0)
        n_sup = sum(r.n_supports for r in path.values())
        n_conv = sum(r.n_converged for r in path.values())
        worst = max(r.max_decrement for r in path.values())
        print(
            f"n_jobs={n_jobs}: {n_sup} supports in {min(times):.2f} s (best of {args.repeat}); "
            f"{n_conv} solved to a Newton decrement <= 1e-20 (largest {worst:.1e})"
        )


if __name__ == "__main__":
    main()
