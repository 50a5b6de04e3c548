"""Serve the sample Wix site until Ctrl-C: `python -m scraper.demo [PORT]` (default 8642)."""
import sys
import threading

from . import SITE_DIR, serve_site

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8642
with serve_site(SITE_DIR, port=port) as server:
    print(f"Serving the sample Wix site at {server.origin} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
