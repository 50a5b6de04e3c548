"""Serve the sample Wix site until Ctrl-C: `python -m scraper.demo [PORT]` (default 8642, or any free port if
8642 is taken). Its pages name the site by the address it is served at, so crawl that address."""
import sys
import threading

from ..errors import BlogArchiveError
from . import SITE_DIR, serve_site

DEFAULT_PORT = 8642


def main(args: list[str]) -> int:
    if args and not args[0].isdigit():
        print("usage: python -m scraper.demo [PORT]", file=sys.stderr)
        return 2
    ports = [int(args[0])] if args else [DEFAULT_PORT, 0]
    for port in ports:
        try:
            with serve_site(SITE_DIR, port=port) as server:
                print(f"Serving the sample Wix site at {server.origin} (Ctrl-C to stop)", flush=True)
                try:
                    threading.Event().wait()
                except KeyboardInterrupt:
                    return 0
        except BlogArchiveError as exc:
            if port == ports[-1]:
                print(f"Error: {exc} (python -m scraper.demo PORT)", file=sys.stderr)
                return 1
    return 0


sys.exit(main(sys.argv[1:]))
