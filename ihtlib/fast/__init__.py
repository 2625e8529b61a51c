"""The speed machinery of ``ihtlib``, kept apart from the algorithms the chapters teach.

Each idea module of ``ihtlib`` (``model``, ``iht``, ``rss``, ``refit``, …) opens with the
literal version of its algorithm: a short function that reads like the chapter's formula.
This subpackage holds what makes the library fast enough for the sweeps: batched layouts,
compaction of the runs that stopped, threading, shifted-softmax bounds, damped-Newton
trials.  Every function here names, in its docstring, the literal function it must agree
with, and an agreement test checks it on random inputs (``tests/test_fast_*.py``: ties,
per-run sparsity levels and diverging runs included where they apply).

A newcomer can skip this package: the literal functions define what the library computes.
"""
