"""ihtlib.fast: the speed machinery, kept apart from the teaching code.

Every idea module of ``ihtlib`` opens with the *literal* version of its algorithm: a short
function that reads like the chapter's formula.  What makes the library fast (batched
layouts, compaction of finished runs, threads, shifted-softmax bounds, damped-Newton
trials) lives here, in this subpackage, and nowhere else.

Every function in ``ihtlib.fast`` names, in its docstring, the literal function it must
agree with, and an agreement test in ``tests/`` checks it on random inputs (including ties,
per-run s and diverging runs where they apply).  Read the literal function to learn the
algorithm; read this package to learn how it is made fast.
"""
