"""The raw captures as a WARC 1.1 file (warcio): a warcinfo record, then a request/response pair per
capture as it was fetched, and the downloaded media. Imported files become resource records. Every record
has an absolute WARC-Target-URI (a capture filed under a relative address is given a file: URI).

With media downloaded (crawl --media), each image is a response record at its original URL, and every other
URL of it that the archived pages request (Wix serves resized copies, `…~mv2.jpg/v1/fill/w_292,h_219,…/x.jpg`,
in `src` and `srcset`) is a revisit record of the original's bytes (identical payload digest, refers-to the
original), so a replay tool such as pywb shows every image of every page. Only files whose bytes are a real
image, video, audio or PDF are written, with the type their bytes say.

Record ids and dates come from the archive (uuid5 of the capture), so the same archive gives the same
bytes; replayable in pywb and ReplayWeb.page.
"""
from __future__ import annotations

import http
import uuid
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import lxml.html
import sqlite_utils
from lxml.etree import ParserError
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.profiles.wix import original_image_url

from ..store import page_body
from .common import ExportPost, Leftover, OutDir, is_old_host, iter_export_posts, local_media
from .summary import ExportSummary

FILE = "archive.warc.gz"
NAMESPACE = uuid.UUID("5c0c1a1e-6b8e-4e55-9a51-0b1c6a4c0de1")
# Request records are rebuilt from the capture: the crawler's name stands for the header it sent.
AGENT = "blog-archive"
# Attributes in which a page asks the browser for an image.
IMAGE_ATTRIBUTES = ("src", "data-src", "poster", "data-pin-media")
SRCSET_ATTRIBUTES = ("srcset", "data-srcset")
_URI_SAFE = "/:@!$&'()*+,;=-._~%?#[]"  # what a URI may hold as it is: only other characters are encoded


@dataclass
class Media:
    src: str
    path: Path
    sha256: str
    content_type: str
    digest: str = ""  # WARC-Payload-Digest of its response record, once written


def export(db: sqlite_utils.Database, out: OutDir, *, site: str | None, since: str | None,
           media_root: Path | None) -> ExportSummary:
    summary = ExportSummary()
    newest = db.execute("select max(fetched_at) from pages").fetchone()[0]
    media: dict[str, Media] = {}  # original src -> its downloaded file, for the exported posts
    variants: dict[str, str] = {}  # another URL the pages request -> the original src it shows
    with out.open(FILE) as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        writer.write_record(_warcinfo(writer, newest))
        for item in iter_export_posts(db, media_root, site=site, since=since):
            mine = _downloaded(item, media_root)
            media.update(mine)
            captured = False
            for row in db.query("select * from pages where url = ? order by fetched_at, id", [item.post.url]):
                body = page_body(db, row)
                _write_capture(writer, row, body)
                captured = True
                for url in requested_images(body, row["url"]) if mine else ():  # parsed only when there is media
                    src = url if url in mine else original_image_url(url)
                    if src in mine and url != src:
                        variants.setdefault(url, src)
            if not captured:
                summary.warnings.append(f"no raw capture kept for {item.post.url}")
            item.leftovers += [Leftover("image", image.src) for image in item.images
                               if image.src not in mine and is_old_host(image.src, item.row["site"] or "")]
            if captured:
                summary.add(item)
        date = _warc_date(newest)
        for src in sorted(media):
            _write_media(writer, media[src], date=date)
            summary.images += 1
        for url in sorted(variants):
            _write_variant(writer, url, media[variants[url]], date=date)
    summary.files.append(FILE)
    return summary


def _downloaded(item: ExportPost, media_root: Path | None) -> dict[str, Media]:
    found = {}
    for image in item.images:
        local = local_media(image, media_root)
        if local is not None:
            found[image.src] = Media(image.src, local[0], image.sha256 or "", local[1])
    return found


def requested_images(body: bytes, page_url: str) -> list[str]:
    """The absolute URLs of the images a page asks for in its HTML (img/source src and srcset, posters)."""
    try:
        root = lxml.html.fromstring(body)
    except (ParserError, ValueError):
        return []
    base = next(iter(root.xpath("//base/@href")), None)
    base = urljoin(page_url, base) if base else page_url
    urls: list[str] = []
    for element in root.iter("img", "source", "video", "meta"):
        values = [element.get(name) for name in IMAGE_ATTRIBUTES]
        if element.tag == "meta":
            values = [element.get("content")] if element.get("property") in ("og:image", "twitter:image") else []
        for name in SRCSET_ATTRIBUTES:
            values += srcset_urls(element.get(name) or "")
        for value in values:
            if value and value.strip():
                absolute = _absolute(base, value.strip())
                if absolute:
                    urls.append(absolute)
    return list(dict.fromkeys(urls))


def srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset: a URL runs to the next whitespace (Wix's own URLs hold commas), then descriptors."""
    urls, expect_url = [], True
    for token in value.split():
        if expect_url:
            urls.append(token.rstrip(","))
            expect_url = token.endswith(",")
        elif token.endswith(","):
            expect_url = True
    return [u for u in urls if u]


def _absolute(base: str, value: str) -> str | None:
    try:
        url = urljoin(base, value)
    except ValueError:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def target_uri(url: str) -> str:
    """An absolute URI for a capture: its own URL, or a file: URI for one filed under a relative address; in
    ASCII (HTTP request lines and WARC-Target-URI carry no raw UTF-8: it is percent-encoded, the host in IDNA)."""
    url = url if urlsplit(url).scheme else urljoin("file:///", url.lstrip("/"))
    if url.isascii():
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if not netloc.isascii():
        try:
            netloc = netloc.encode("idna").decode("ascii")
        except UnicodeError:
            netloc = quote(netloc, safe=":@[]")
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe=_URI_SAFE), quote(parts.query, safe=_URI_SAFE),
                       quote(parts.fragment, safe=_URI_SAFE)))


def _record_id(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(NAMESPACE, '|'.join(parts))}>"


def _warc_date(iso: str | None) -> str:
    value = (iso or "1970-01-01T00:00:00+00:00").replace("+00:00", "Z")
    return value if value.endswith("Z") else value + "Z"


def _warcinfo(writer: WARCWriter, newest: str | None):
    fields = b"software: blog-archive\r\nformat: WARC File Format 1.1\r\nrobots: obey\r\n"
    return writer.create_warc_record("", "warcinfo", payload=BytesIO(fields), length=len(fields),
                                     warc_content_type="application/warc-fields",
                                     warc_headers_dict={"WARC-Record-ID": _record_id("warcinfo", newest or ""),
                                                        "WARC-Date": _warc_date(newest), "WARC-Filename": FILE})


def _write_capture(writer: WARCWriter, row: dict, body: bytes) -> None:
    url, date = target_uri(row["url"]), _warc_date(row["fetched_at"])
    response_id = _record_id("response", row["url"], row["sha256"], row["fetched_at"])
    if not url.startswith(("http://", "https://")) or row["status_code"] is None:  # an imported file
        record = writer.create_warc_record(url, "resource", payload=BytesIO(body), length=len(body),
                                           warc_content_type=row["content_type"] or "application/octet-stream",
                                           warc_headers_dict={"WARC-Record-ID": response_id, "WARC-Date": date})
        writer.write_record(record)
        return
    headers = [("Content-Type", row["content_type"] or "text/html"), ("Content-Length", str(len(body)))]
    headers += [(name, row[key]) for name, key in (("ETag", "etag"), ("Last-Modified", "last_modified")) if row[key]]
    status = row["status_code"]
    response = writer.create_warc_record(
        url, "response", payload=BytesIO(body), length=len(body),
        http_headers=StatusAndHeaders(f"{status} {_reason(status)}", headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Record-ID": response_id, "WARC-Date": date})
    writer.write_request_response_pair(_request(writer, url, date), response)


def _request(writer: WARCWriter, url: str, date: str):
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = StatusAndHeaders(f"GET {target or '/'} HTTP/1.1", [("Host", parts.netloc), ("User-Agent", AGENT)],
                               is_http_request=True)
    return writer.create_warc_record(url, "request", http_headers=headers,
                                     warc_headers_dict={"WARC-Record-ID": _record_id("request", url, date),
                                                        "WARC-Date": date})


def _media_headers(media: Media, length: int) -> StatusAndHeaders:
    headers = [("Content-Type", media.content_type), ("Content-Length", str(length))]
    return StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")


def _write_media(writer: WARCWriter, media: Media, *, date: str) -> None:
    data = media.path.read_bytes()
    response = writer.create_warc_record(
        target_uri(media.src), "response", payload=BytesIO(data), length=len(data),
        http_headers=_media_headers(media, len(data)),
        warc_headers_dict={"WARC-Record-ID": _record_id("media", media.src, media.sha256), "WARC-Date": date})
    writer.write_request_response_pair(_request(writer, target_uri(media.src), date), response)
    media.digest = response.rec_headers.get_header("WARC-Payload-Digest")


def _write_variant(writer: WARCWriter, url: str, media: Media, *, date: str) -> None:
    """Another URL of a downloaded image (a resized copy the page asks for): a revisit of the original's bytes."""
    headers = _media_headers(media, media.path.stat().st_size)
    url = target_uri(url)
    record = writer.create_revisit_record(url, media.digest, target_uri(media.src), date, http_headers=headers,
                                          warc_headers_dict={"WARC-Record-ID": _record_id("variant", url, media.sha256),
                                                             "WARC-Date": date})
    writer.write_request_response_pair(_request(writer, url, date), record)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
