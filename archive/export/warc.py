"""The raw captures as a WARC 1.1 file (warcio): a warcinfo record, then a request/response pair per
capture as it was fetched, and the downloaded media. Imported files become resource records.

Record ids and dates come from the archive (uuid5 of the capture), so the same archive gives the same
bytes; replayable in pywb and ReplayWeb.page.
"""
from __future__ import annotations

import http
import mimetypes
import uuid
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.fetch import USER_AGENT

from ..store import page_body
from .common import OutDir, post_query
from .summary import ExportSummary

FILE = "archive.warc.gz"
NAMESPACE = uuid.UUID("5c0c1a1e-6b8e-4e55-9a51-0b1c6a4c0de1")


def export(db: sqlite_utils.Database, out: OutDir, *, site: str | None, since: str | None,
           media_root: Path | None) -> ExportSummary:
    summary = ExportSummary()
    sql, params = post_query(site, since)
    urls = [r["url"] for r in db.query(sql.replace("select *", "select url", 1), params)]
    with out.open(FILE) as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        newest = db.execute("select max(fetched_at) from pages").fetchone()[0]
        writer.write_record(_warcinfo(writer, newest))
        for url in urls:  # every capture of every exported post, oldest first
            captured = False
            for row in db.query("select * from pages where url = ? order by fetched_at, id", [url]):
                _write_capture(writer, row)
                captured = True
            summary.posts += captured
            if not captured:
                summary.warnings.append(f"no raw capture kept for {url}")
        for image in _media(db, urls, media_root):
            _write_media(writer, *image, date=_warc_date(newest))
            summary.images += 1
    summary.files.append(FILE)
    return summary


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


def _write_capture(writer: WARCWriter, row: dict) -> None:
    body = page_body(row)
    url, date = row["url"], _warc_date(row["fetched_at"])
    response_id = _record_id("response", url, row["sha256"], row["fetched_at"])
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
    headers = StatusAndHeaders(f"GET {target or '/'} HTTP/1.1", [("Host", parts.netloc), ("User-Agent", USER_AGENT)],
                               is_http_request=True)
    return writer.create_warc_record(url, "request", http_headers=headers,
                                     warc_headers_dict={"WARC-Record-ID": _record_id("request", url, date),
                                                        "WARC-Date": date})


def _media(db: sqlite_utils.Database, urls: list[str], media_root: Path | None):
    """(src, file, sha256, content type) of each downloaded image of the exported posts, once each."""
    if media_root is None:
        return
    wanted = set(urls)
    seen: set[str] = set()
    for row in db.query("select i.src, i.local_path, i.sha256, p.url from images i join posts p on p.id = i.post_id "
                        "where i.local_path is not null order by i.src"):
        path = media_root / row["local_path"]
        if row["url"] in wanted and row["src"] not in seen and path.is_file():
            seen.add(row["src"])
            yield row["src"], path, row["sha256"] or "", _image_type(path)


def _write_media(writer: WARCWriter, src: str, path: Path, sha: str, content_type: str, *, date: str) -> None:
    data = path.read_bytes()
    headers = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
    response = writer.create_warc_record(
        src, "response", payload=BytesIO(data), length=len(data),
        http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Record-ID": _record_id("media", src, sha), "WARC-Date": date})
    writer.write_request_response_pair(_request(writer, src, date), response)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _image_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"
