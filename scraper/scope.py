"""Where requests may go: a site's own hosts, plus the blog platforms' media hosts for media only."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from . import profiles
from .urls import same_site

# The hosts (with their subdomains) where blog platforms keep a site's images, video and files, as each profile
# names them: the only hosts besides the site's own that `crawl --media` fetches from, and the ones whose links
# die with the old site (the exporters count those).
MEDIA_HOSTS = profiles.hints("MEDIA_HOSTS")


def is_media_host(url: str) -> bool:
    """True for a URL on one of the platforms' media hosts (MEDIA_HOSTS, or a subdomain of one)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == known or host.endswith("." + known) for known in MEDIA_HOSTS)


@dataclass(frozen=True)
class Scope:
    """The hosts one request, and each of its redirect hops, may go to."""

    site: str  # the site's URL: its host, with or without 'www.', over http or https
    media: bool = False  # also the platforms' media hosts: only when fetching an image, a video or a file

    def allows(self, url: str) -> bool:
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            return False
        return same_site(url, self.site) or (self.media and is_media_host(url))
