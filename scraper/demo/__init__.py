"""The bundled sample Wix site, and a small local server for it (used by `blog-archive demo` and the tests)."""
from .server import DEMO_ORIGIN, SITE_DIR, SiteServer, serve_site

__all__ = ["DEMO_ORIGIN", "SITE_DIR", "SiteServer", "serve_site"]
