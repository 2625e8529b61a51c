"""ihtlib: learning sparse neural networks with iterative hard thresholding.

The library behind the book *Learning a Sparse Neural Network using IHT*.  One module
per idea; each opens with the literal version of its algorithm (a short function that reads
like the chapter's formula), and the speed machinery lives apart in ``ihtlib.fast``:

========================  ===================================================
``ihtlib.data``           bundled data sets, stratified split, z-scoring; ``planted_problem``
``ihtlib.model``          ``SoftmaxLayer``: linear layer + softmax + cross-entropy
``ihtlib.mlp``            ``MLP``: the same interface for several layers; ``mlp_loss_and_grad``
``ihtlib.thresholding``   ``hard_threshold``, ``hard_threshold_set``, ``support``, ``random_sparse_init``
``ihtlib.iht``            ``iht_step``, ``iht_loop`` (Algorithm 5.1, literally), ``iht``
``ihtlib.minibatch``      ``minibatch_iht``: stochastic IHT with mini-batches drawn per epoch, literally;
                          ``minibatch_iht_runs``: R runs at once (fast: ``ihtlib.fast.minibatch``)
``ihtlib.stability``      ``ht_stability``: fixed point, HT-stable or HT-unstable (chapter 5)
``ihtlib.rss``            ``gradient_ratio`` (one pair), ``estimate_l2s``, ``smoothness_bound``, ``Quadratic``
``ihtlib.experiments``    ``sparsity_sweep``, ``sweep_starts``, ``train_dense``
``ihtlib.hessian``        ``cross_entropy_hessian`` (chapter 3's formula), ``softmax_hessian``
``ihtlib.refit``          ``refit`` (Newton on one support), ``minimize_on_supports`` (a batch)
``ihtlib.exhaustive``     ``best_subset``: the exact optimum over all supports
``ihtlib.baselines``      L1 path, magnitude pruning, feature selection
``ihtlib.htp``            ``htp``: hard thresholding pursuit (IHT's support choice, then a refit)
``ihtlib.swap``           ``swap_search`` (swap one coordinate, refit), ``swap_search_batched``, ``swap_graph``
``ihtlib.estimator``      ``IHTClassifier``: the softmax layer by IHT as a scikit-learn estimator;
                          ``SparsitySearchCV``: GridSearchCV over its s, the levels of a fold batched
``ihtlib.plotting``       the book's figures
``ihtlib.reproduce``      ``python -m ihtlib reproduce``: the book's figures as files
``ihtlib.validation``     the checks every public function shares (clear errors)
``ihtlib.fast``           the speed layer: batched, compacted, threaded; tested against the literal versions
========================  ===================================================

Bad input raises ``TypeError`` (wrong type) or ``ValueError`` (wrong value) with a message
that names the argument, the value and the fix; an objective whose values overflow raises
``FloatingPointError``; a run that fails numerically says so in its status.
"""

from .baselines import feature_selection, l1_path, magnitude_pruning
from .data import DATASETS, PlantedProblem, Split, load_iris_split, load_split, planted_problem, standardized_split
from .estimator import IHTClassifier, SparsitySearchCV
from .exhaustive import BestSubsetResult, best_subset, best_subset_path
from .experiments import epsilon_optimal, sparsity_sweep, summarize_sweep, sweep_starts, train_dense
from .hessian import cross_entropy_hessian, softmax_hessian
from .htp import HTPResult, htp
from .iht import IHTResult, iht, iht_loop, iht_step
from .minibatch import MiniBatchResult, minibatch_iht, minibatch_iht_runs
from .mlp import MLP, mlp_loss_and_grad
from .model import SoftmaxLayer
from .plotting import (
    plot_escape,
    plot_fixed_point_band,
    plot_iht_path,
    plot_losses,
    plot_ratio_histogram,
    plot_restricted_curvature,
    plot_sweep,
    plot_weights,
)
from .refit import RestrictedFit, minimize_on_supports, refit
from .rss import L2sEstimate, Quadratic, estimate_l2s, gradient_ratio, restricted_smoothness_bound, smoothness_bound
from .stability import STABILITY_TOL, StabilityReport, ht_stability
from .swap import SwapGraph, SwapResult, best_swap, swap_graph, swap_search, swap_search_batched
from .thresholding import hard_threshold, hard_threshold_set, random_sparse_init, support

__version__ = "0.1.0"

__all__ = [
    "DATASETS",
    "Split",
    "load_iris_split",
    "load_split",
    "standardized_split",
    "PlantedProblem",
    "planted_problem",
    "SoftmaxLayer",
    "MLP",
    "mlp_loss_and_grad",
    "IHTClassifier",
    "SparsitySearchCV",
    "hard_threshold",
    "hard_threshold_set",
    "support",
    "random_sparse_init",
    "IHTResult",
    "iht",
    "iht_step",
    "iht_loop",
    "MiniBatchResult",
    "minibatch_iht",
    "minibatch_iht_runs",
    "StabilityReport",
    "ht_stability",
    "STABILITY_TOL",
    "L2sEstimate",
    "Quadratic",
    "estimate_l2s",
    "gradient_ratio",
    "smoothness_bound",
    "restricted_smoothness_bound",
    "sparsity_sweep",
    "sweep_starts",
    "train_dense",
    "summarize_sweep",
    "epsilon_optimal",
    "softmax_hessian",
    "cross_entropy_hessian",
    "RestrictedFit",
    "refit",
    "minimize_on_supports",
    "BestSubsetResult",
    "best_subset",
    "best_subset_path",
    "HTPResult",
    "htp",
    "SwapResult",
    "swap_search",
    "swap_search_batched",
    "best_swap",
    "SwapGraph",
    "swap_graph",
    "feature_selection",
    "l1_path",
    "magnitude_pruning",
    "plot_losses",
    "plot_sweep",
    "plot_ratio_histogram",
    "plot_weights",
    "plot_escape",
    "plot_iht_path",
    "plot_fixed_point_band",
    "plot_restricted_curvature",
]
