"""ihtlib: learning sparse neural networks with iterative hard thresholding.

The library behind the book *Learning a Sparse Neural Network using IHT*.  One module
per idea:

========================  ===================================================
``ihtlib.data``           bundled data sets, stratified split, z-scoring
``ihtlib.model``          ``SoftmaxLayer``: linear layer + softmax + cross-entropy
``ihtlib.mlp``            ``MLP``: the same interface for several layers
``ihtlib.thresholding``   ``hard_threshold``, ``hard_threshold_set``, ``support``
``ihtlib.iht``            ``iht``, ``random_sparse_init``, ``ht_stability``
``ihtlib.rss``            ``estimate_l2s``, ``smoothness_bound``, ``Quadratic``
``ihtlib.experiments``    ``sparsity_sweep``, ``train_dense``
``ihtlib.hessian``        ``softmax_hessian``, ``cross_entropy_hessian`` (chapter 3's formula)
``ihtlib.refit``          ``refit`` (Newton on one support), ``minimize_on_supports`` (a batch)
``ihtlib.exhaustive``     ``best_subset``: the exact optimum over all supports
``ihtlib.baselines``      L1 path, magnitude pruning, feature selection
``ihtlib.htp``            ``htp``: hard thresholding pursuit (IHT's support choice, then a refit)
``ihtlib.estimator``      ``IHTClassifier``: the softmax layer by IHT as a scikit-learn estimator
``ihtlib.plotting``       the book's figures
``ihtlib.reproduce``      ``python -m ihtlib reproduce``: the book's figures as files
``ihtlib.validation``     the checks every public function shares (clear errors)
========================  ===================================================

Bad input raises ``TypeError`` (wrong type) or ``ValueError`` (wrong value) with a message
that names the argument, the value and the fix; an objective whose values overflow raises
``FloatingPointError``; a run that fails numerically says so in its status.
"""

from .baselines import feature_selection, l1_path, magnitude_pruning
from .data import DATASETS, Split, load_iris_split, load_split, standardized_split
from .estimator import IHTClassifier
from .exhaustive import BestSubsetResult, best_subset, best_subset_path
from .experiments import epsilon_optimal, sparsity_sweep, summarize_sweep, train_dense
from .hessian import cross_entropy_hessian, softmax_hessian
from .htp import HTPResult, htp
from .iht import STABILITY_TOL, IHTResult, StabilityReport, ht_stability, iht, random_sparse_init
from .mlp import MLP
from .model import SoftmaxLayer
from .plotting import plot_escape, plot_losses, plot_ratio_histogram, plot_sweep, plot_weights
from .refit import RestrictedFit, minimize_on_supports, refit
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
    "MLP",
    "IHTClassifier",
    "hard_threshold",
    "hard_threshold_set",
    "support",
    "IHTResult",
    "StabilityReport",
    "iht",
    "random_sparse_init",
    "ht_stability",
    "STABILITY_TOL",
    "L2sEstimate",
    "Quadratic",
    "estimate_l2s",
    "smoothness_bound",
    "restricted_smoothness_bound",
    "sparsity_sweep",
    "train_dense",
    "summarize_sweep",
    "epsilon_optimal",
    "BestSubsetResult",
    "RestrictedFit",
    "best_subset",
    "best_subset_path",
    "minimize_on_supports",
    "softmax_hessian",
    "cross_entropy_hessian",
    "refit",
    "HTPResult",
    "feature_selection",
    "htp",
    "l1_path",
    "magnitude_pruning",
    "plot_losses",
    "plot_sweep",
    "plot_ratio_histogram",
    "plot_weights",
    "plot_escape",
]
