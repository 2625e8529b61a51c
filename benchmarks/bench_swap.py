"""Swap search after IHT, against the exhaustive optimum where it can be computed ("Closing the gap").

Run:  python benchmarks/bench_swap.py                          IRIS, s = 1 … 8 (chapter 8's sweep)
      python benchmarks/bench_swap.py --starts 20
      python benchmarks/bench_swap.py --data wine --levels 1 2 3 4 5    how far exhaustive search goes (minutes)
      python benchmarks/bench_swap.py --data breast_cancer --levels 2 4 6 8 --no-exhaustive

For each level s: IHT from ``--starts`` of chapter 8's starts (``il.sweep_starts(model, s, 100,
seed=0)[:starts]``, 1000 steps, γ = 1/L̂2s from 1000 pairs), each output refitted on its support;
the swap search starts at the best refitted support.  HTP runs from the same starts, and the
swap search starts at its best support too.  Printed per level:

* ``exh s``: seconds of the exhaustive search of that level alone (``il.best_subset``, every
  support from θ = 0) and its number of supports, unless ``--no-exhaustive`` (the gaps are then
  relative to the best result found); at the end, the seconds of ``il.best_subset_path`` over all
  the levels (each level warm-started from the one below);
* the relative gap in % of IHT + refit, HTP, IHT + swap and HTP + swap;
* moves, refits and seconds of ``swap_search_batched`` from IHT's best support (``--literal``
  also times the literal ``swap_search`` and checks that both take the same path);
* abess's multinomial model at the same number of nonzeros where one exists (it selects whole
  features: (K - 1)(k + 1) nonzeros for k features and K classes with intercepts, (K - 1) k
  without; the better of the two), refitted on its support, if abess is installed.

Times are wall times on a shared machine: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import time
from math import comb

import numpy as np

import ihtlib as il

RIDGE = 1e-8


def abess_refit(model, X, y, s):
    """F* on abess's support with s nonzeros, the better of its fits with and without intercepts, or None.

    abess's multinomial model with k features has (K - 1)(k + 1) nonzeros with its intercepts and
    (K - 1) k without (the last class is its zero reference), as in the chapter.
    """
    try:
        from abess.linear import MultinomialRegression
    except ImportError:
        return None
    K, best = model.n_classes, None
    for intercept in (True, False):
        k = s // (K - 1) - int(intercept)
        if s % (K - 1) or not 1 <= k <= model.n_features:
            continue
        fit = MultinomialRegression(support_size=[k], fit_intercept=intercept).fit(X, y)
        b = np.asarray(fit.intercept_, dtype=float) if intercept else np.zeros(K)
        theta = model.pack(np.asarray(fit.coef_).T, b)
        F = il.minimize_on_supports(model, X, y, theta != 0, ridge=RIDGE).objective[0]
        best = F if best is None else min(best, F)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="iris", choices=sorted(il.DATASETS))
    parser.add_argument("--levels", type=int, nargs="+", default=list(range(1, 9)))
    parser.add_argument("--starts", type=int, default=100)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--no-exhaustive", action="store_true", help="skip the exhaustive search")
    parser.add_argument("--literal", action="store_true", help="also time the literal swap_search")
    args = parser.parse_args()
    split = il.load_split(args.data)
    X, y = split.X_train, split.y_train
    model = il.SoftmaxLayer(X.shape[1], len(split.class_names))
    n = model.n_params
    fun = model.objective(X, y, ridge=RIDGE)
    print(
        f"{args.data}: N = {X.shape[0]}, n = {n} parameters; machine: {os.cpu_count()} cores, numpy "
        f"{np.__version__}, load average {os.getloadavg()[0]:.2f}; IHT: {args.starts} starts, "
        f"{args.max_iter} steps, step 1/L̂2s"
    )
    print(
        f"{'s':>2} {'supports':>9} {'exh s':>8} {'F* (ref)':>9} {'IHT+refit %':>11} {'HTP %':>7} "
        f"{'IHT+swap %':>10} {'HTP+swap %':>10} {'abess %':>8} {'moves':>5} {'refits':>6} {'swap s':>7}"
        + (f" {'literal s':>9} {'same':>5}" if args.literal else "")
    )
    for s in args.levels:
        opt_F, t_exh = None, float("nan")
        if not args.no_exhaustive:
            t0 = time.perf_counter()
            opt_F = il.best_subset(model, X, y, s, ridge=RIDGE).objective
            t_exh = time.perf_counter() - t0
        step = il.estimate_l2s(fun, n, s, n_monte=1000, seed=0).step
        theta0 = il.sweep_starts(model, s, 100, seed=0)[: args.starts]
        run = il.iht(fun, theta0, s, step, max_iter=args.max_iter)
        refit = il.minimize_on_supports(model, X, y, run.theta != 0, ridge=RIDGE)
        htp = il.htp(model, X, y, theta0, s, step, ridge=RIDGE)
        best = tuple(np.flatnonzero(refit.theta[np.argmin(refit.objective)]))
        t0 = time.perf_counter()
        swap = il.swap_search_batched(model, X, y, best, ridge=RIDGE)
        t_swap = time.perf_counter() - t0
        swap_htp = il.swap_search_batched(
            model, X, y, tuple(np.flatnonzero(htp.theta[np.argmin(htp.objective)])), ridge=RIDGE
        )
        found = [refit.objective.min(), htp.objective.min(), swap.objective, swap_htp.objective]
        ab = abess_refit(model, X, y, s)
        ref = opt_F if opt_F is not None else min(found)

        def gap(v, ref=ref):
            return f"{100 * (v / ref - 1):.3f}" if v is not None else "-"

        line = (
            f"{s:>2} {comb(n, s):>9} {t_exh:>8.2f} {ref:>9.5f} {gap(found[0]):>11} {gap(found[1]):>7} "
            f"{gap(found[2]):>10} {gap(found[3]):>10} {gap(ab):>8} {len(swap.path) - 1:>5} {swap.n_refits:>6} "
            f"{t_swap:>7.2f}"
        )
        if args.literal:
            t0 = time.perf_counter()
            lit = il.swap_search(model, X, y, best, ridge=RIDGE)
            line += f" {time.perf_counter() - t0:>9.2f} {str(lit.path == swap.path):>5}"
        print(line, flush=True)
    if not args.no_exhaustive and len(args.levels) > 1:
        t0 = time.perf_counter()
        path = il.best_subset_path(model, X, y, args.levels, ridge=RIDGE)
        print(
            f"best_subset_path over s = {', '.join(map(str, args.levels))} (warm starts from the level below): "
            f"{time.perf_counter() - t0:.2f} s, {sum(r.n_supports for r in path.values())} supports"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
