"""One BLAS thread per server: the page's matrix products are small, and the server's cores are its sessions'.

numpy's OpenBLAS starts one thread per core for every product. On a 2-core server that is already running other
sessions' scripts, those threads spin waiting for a core and cost CPU instead of saving time (``bench/README.md``
has the measurement). The products themselves (at most 21,845 × 17) gain nothing from a second thread.
"""

from __future__ import annotations

import streamlit as st
from threadpoolctl import threadpool_limits


@st.cache_resource(show_spinner=False)  # instant: no "Running …" flash on the first visit
def one_blas_thread_per_process():
    """Limit BLAS to one thread for the rest of this server process (cached: it is done once)."""
    return threadpool_limits(limits=1, user_api="blas")
