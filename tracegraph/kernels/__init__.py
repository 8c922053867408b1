"""Kernels over NumPy arrays that more than one backend runs.

The NumPy backend computes every elementwise op with them; the Numba backend calls
the blocked evaluator back (through `numba.objmode`) for large transcendental work,
where NumPy's SIMD ufuncs beat its scalar libm loop; the Dask backend runs the
NumPy backend's kernels on each chunk.  They live in the core, not in one backend,
because a backend imports only the core: before this package, the Numba backend
kept its own copy of the ufunc table and of the blocked loop, with a different
block size, threshold and thread pool.

* `ufuncs`: each scalar op as a NumPy function over arrays (imports only
  `tracegraph.tensor.scalar`, so any layer may use it as a reference evaluator);
* `threads`: the one thread pool of these kernels;
* `blocked`: a Composite evaluated in cache-sized blocks on every core.
"""
