"""The speed layer of ihtlib: batched, compacted, threaded versions of the literal algorithms.

Every idea module of :mod:`ihtlib` opens with the **literal** version of its algorithm, a
short function that reads like the chapter's formula (names from the math, NumPy only, no
tricks).  The code here computes the same numbers faster: many problems at once in one
layout, finished rows compacted away, blocks on threads, shifts that avoid overflow and
cancellation, Newton step trials.  Nothing here is needed to understand the book.

Every function in this package names, in its docstring, the literal function it must agree
with, and a test in ``tests/test_fast_*.py`` or ``tests/test_refit.py`` checks the agreement on
random inputs.
"""
