"""Mini-batch IHT against full-batch IHT on digits at equal passes: the wide sweeps behind chapter 13.

Chapter 13 (``book/13-minibatch-iht.ipynb``) runs 3 starts for 16 passes so that it executes in
seconds; this script runs the same experiment with more starts, more passes, more batch sizes and
more steps, and prints every table the chapter's figures are drawn from.

Setting (as in the chapter): the softmax layer on digits (n = 650), s = 65, the step
γ̂ = 1/L̂2s of chapter 9 (``estimate_l2s`` with 200 Monte Carlo pairs, seed 0), starts
``random_sparse_init(n, s, seed=[r, s])`` for r = 0 … S-1 (the same starts for every method),
the shuffles of run (b, r) seeded by ``[b, r]``.  Full-batch IHT is ``il.iht`` with ``tol=0`` for
T iterations; mini-batch IHT is ``il.minibatch_iht_runs`` for T epochs: both cost T passes.

Printed:

1. the loss after T passes, mean [min, max] over the starts, for every step and batch size;
2. the noise floor: the plateau (mean loss over the second half of the passes) minus the
   full-batch loss after T passes (same start, same step), its log-log slope against b where
   every start has a positive excess, and the plateau against γ/b (equal γ/b, equal plateau?);
3. at γ̂: the pass in which the support last changed (median) and the overlap of the final
   support with full-batch IHT's (mean, of 65);
4. at b = 32 and γ̂: constant step, decreasing steps γ/(1 + k/k₀) with k₀ = 1, 5 and 20 epochs'
   worth of updates, growing batches with ρ = 1.1, 1.15 and 1.3: final loss, last support
   change, test accuracy, updates;
5. speed: seconds per run of the literal ``il.minibatch_iht`` and of ``il.minibatch_iht_runs``
   (R runs at once) on the same runs, and the largest difference of their iterates.

Run:  python benchmarks/bench_minibatch.py                 T = 100 passes, 5 starts (a few minutes)
      python benchmarks/bench_minibatch.py --passes 40 --starts 3
      python benchmarks/bench_minibatch.py --quick           T = 16, 3 starts: the chapter's runs
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ihtlib as il

BATCHES = (8, 16, 32, 64, 128, 256, 512, 1024)


def setting():
    split = il.load_split("digits", test_size=0.2, seed=0)
    model = il.SoftmaxLayer(split.n_features, split.n_classes)
    fun = model.objective(split.X_train, split.y_train)
    n, s = model.n_params, 65
    l2s = il.estimate_l2s(fun, n, s, n_monte=200, seed=0)
    steps = {
        "1/L̂": l2s.step,
        "1/(2L̂)": l2s.step / 2,
        "1/(4L̂)": l2s.step / 4,
        "1/bound": 1 / il.smoothness_bound(split.X_train),
    }
    return split, model, fun, n, s, steps


def cell(v: np.ndarray, fmt: str = ".3f") -> str:
    return f"{np.mean(v):{fmt}} [{np.min(v):{fmt}}, {np.max(v):{fmt}}]"


def main(passes: int, n_starts: int, batches: tuple[int, ...]) -> None:
    split, model, fun, n, s, steps = setting()
    X, y = split.X_train, split.y_train
    N, T, starts_r = len(y), passes, range(n_starts)
    theta0 = np.stack([il.random_sparse_init(n, s, seed=[r, s]) for r in starts_r])
    starts = np.tile(theta0, (len(steps), 1))  # row j * S + r: step j, start r
    gammas = np.repeat(list(steps.values()), n_starts)
    shape = (len(steps), n_starts)
    print(f"digits: N = {N}, n = {n}, s = {s}, T = {T} passes, {n_starts} starts; steps "
          + ", ".join(f"{k} = {v:.3g}" for k, v in steps.items()) + "\n")

    t = time.perf_counter()
    full = il.iht(fun, starts, s, gammas, max_iter=T, tol=0.0)
    losses = {N: full.losses.reshape(*shape, -1)}
    thetas = {N: full.theta.reshape(*shape, n)}
    changed = {N: full.support_changed_at.reshape(shape)}
    for b in batches:
        r = il.minibatch_iht_runs(model, X, y, starts, s, gammas, b, T, [[b, i] for i in starts_r] * len(steps))
        losses[b], thetas[b] = r.losses.reshape(*shape, -1), r.theta.reshape(*shape, n)
        changed[b] = r.support_changed_at.reshape(shape)
    print(f"(all runs: {time.perf_counter() - t:.1f} s)\n")
    cols = (*batches, N)
    name = {b: ("full" if b == N else f"b = {b}") for b in cols}

    print(f"1. loss after {T} passes, mean [min, max] over {n_starts} starts")
    print(f"{'step':<10}" + "".join(f"{name[b]:>24}" for b in cols))
    for j, step in enumerate(steps):
        print(f"{step:<10}" + "".join(f"{cell(losses[b][j, :, -1]):>24}" for b in cols))

    half = slice(T // 2 + 1, T + 1)
    plateau = {b: L[:, :, half].mean(axis=2) for b, L in losses.items()}
    print(f"\n2. noise floor: plateau (mean loss over passes {T // 2 + 1}-{T}) minus full batch after {T} passes")
    print(f"{'step':<10}" + "".join(f"{name[b]:>24}" for b in batches) + f"{'log-log slope':>16}")
    for j, step in enumerate(steps):
        ex = np.array([plateau[b][j] - losses[N][j, :, -1] for b in batches])  # (batch, start)
        ok = [k for k in range(len(batches)) if (ex[k] > 0).all()]
        slope = (f"{np.polyfit(np.log(np.array(batches)[ok]), np.log(ex[ok].mean(axis=1)), 1)[0]:.2f} "
                 f"(b <= {batches[ok[-1]]})") if len(ok) >= 2 else "–"
        print(f"{step:<10}" + "".join(f"{cell(e, '.3f'):>24}" for e in ex) + f"{slope:>16}")
    print("   the plateau against γ/b (mean over starts):")
    for j, (step, gamma) in enumerate(steps.items()):
        print(f"   {step:<9}" + ", ".join(f"γ/b = {gamma / b:.3g}: {plateau[b][j].mean():.3f}" for b in batches))

    print(f"\n3. support at γ = 1/L̂: last change (pass; {T} = still changing), overlap with full batch (of {s})")
    S_full = thetas[N][0] != 0
    cross = [int((S_full[p] & S_full[q]).sum()) for p in starts_r for q in starts_r if p < q]
    for b in cols:
        overlap = ((thetas[b][0] != 0) & S_full).sum(axis=1)
        print(f"   {name[b]:<9} last change median {np.median(changed[b][0]):5.0f} "
              f"(still changing: {int(np.sum(changed[b][0] == T))} of {n_starts}), overlap {cell(overlap, '.1f')}")
    print(f"   full-batch supports of different starts overlap in {min(cross)}-{max(cross)} of {s}" if cross else "")

    print("\n4. schedules at b = 32, γ = 1/L̂ (same shuffles as the constant-step runs)")
    per_epoch = -(-N // 32)
    seeds = [[32, i] for i in starts_r]
    variants = {"constant": {}}
    variants.update({f"decreasing, k0 = {e} epochs": {"step_schedule": float(e * per_epoch)} for e in (1, 5, 20)})
    variants.update({f"growing, rho = {rho}": {"batch_growth": rho} for rho in (1.1, 1.15, 1.3)})
    for label, options in variants.items():
        r = il.minibatch_iht_runs(model, X, y, theta0, s, steps["1/L̂"], 32, T, seeds, **options)
        acc = 100 * model.accuracy(r.theta, split.X_test, split.y_test)
        print(f"   {label:<28} loss {cell(r.losses[:, -1])}  last change {np.median(r.support_changed_at):4.0f}  "
              f"test acc {cell(acc, '.1f')} %  updates {r.n_steps}")
    acc = 100 * model.accuracy(thetas[N][0], split.X_test, split.y_test)
    print(f"   {'full batch':<28} loss {cell(losses[N][0, :, -1])}  last change {np.median(changed[N][0]):4.0f}  "
          f"test acc {cell(acc, '.1f')} %  updates {T}")

    print("\n5. speed, b = 32, γ = 1/L̂, 5 epochs: the literal minibatch_iht run by run against minibatch_iht_runs")
    t = time.perf_counter()
    literal = [il.minibatch_iht(model, X, y, theta0[i], s, steps["1/L̂"], 32, 5, seed=seeds[i]) for i in starts_r]
    t_lit = (time.perf_counter() - t) / n_starts
    t = time.perf_counter()
    batched = il.minibatch_iht_runs(model, X, y, theta0, s, steps["1/L̂"], 32, 5, seeds)
    t_fast = (time.perf_counter() - t) / n_starts
    diff = max(float(np.abs(batched.thetas[i] - literal[i].thetas).max()) for i in starts_r)
    print(f"   literal {t_lit:.3f} s per run, minibatch_iht_runs {t_fast:.3f} s per run ({n_starts} runs at once): "
          f"{t_lit / t_fast:.1f}x; largest difference of the iterates {diff:.1e}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=100, help="T, the budget in passes (default 100)")
    parser.add_argument("--starts", type=int, default=5, help="number of random starts (default 5)")
    parser.add_argument("--quick", action="store_true", help="the chapter's runs: T = 16, 3 starts, b = 16 … 512")
    args = parser.parse_args()
    if args.quick:
        main(16, 3, (16, 32, 64, 128, 512))
    else:
        main(args.passes, args.starts, BATCHES)
