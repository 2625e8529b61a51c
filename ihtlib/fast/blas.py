"""One BLAS thread for the fast layer's small matrix products.

The products of IHT, of the Newton refits, of mini-batch IHT and of an ``IHTClassifier`` fit are
small ((B·K, d+1) by (d+1, N) at most): a second BLAS thread only contends for the cores (a
B = 750 IHT batch ran 10 times slower with two OpenBLAS threads on a busy machine; on wine,
``estimate_l2s`` with 1000 pairs took 13 ms of CPU with one thread against 29 ms with two, for
the same value).  Every such caller wraps its work in :func:`one_blas_thread`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cache

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]


@cache
def _controller() -> ThreadpoolController:
    # Scanning the loaded libraries is slow; do it once, at the first use (after ihtlib, NumPy and
    # SciPy are all imported, so every BLAS they load is seen).
    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager:
    """A context manager: BLAS limited to one thread inside the ``with`` block, restored after."""
    return _controller().limit(limits=1, user_api="blas")
