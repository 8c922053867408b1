"""tracegraph's Numba backend: each graph becomes one @njit function, cached on disk."""
