"""Side-by-side benchmarks: tracegraph's backends next to NumPy eager, PyTensor and JAX."""
