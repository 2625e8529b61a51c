"""The one finite-difference helper of the test suite (import it as ``from finite_differences import ...``).

Central differences, error O(h²): with h = 1e-5 and smooth objectives of order one the
error is about 1e-10 relative, far below the 1e-6 the tests allow, and far above rounding.
"""

import numpy as np


def fd_gradient(loss, theta, h=1e-5):
    """∇f(θ) by central differences of ``loss(θ) -> float``; θ of shape (n,), returns (n,)."""
    theta = np.asarray(theta, dtype=float)
    g = np.empty(theta.size)
    for i in range(theta.size):
        e = np.zeros(theta.size)
        e[i] = h
        g[i] = (loss(theta + e) - loss(theta - e)) / (2 * h)
    return g


def fd_hessian(grad, theta, h=1e-5):
    """∇²f(θ) by central differences of ``grad(θ) -> (n,)``, symmetrised; returns (n, n)."""
    theta = np.asarray(theta, dtype=float)
    n = theta.size
    H = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        H[j] = (grad(theta + e) - grad(theta - e)) / (2 * h)
    return 0.5 * (H + H.T)


def relative_error(approx, exact):
    """‖approx − exact‖ / ‖exact‖ (the norm of the flattened arrays)."""
    return float(np.linalg.norm(np.ravel(approx) - np.ravel(exact)) / np.linalg.norm(np.ravel(exact)))
