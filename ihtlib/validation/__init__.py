"""Validation: the checks the public functions of ``ihtlib`` share.

Every check returns the value in the form the library computes with (an ``int``, a
``float``, a float64 array, a ``numpy.random.Generator``) or raises

* ``TypeError`` when the value has the wrong type (a bool or a float where an integer
  goes, a string where a number goes, an array of complex numbers), and
* ``ValueError`` when the type is right but the value is not (out of range, NaN or
  infinite, the wrong shape, empty, too large to compute with).

Each message names the argument, shows the value and says what to pass instead.

The checks live in three short files; import them from here:

=================================  ===========================================================
``ihtlib.validation.scalars``      ``check_integer``, ``check_real``, ``check_tol``, ``check_step``,
                                   ``check_s``, ``check_s_per_row``
``ihtlib.validation.arrays``       ``check_array``, ``check_X``, ``check_Xy``, ``check_theta``
``ihtlib.validation.limits``       ``check_seed``, ``seeded_batch``, ``seed_entropy``, ``check_budget``,
                                   ``check_callable`` (functions passed in: ``fun``, ``init``),
                                   ``check_combinations`` (guards before hours of work or GBs of
                                   memory: ``MAX_BYTES``, ``MAX_PROBLEMS``), ``check_levels``,
                                   ``check_model``, ``check_split``, ``check_table``
=================================  ===========================================================

Integers follow ``numbers.Integral`` (``bool`` refused), real numbers ``numbers.Real``
(``bool`` refused), seeds ``numpy.random.default_rng`` (like scikit-learn's
``check_random_state``, a Generator passed in is used as it is).
"""

from .arrays import check_array, check_theta, check_X, check_Xy
from .limits import (
    MAX_BYTES,
    MAX_PROBLEMS,
    check_budget,
    check_callable,
    check_combinations,
    check_levels,
    check_model,
    check_seed,
    check_split,
    check_table,
    seed_entropy,
    seeded_batch,
)
from .scalars import check_integer, check_real, check_s, check_s_per_row, check_step, check_tol

__all__ = [
    "MAX_BYTES",
    "MAX_PROBLEMS",
    "check_array",
    "check_budget",
    "check_callable",
    "check_combinations",
    "check_integer",
    "check_levels",
    "check_model",
    "check_real",
    "check_s",
    "check_s_per_row",
    "check_seed",
    "check_split",
    "check_step",
    "check_table",
    "check_theta",
    "check_tol",
    "check_X",
    "check_Xy",
    "seed_entropy",
    "seeded_batch",
]
