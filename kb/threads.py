"""Thread counts of the native libraries a search runs in: one search is one thread's work."""

from __future__ import annotations


def one_blas_thread() -> None:
    """numpy's BLAS at one thread in this process and the processes it forks. The cosine
    products are memory-bound matrix-vector products; OpenBLAS's second thread spun after each
    one (measured on the scale index: 47 -> 29 ms of CPU per new hybrid query, wall 24 -> 26 ms),
    CPU that a server's other worker needs."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
