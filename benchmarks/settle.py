"""The measurement behind the settling rule of ``il.iht(..., settle=P)`` (issue 17).

Run:  python benchmarks/settle.py          (about a minute: chapter 6's sweep, recorded every iteration)

Chapter 6's sweep (IRIS, s = 1…15, 100 starts per level, γ = 1/L̂2s, seed 0) is run for the earlier
budget of 5000 iterations without any early stop, recording at every iteration the support, the
loss and the margin of the HT-stability test of every run.  For several windows P and tolerances
it then applies, after the fact, three candidate rules at the first iteration where they hold:

* ``support``:  the support has not changed for P iterations;
* ``+ loss``:   and the loss changed by at most rtol (relative) over them;
* ``+ margin``: and the HT-stability margin did not shrink by more than rtol (``ihtlib.iht.settled``).

For each it prints how many runs it would stop while their support still changes later (the risk the
rule takes), how many runs would then end with a loss more than 5e-4 above their loss after 5000
iterations, and the share of the R x 5000 iterations it would run (the paper's protocol, which
stops runs only at max_i |Δθ_i| <= 1e-8, runs 91 % of them on this sweep).  Nothing is asserted; the numbers go into
benchmarks/PROFILE.md.
"""

from __future__ import annotations

import time

import numpy as np

import ihtlib as il

BUDGET = 5000


def record(model: il.SoftmaxLayer, split: il.Split) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Losses, support bit masks and margins of every run at every iteration, shapes (R, BUDGET + 1)."""
    fun = model.objective(split.X_train, split.y_train)
    n = model.n_params
    bits = 1 << np.arange(n)
    losses, masks, margins = [], [], []
    for s in range(1, n + 1):
        step = il.estimate_l2s(fun, n, s, n_monte=1000, seed=0).step
        theta = il.sweep_starts(model, s, 100, seed=0)
        f, m, g = np.empty((100, BUDGET + 1)), np.empty((100, BUDGET + 1), dtype=np.int64), np.empty((100, BUDGET + 1))
        for k in range(BUDGET + 1):
            if k:
                theta = il.iht_step(fun, theta, s, step)
            f[:, k] = fun(theta)[0]
            m[:, k] = (theta != 0) @ bits
            g[:, k] = il.ht_stability(fun, theta, s, step).margin
        losses.append(f)
        masks.append(m)
        margins.append(g)
    return np.vstack(losses), np.vstack(masks), np.vstack(margins)


def main() -> None:
    t0 = time.perf_counter()
    split = il.load_iris_split(test_size=0.2, seed=0)
    L, M, G = record(il.SoftmaxLayer(4, 3), split)
    R, K = L.shape[0], L.shape[1] - 1
    changed = M[:, 1:] != M[:, :-1]  # changed[:, k - 1]: the support changed at iteration k
    stable = np.zeros(L.shape, dtype=int)  # iterations since the last change
    for k in range(1, K + 1):
        stable[:, k] = np.where(changed[:, k - 1], 0, stable[:, k - 1] + 1)
    later = np.cumsum(changed[:, ::-1], axis=1)[:, ::-1]  # later[:, k]: changes after iteration k
    final = L[:, K]
    print(f"{R} runs, budget {K}; recorded in {time.perf_counter() - t0:.0f} s")
    print(
        f"{'rule':>9} {'P':>4} {'rtol':>6} | {'stops':>5} {'changes later':>13} {'loss > +5e-4':>12} {'iterations':>10}"
    )
    for P in (20, 50, 100, 200, 500):
        for rtol in (1e-3, 5e-4, 2e-4):
            ok_support = stable >= P
            ok_support[:, :P] = False
            rel = np.full(L.shape, np.inf)
            rel[:, P:] = np.abs(L[:, :-P] - L[:, P:]) / np.abs(L[:, P:])
            ok_loss = ok_support & (rel <= rtol)
            ok_margin = np.zeros(L.shape, dtype=bool)
            ok_margin[:, P:] = G[:, P:] >= G[:, :-P] - rtol * np.abs(G[:, :-P])
            ok_margin &= ok_loss
            for name, ok in (("support", ok_support), ("+ loss", ok_loss), ("+ margin", ok_margin)):
                if name == "support" and rtol != 1e-3:
                    continue  # the support rule has no tolerance
                stops = ok.any(axis=1)
                k = np.where(stops, np.argmax(ok, axis=1), K)
                risky = stops & (later[np.arange(R), np.minimum(k, K - 1)] > 0)
                worse = L[np.arange(R), k] - final > 5e-4
                print(
                    f"{name:>9} {P:4d} {rtol if name != 'support' else float('nan'):6.0e} | {stops.sum():5d} "
                    f"{risky.sum():13d} {worse.sum():12d} {k.sum() / (R * K):14.0%}"
                )


if __name__ == "__main__":
    main()
