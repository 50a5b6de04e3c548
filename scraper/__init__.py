"""Finding, fetching and extracting blog posts. No SQL lives here."""
import logging

from .errors import BlogArchiveError, ExtractionError, FetchError, NotAPostError
from .models import FetchResult, Image, Post, Section

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "BlogArchiveError",
    "ExtractionError",
    "FetchError",
    "FetchResult",
    "Image",
    "NotAPostError",
    "Post",
    "Section",
]
