"""Plotting: the figures of the book, each returned as a matplotlib Figure.

Every function takes an optional ``ax`` (or ``axes``) to draw into and returns the Figure,
so a chapter can caption it and a script can save it.  Three modules, by what they draw:

================================  ============================================================
``ihtlib.plotting.results``       runs and experiments: ``plot_losses``, ``plot_sweep``,
                                  ``plot_ratio_histogram``, ``plot_weights``, ``plot_escape``
                                  (chapters 1, 4, 5, 6, 7, 8, 9, 10)
``ihtlib.plotting.curvature``     chapter 3's intuition figure: ``plot_restricted_curvature``
``ihtlib.plotting.iht_figures``   chapter 5's intuition figures: ``plot_iht_path``,
                                  ``plot_fixed_point_band``
================================  ============================================================

Import them from here (``from ihtlib.plotting import plot_losses``) or as ``il.plot_losses``.
"""

from .curvature import plot_restricted_curvature
from .iht_figures import plot_fixed_point_band, plot_iht_path
from .results import plot_escape, plot_losses, plot_ratio_histogram, plot_sweep, plot_weights

__all__ = [
    "plot_losses",
    "plot_sweep",
    "plot_ratio_histogram",
    "plot_weights",
    "plot_escape",
    "plot_restricted_curvature",
    "plot_iht_path",
    "plot_fixed_point_band",
]
