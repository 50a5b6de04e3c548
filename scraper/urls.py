"""URL helpers: normalising for comparison, site scope, slugs."""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Characters left as they are when a path is re-encoded (RFC 3986 pchar plus "/").
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
# Escapes of '.', '/' and '%' stay escapes: decoding '%2F' or '%2e%2e%2f' would name a path the site never listed.
_KEPT_ESCAPES = re.compile(r"(%2[EeFf]|%25)")
_PAGE_EXTENSION = re.compile(r"\.(html?|xhtml|shtml|php|aspx?|txt|text)$", re.I)
# Query parameters that never change which post a URL shows (tracking). Wix Multilingual's ?lang= is not one:
# it selects a translation, which is a post of its own; a ?lang= that changes nothing is folded by the page's
# canonical link instead (see preferred_url).
_NOISE_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|igshid|ref)$", re.I)


def site_root(url: str) -> str:
    """Turn what a user typed ('example.com', 'https://www.example.com/blog') into an absolute URL."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def normalize_url(url: str) -> str:
    """One spelling per URL: lower-case scheme and host, percent-encoded path, no fragment, no trailing slash."""
    parts = urlsplit(url.strip())
    path = "".join(piece.upper() if _KEPT_ESCAPES.fullmatch(piece) else quote(unquote(piece), safe=_PATH_SAFE)
                   for piece in _KEPT_ESCAPES.split(parts.path)) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def clean_url(url: str) -> str:
    """normalize_url without tracking parameters: the spelling a post is stored under."""
    parts = urlsplit(normalize_url(url))
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _NOISE_PARAMS.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))


def url_key(url: str) -> str:
    """What two spellings of one post share: no scheme, no 'www.', no trailing slash, no tracking parameters."""
    parts = urlsplit(clean_url(url))
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return host_key(url) + parts.path + ("?" + query if query else "")


def host_key(url: str) -> str:
    """The host without a leading 'www.' and port-insensitive only where the port is the default."""
    netloc = urlsplit(url).netloc.lower()
    return netloc[4:] if netloc.startswith("www.") else netloc


def same_site(url: str, site_url: str) -> bool:
    return host_key(url) == host_key(site_url)


def slug_from_url(url: str) -> str:
    """The last path segment, decoded, without a page extension: '/post/acupuntura-y-migra%C3%B1a' -> 'acupuntura-y-migraña'."""
    path = urlsplit(url).path.rstrip("/")
    segment = unquote(path.rsplit("/", 1)[-1]) if path else ""
    return _PAGE_EXTENSION.sub("", segment) or segment


def preferred_url(fetched: str, canonical: str | None) -> str:
    """The address a post is kept under: its canonical link when that names the same post on the same site.

    The same post is served at several addresses (Wix's old /single-post/<slug> and /post/<slug>, date paths,
    a ?lang= that changes nothing); the canonical link says which is the post's own. It is trusted only on the
    same site and for the same slug, so a template whose every page points at the home page changes nothing.
    """
    fetched = clean_url(fetched)
    if not canonical or not same_site(canonical, fetched):
        return fetched
    canonical = clean_url(canonical)
    if urlsplit(canonical).path in ("", "/") or slug_from_url(canonical).casefold() != slug_from_url(fetched).casefold():
        return fetched
    return canonical


def without_language(url: str) -> str:
    """The URL without Wix Multilingual's ?lang= (for a link to a translation the archive does not hold)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "lang"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def address_problem(url: str) -> str | None:
    """Why no request can go to this address ('is not a web address …'), or None when one can."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # a bad port or a broken IPv6 literal raises here
    except ValueError as exc:
        return f"is not a web address ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http(s) address"
    if not host or not _valid_host(host):
        return "has no valid host name (each dot-separated part holds 1 to 63 characters, the whole at most 253)"
    return None


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return len(name) <= 253 and all(0 < len(label) <= 63 for label in name.rstrip(".").split("."))
