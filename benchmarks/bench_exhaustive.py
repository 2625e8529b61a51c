"""Timing of the exhaustive best-subset search on IRIS (all 32,767 supports, s = 1…15).

Run:  python benchmarks/bench_exhaustive.py            (best of 3 repeats)
      python benchmarks/bench_exhaustive.py --repeat 1

Prints the wall time of ``best_subset_path`` over every level (target <= 30 s on a
2-core machine), with n_jobs = 1 and 2, with the warm starts from each support's best
subset (the default) and from θ = 0 (``warm_start=False``, the search before issue 17),
the Newton accuracy reached, and how far the two searches' results are apart.
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
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}, load average {os.getloadavg()[0]:.2f}")
    paths = {}
    for warm_start in (True, False):
        for n_jobs in (1, 2):
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                path = best_subset_path(
                    model, split.X_train, split.y_train, ridge=1e-8, n_jobs=n_jobs, warm_start=warm_start
                )
                times.append(time.perf_counter() - t0)
            paths[warm_start] = path
            n_sup = sum(r.n_supports for r in path.values())
            n_conv = sum(r.n_converged for r in path.values())
            worst = max(r.max_decrement for r in path.values())
            print(
                f"warm_start={warm_start!s:5} n_jobs={n_jobs}: {n_sup} supports in {min(times):.2f} s "
                f"(best of {args.repeat}); {n_conv} solved to a Newton decrement <= 1e-20 (largest {worst:.1e})"
            )
    warm, cold = paths[True], paths[False]
    d_obj = max(np.abs(warm[s].all_objectives - cold[s].all_objectives).max() for s in warm)
    d_theta = max(np.abs(warm[s].all_thetas - cold[s].all_thetas).max() for s in warm)
    same = all(warm[s].support == cold[s].support for s in warm)
    print(f"warm vs cold: same optimal supports {same}; objectives within {d_obj:.0e}, minimisers within {d_theta:.0e}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
