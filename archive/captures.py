"""Raw page captures stored small and read back exactly: zstd against a dictionary per site, or against the
page's previous capture. No HTTP here, and no knowledge of posts: store.py says which site a capture is of.

How a row of `pages` is stored (its `codec`, one per row, so a half-converted archive reads row by row):

- NULL: zlib, as every archive before schema version 2 stored it, not converted yet; 'zlib': zlib that the
  conversion left as it was, because it was damaged (reading it says so).
- 'zstd': one zstd frame (level LEVEL). Its dictionary is named by the row: `dictionary_id`, a row of
  `dictionaries` (the site's dictionary), or `base_id`, another capture whose exact bytes are the frame's
  raw-content dictionary (a re-capture stored against the previous capture of the same URL); neither for a
  site's first captures, before the site has a dictionary.

A site's dictionary is one of its own captures, used whole as a raw-content dictionary. On the real Wix pages of
../shared/corpus/wix zstd's own trainer (COVER, a 1 MB dictionary from 8 pages) leaves ~125 KB a page where this
leaves ~8 (benchmarks/captures.py): Wix pages share long runs of scripts, styles and state, which a whole page
keeps and the trainer's short fragments do not. So training picks, among DICTIONARY_SAMPLES captures of the
site, the one that compresses the others best, and keeps its ratio on them (bytes in over bytes stored) as the
dictionary's `ratio`. The first dictionary is trained once a site has DICTIONARY_SAMPLES captures (those, stored
without a dictionary until then, are stored again against it).

It is retrained when it stops paying: every CHECK_EVERY captures stored with it, the ratio (bytes in over bytes
stored) of those last CHECK_EVERY is compared with its `ratio`; below RETRAIN_BELOW times that, a new one is
trained from the site's newest DICTIONARY_SAMPLES captures and the current one competes with it on the same
captures. The better one becomes the site's dictionary; a dictionary kept takes the ratio it scored as its new
`ratio`, so it is not retried before its ratio halves again. Old dictionaries are kept: captures still name them.

A re-capture (same URL, different bytes) is stored against the previous capture of the URL when that is smaller
than against the site's dictionary. Chains are bounded: a capture's `chain` is its base's plus one, and a base
whose chain is MAX_CHAIN already is not used, so a read decodes at most MAX_CHAIN + 1 frames.

Every read checks the bytes against the row's SHA-256 and raises ArchiveError naming the capture if they differ.
"""
from __future__ import annotations

import hashlib
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlite_utils
import zstandard

from scraper.errors import ArchiveError

LEVEL = 6  # zstd level of every capture: with a whole page as dictionary, higher levels gain < 5 % at 3-30x the time
DICTIONARY_LEVEL = 12  # the dictionary's own bytes, stored once per site
DICTIONARY_SAMPLES = 4  # captures a site's dictionary is chosen from
MAX_DICTIONARY = 4 * 1024 * 1024  # bytes of a capture kept as a dictionary (Wix pages are ~1 MB)
CHECK_EVERY = 16  # captures stored with a dictionary between two checks that it still pays
RETRAIN_BELOW = 0.5  # retrain when the recent ratio falls below this share of the dictionary's ratio
MAX_CHAIN = 8  # re-captures stored one against the other before one is stored against the dictionary again
CACHED_DICTIONARIES = 4  # each a few MB once ready to compress with


@dataclass
class Stored:
    """A capture's bytes as stored, and what they were compressed against."""

    body: bytes
    codec: str
    size: int
    dictionary_id: int | None = None
    base_id: int | None = None
    chain: int = 0

    def columns(self) -> dict[str, Any]:
        return {"body": self.body, "codec": self.codec, "size": self.size, "dictionary_id": self.dictionary_id,
                "base_id": self.base_id, "chain": self.chain}


@dataclass
class _Dictionary:
    id: int
    site: str
    ratio: float
    trained_upto: int
    content: zstandard.ZstdCompressionDict


def encode(db: sqlite_utils.Database, body: bytes, *, url: str, site: str, before: int | None = None,
           delta_ok: bool = True) -> Stored:
    """How to store `body`, a capture of `url` on `site`: against the site's dictionary (trained or retrained
    here when due) or, if smaller, against the URL's previous capture (the newest one, or the newest before id
    `before`). Call inside the transaction that stores the row."""
    dictionary = site_dictionary(db, site)
    best = Stored(_compress(body, dictionary.content if dictionary else None), "zstd", len(body),
                  dictionary_id=dictionary.id if dictionary else None)
    previous = _previous_capture(db, url, before) if delta_ok else None
    base = _readable(db, previous) if previous is not None else None
    if base is not None:
        against = _compress(body, _raw_dictionary(base))
        if len(against) < len(best.body):
            best = Stored(against, "zstd", len(body), base_id=previous["id"], chain=(previous["chain"] or 0) + 1)
    return best


def decode(db: sqlite_utils.Database, row: dict[str, Any]) -> bytes:
    """The exact bytes of a capture row (any codec), checked against its SHA-256; ArchiveError if they differ."""
    return _decode(db, row, MAX_CHAIN + 1)


def _decode(db: sqlite_utils.Database, row: dict[str, Any], hops: int) -> bytes:
    codec = row.get("codec")
    try:
        if codec in (None, "zlib"):
            body = zlib.decompress(row["body"])
        elif codec == "zstd":
            body = zstandard.ZstdDecompressor(dict_data=_frame_dictionary(db, row, hops)).decompress(row["body"])
        else:
            raise ArchiveError(f"{_name(row)} is stored with codec {codec!r}, which this blog-archive cannot read")
    except (zlib.error, zstandard.ZstdError) as exc:
        raise ArchiveError(f"{_name(row)} is damaged: its body cannot be decompressed ({exc})") from exc
    if hashlib.sha256(body).hexdigest() != row["sha256"]:
        raise ArchiveError(f"{_name(row)} is damaged: its bytes do not match their SHA-256")
    return body


def _frame_dictionary(db: sqlite_utils.Database, row: dict[str, Any],
                      hops: int) -> zstandard.ZstdCompressionDict | None:
    if row.get("base_id") is not None:
        if hops <= 0:
            raise ArchiveError(f"{_name(row)} is damaged: its chain of earlier captures is longer than "
                               f"{MAX_CHAIN}")
        base = next(db.query("select * from pages where id = ?", [row["base_id"]]), None)
        if base is None:
            raise ArchiveError(f"{_name(row)} is damaged: the capture it is stored against "
                               f"(id {row['base_id']}) is missing")
        return _raw_dictionary(_decode(db, base, hops - 1))
    if row.get("dictionary_id") is not None:
        try:
            dictionary = _load_dictionary(db, row["dictionary_id"])
        except ArchiveError as exc:
            raise ArchiveError(f"{_name(row)} cannot be read: {exc}") from exc
        if dictionary is None:
            raise ArchiveError(f"{_name(row)} is damaged: its dictionary (id {row['dictionary_id']}) is missing")
        return dictionary.content
    return None


def _readable(db: sqlite_utils.Database, row: dict[str, Any]) -> bytes | None:
    """A capture's bytes, or None if it is damaged (a damaged capture is never a base or a sample)."""
    try:
        return decode(db, row)
    except ArchiveError:
        return None


def _name(row: dict[str, Any]) -> str:
    return f"capture {row.get('id')} of {row.get('url')} (fetched {row.get('fetched_at')})"


def _compress(body: bytes, dictionary: zstandard.ZstdCompressionDict | None) -> bytes:
    return zstandard.ZstdCompressor(level=LEVEL, dict_data=dictionary).compress(body)


def _raw_dictionary(content: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(content[:MAX_DICTIONARY], dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def _previous_capture(db: sqlite_utils.Database, url: str, before: int | None) -> dict[str, Any] | None:
    """The URL's newest capture (before id `before`) if a capture may still be stored against it."""
    newest = db.execute("select max(id) from pages where url = ? and id < ?",
                        [url, before if before is not None else 2**63 - 1]).fetchone()[0]
    row = next(db.query("select * from pages where id = ?", [newest]), None) if newest is not None else None
    if row is None or (row.get("chain") or 0) >= MAX_CHAIN:
        return None
    return row


# Dictionaries


def site_dictionary(db: sqlite_utils.Database, site: str) -> _Dictionary | None:
    """The site's dictionary: trained once it has DICTIONARY_SAMPLES captures, retrained when it stops paying."""
    current = _current_dictionary(db, site)
    if current is None:
        samples = list(db.query("select * from pages where site = ? order by id limit ?", [site, DICTIONARY_SAMPLES]))
        if len(samples) < DICTIONARY_SAMPLES:
            return None
        current = _train(db, site, samples, None)
        if current is not None:
            _store_against(db, site, current)
        return current
    recent = _recent_ratio(db, current)
    if recent is not None and recent < current.ratio * RETRAIN_BELOW:
        samples = list(db.query("select * from pages where site = ? order by id desc limit ?",
                                [site, DICTIONARY_SAMPLES]))
        return _train(db, site, samples, current)
    return current


def _current_dictionary(db: sqlite_utils.Database, site: str) -> _Dictionary | None:
    row = db.execute("select id from dictionaries where site = ? order by id desc limit 1", [site]).fetchone()
    return _load_dictionary(db, row[0]) if row else None


def _recent_ratio(db: sqlite_utils.Database, dictionary: _Dictionary) -> float | None:
    """Bytes in over bytes stored of the last CHECK_EVERY captures stored with the dictionary since it was
    trained, when their number is a multiple of CHECK_EVERY (None otherwise: not time to check)."""
    count = db.execute("select count(*) from pages where dictionary_id = ? and id > ?",
                       [dictionary.id, dictionary.trained_upto]).fetchone()[0]
    if not count or count % CHECK_EVERY:
        return None
    size, stored = db.execute(
        "select sum(size), sum(length(body)) from (select size, body from pages where dictionary_id = ? and id > ? "
        "order by id desc limit ?)", [dictionary.id, dictionary.trained_upto, CHECK_EVERY]).fetchone()
    return size / max(stored, 1)


def _train(db: sqlite_utils.Database, site: str, samples: list[dict[str, Any]],
           current: _Dictionary | None) -> _Dictionary | None:
    """The sample that compresses the other samples best, stored as a new dictionary of the site; or `current`,
    kept with the ratio it scored, if it does better on all of them (None if no sample can be read)."""
    readable = [(row, body) for row in samples if (body := _readable(db, row)) is not None]
    bodies = [body for _, body in readable]
    if not bodies:
        return current
    best_ratio, best = -1.0, 0
    for n, candidate in enumerate(bodies):
        others = bodies[:n] + bodies[n + 1:]
        ratio = _ratio(others, _raw_dictionary(candidate))
        if ratio > best_ratio:
            best_ratio, best = ratio, n
    if current is not None:
        kept = _ratio(bodies, current.content)
        if kept >= best_ratio:
            db.execute("update dictionaries set ratio = ? where id = ?", [kept, current.id])
            current.ratio = kept
            return current
    content = bodies[best][:MAX_DICTIONARY]
    new_id = db["dictionaries"].insert({
        "site": site, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sha256": hashlib.sha256(content).hexdigest(), "size": len(content), "ratio": best_ratio,
        "trained_upto": max(row["id"] for row, _ in readable),
        "body": zstandard.ZstdCompressor(level=DICTIONARY_LEVEL).compress(content)}).last_pk
    return _load_dictionary(db, new_id)


def _ratio(bodies: list[bytes], dictionary: zstandard.ZstdCompressionDict) -> float:
    return sum(map(len, bodies)) / max(sum(len(_compress(body, dictionary)) for body in bodies), 1)


def _store_against(db: sqlite_utils.Database, site: str, dictionary: _Dictionary) -> None:
    """Store the site's captures kept without a dictionary (its first ones) against its new dictionary."""
    for row in list(db.query("select * from pages where site = ? and codec = 'zstd' and dictionary_id is null "
                             "and base_id is null", [site])):
        body = _readable(db, row)
        if body is None:
            continue
        db.execute("update pages set body = ?, dictionary_id = ? where id = ?",
                   [_compress(body, dictionary.content), dictionary.id, row["id"]])


_cache: OrderedDict[str, zstandard.ZstdCompressionDict] = OrderedDict()
_cache_lock = threading.Lock()


def _load_dictionary(db: sqlite_utils.Database, dictionary_id: int) -> _Dictionary | None:
    """A dictionary by id; its content is cached by SHA-256 (so across archives too), ready to compress with."""
    row = next(db.query("select id, site, ratio, trained_upto, sha256 from dictionaries where id = ?",
                        [dictionary_id]), None)
    if row is None:
        return None
    with _cache_lock:
        content = _cache.get(row["sha256"])
        if content is not None:
            _cache.move_to_end(row["sha256"])
    if content is None:
        content = _read_dictionary(db, row)
        with _cache_lock:
            _cache[row["sha256"]] = content
            while len(_cache) > CACHED_DICTIONARIES:
                _cache.popitem(last=False)
    return _Dictionary(row["id"], row["site"], row["ratio"], row["trained_upto"], content)


def _read_dictionary(db: sqlite_utils.Database, row: dict[str, Any]) -> zstandard.ZstdCompressionDict:
    body = db.execute("select body from dictionaries where id = ?", [row["id"]]).fetchone()[0]
    try:
        content = zstandard.ZstdDecompressor().decompress(body)
    except zstandard.ZstdError as exc:
        raise ArchiveError(f"dictionary {row['id']} of {row['site']} is damaged: {exc}") from exc
    if hashlib.sha256(content).hexdigest() != row["sha256"]:
        raise ArchiveError(f"dictionary {row['id']} of {row['site']} is damaged: its bytes do not match their "
                           f"SHA-256")
    dictionary = _raw_dictionary(content)
    dictionary.precompute_compress(level=LEVEL)
    return dictionary
