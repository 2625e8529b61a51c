"""ihtlib: learning sparse neural networks with iterative hard thresholding.

The library behind the book *Learning a Sparse Neural Network using IHT*.  One module
per idea:

========================  ===================================================
``ihtlib.data``           bundled data sets, stratified split, z-scoring
``ihtlib.model``          ``SoftmaxLayer``: linear layer + softmax + cross-entropy
``ihtlib.thresholding``   ``hard_threshold``, ``hard_threshold_set``, ``support``
``ihtlib.iht``            ``iht``, ``random_sparse_init``, ``ht_stability``
``ihtlib.rss``            ``estimate_l2s``, ``smoothness_bound``, ``Quadratic``
``ihtlib.experiments``    ``sparsity_sweep``, ``train_dense``
``ihtlib.plotting``       the book's figures
========================  ===================================================
"""

from .data import DATASETS, Split, load_iris_split, load_split, standardized_split
from .experiments import epsilon_optimal, sparsity_sweep, summarize_sweep, train_dense
from .iht import IHTResult, StabilityReport, ht_stability, iht, random_sparse_init
from .model import SoftmaxLayer
from .plotting import plot_losses, plot_ratio_histogram, plot_sweep, plot_weights
from .rss import L2sEstimate, Quadratic, estimate_l2s, restricted_smoothness_bound, smoothness_bound
from .thresholding import hard_threshold, hard_threshold_set, support

__version__ = "0.1.0"

__all__ = [
    "DATASETS",
    "Split",
    "load_iris_split",
    "load_split",
    "standardized_split",
    "SoftmaxLayer",
    "hard_threshold",
    "hard_threshold_set",
    "support",
    "IHTResult",
    "StabilityReport",
    "iht",
    "random_sparse_init",
    "ht_stability",
    "L2sEstimate",
    "Quadratic",
    "estimate_l2s",
    "smoothness_bound",
    "restricted_smoothness_bound",
    "sparsity_sweep",
    "train_dense",
    "summarize_sweep",
    "epsilon_optimal",
    "plot_losses",
    "plot_sweep",
    "plot_ratio_histogram",
    "plot_weights",
]
