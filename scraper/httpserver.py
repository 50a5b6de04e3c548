"""Run a local HTTP server in a background thread: shared by `serve` (archive.web) and the demo site."""
from __future__ import annotations

import contextlib
import http.server
import threading
from typing import Callable, Iterator, TypeVar

from .errors import BlogArchiveError

ServerT = TypeVar("ServerT", bound=http.server.HTTPServer)


@contextlib.contextmanager
def in_thread(make_server: Callable[[], ServerT], port: int, *, host: str = "127.0.0.1") -> Iterator[ServerT]:
    """Start the server made by make_server in a daemon thread, yield it, and always shut it down."""
    try:
        server = make_server()
    except OSError as exc:
        raise BlogArchiveError(f"cannot serve on {host}:{port} ({exc.strerror or exc}); try another port") from exc
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
