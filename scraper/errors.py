"""The project's exceptions: one base class, turned into one-line CLI errors."""


class BlogArchiveError(Exception):
    """Base class of every error this project raises on purpose."""


class FetchError(BlogArchiveError):
    """A URL could not be fetched (network error, HTTP error, too large, not allowed)."""

    def __init__(self, message: str, *, url: str | None = None, status_code: int | None = None):
        super().__init__(message)
        self.url = url
        self.status_code = status_code


class RobotsDisallowed(FetchError):
    """robots.txt forbids fetching this URL."""


class DiscoveryError(BlogArchiveError):
    """No post URLs could be found for a site."""


class ExtractionError(BlogArchiveError):
    """A page could not be turned into a Post."""


class NotAPostError(ExtractionError):
    """The page has no article content (a listing, an About page, ...)."""


class ArchiveError(BlogArchiveError):
    """The archive database cannot be opened or written."""
