"""The server runs on the fast event loop and HTTP parser that requirements.txt installs for it.

Streamlit uses uvloop for its event loop and uvicorn picks httptools over the pure-Python h11 whenever they are
installed; nothing says so when they are missing, the server is just slower (a first visit fetches ~120 files).
"""

import sys

import pytest


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build; Streamlit uses asyncio's loop")
def test_streamlit_runs_its_server_on_uvloop():
    import uvloop
    from streamlit.web import bootstrap

    loop = bootstrap._get_uvloop_loop_factory()()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_uvicorn_parses_http_with_httptools():
    import uvicorn

    config = uvicorn.Config(app=lambda scope, receive, send: None, http="auto")
    config.load()
    assert config.http_protocol_class.__name__ == "HttpToolsProtocol"
