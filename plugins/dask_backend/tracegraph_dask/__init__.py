"""tracegraph's Dask backend: the same compiled graph over chunked arrays, on one
machine's threads or on a `distributed` cluster.  See README.md."""
