"""What every exporter shares: posts read from one snapshot in a stable order, safe unique names, links
moved to the posts' new addresses, media checked by their bytes, and writes that appear whole or not at all."""
from __future__ import annotations

import contextlib
import errno
import json
import os
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator
from urllib.parse import quote, unquote, urljoin, urlsplit

import nh3
import sqlite_utils
from slugify import slugify

from scraper.errors import BlogArchiveError
from scraper.models import Post
from scraper.scope import is_media_host
from scraper.sections import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from scraper.urls import url_key, without_language

from ..mediatypes import MEDIA_TYPES, SNIFF_BYTES, sniff_media
from ..store import load_post
from .summary import ExportSummary

MAX_NAME = 80
# Names Windows refuses whatever the extension; a file called "con.md" cannot even be opened there.
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_UNSAFE_FILE = re.compile(r"[^A-Za-z0-9._-]+")
# What an export in progress writes into OUTDIR before its files are moved into place; named after its process.
STAGING = re.compile(r"^\.blog-archive-export\.(\d+)\.part$")
# A file left by write_atomically (".name.PID.THREAD.part") when its process was killed.
LEFT_PART = re.compile(r"^\..+\.(\d+)\.(\d+)\.part$")
URL_SCHEMES = {"http", "https", "mailto", "tel"}
BODY_TAGS = ALLOWED_TAGS | {"h1", "h2"}  # a section's HTML has no h1/h2 (they start sections); Post.body_html does
NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class ExportError(BlogArchiveError):
    """An export cannot be written (an unusable OUTDIR, an unknown format, a full disk)."""


@dataclass
class ImageFile:
    src: str
    alt: str | None
    caption: str | None
    local_path: Path | None  # the downloaded copy (crawl --media), if any
    sha256: str | None
    stored_path: str | None = None  # local_path as the archive keeps it (relative to the archive's folder)


@dataclass
class Leftover:
    """A URL an exported post still takes from the old site: kind is 'post' (an archived post left out of this
    export), 'link' (another page of the old site) or 'image'."""

    kind: str
    url: str


@dataclass
class ExportPost:
    """One post as every exporter sees it: the record, its archive row, a unique safe slug, its images, and the
    index of every exported post (to move links to their new addresses)."""

    post: Post
    row: dict[str, Any]
    slug: str
    images: list[ImageFile] = field(default_factory=list)
    index: PostIndex | None = None
    leftovers: list[Leftover] = field(default_factory=list)

    @property
    def old_path(self) -> str:
        """The post's path on the old site ('/post/my-slug'), for redirects and aliases."""
        return urlsplit(self.post.url or "").path or "/"

    @property
    def old_urls(self) -> list[str]:
        """Every web address the post had: its URL, then its aliases (an old /single-post/ form …)."""
        urls = [self.post.url or "", *self.post.aliases]
        return [u for u in dict.fromkeys(urls) if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc]


# --- names -------------------------------------------------------------------------------------------------

def safe_name(text: str | None, *, fallback: str = "post") -> str:
    """A slug that is safe as a file name everywhere: ASCII, no dots or slashes, not reserved, not too long."""
    name = slugify(unquote(text or ""), max_length=MAX_NAME, word_boundary=True) or fallback
    if name in RESERVED:
        name += "-post"
    return name


def unique(name: str, taken: set[str], numbered: Callable[[int], str] | None = None) -> str:
    """name, or its first numbered form (by default 'name-2', 'name-3' …) not taken yet; remembered in taken."""
    numbered = numbered or (lambda n: f"{name[:MAX_NAME - len(str(n)) - 1]}-{n}")
    candidate, n = name, 2
    while candidate in taken:
        candidate = numbered(n)
        n += 1
    taken.add(candidate)
    return candidate


def safe_file_name(name: str, *, default: str = "file") -> str:
    """An image or attachment file name from a URL, made safe (no path, no NUL, not hidden, not too long)."""
    stem, dot, ext = unquote(name).rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = _UNSAFE_FILE.sub("-", stem).strip(".-")[:60] or default
    ext = _UNSAFE_FILE.sub("", ext)[:8].lower()
    if stem.lower() in RESERVED:
        stem += "-file"
    return f"{stem}.{ext}" if ext else stem


def unique_file(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    return unique(name, taken, lambda n: f"{stem}-{n}.{ext}" if dot else f"{name}-{n}")


# --- media, by their bytes ---------------------------------------------------------------------------------

def media_type(path: Path) -> str | None:
    """The media type of a file by its bytes (archive.mediatypes); None if it is not kept media or unreadable."""
    try:
        with path.open("rb") as handle:
            extension = sniff_media(handle.read(SNIFF_BYTES))
    except OSError:
        return None
    return MEDIA_TYPES[extension] if extension else None


def with_extension(name: str, kind: str) -> str:
    """The file name with the extension its bytes call for ('photo.html' holding a JPEG -> 'photo.jpg')."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    extension = next((ext for ext, known in MEDIA_TYPES.items() if known == kind), ".bin")
    return stem + extension


def local_media(image: ImageFile, media_root: Path | None) -> tuple[Path, str] | None:
    """(file, media type) of an image's downloaded copy, if it lies inside the media root and its bytes are a
    real image, video, audio or PDF; None otherwise (then the original URL is kept)."""
    found = _check_local(image, media_root)
    return found if isinstance(found, tuple) else None


def _check_local(image: ImageFile, media_root: Path | None) -> tuple[Path, str] | str | None:
    """local_media, or why the recorded copy cannot be used (None: nothing was downloaded)."""
    if image.local_path is None or media_root is None:
        return None
    path = image.local_path.resolve()
    if not path.is_relative_to(media_root.resolve()):
        return "outside the media folder"
    if not path.is_file():
        return "missing"
    kind = media_type(path)
    return (path, kind) if kind else "not an image, video, audio or PDF by its bytes"


class MediaNames:
    """Readable, unique file names for the downloaded images an export copies (each file once)."""

    def __init__(self, media_root: Path | None, warnings: list[str] | None = None):
        self.media_root = media_root
        self.warnings = warnings if warnings is not None else []
        self.by_file: dict[Path, str] = {}
        self.taken: set[str] = set()
        self.refused: set[str] = set()

    def name(self, image: ImageFile) -> tuple[Path, str] | None:
        """(source file, name in the export) of an image, or None if it has no usable downloaded copy."""
        found = _check_local(image, self.media_root)
        if isinstance(found, str):
            if image.src not in self.refused:
                self.refused.add(image.src)
                self.warnings.append(f"{image.src}: its downloaded copy {image.local_path} is {found}; "
                                     "linked to the original URL")
            return None
        if found is None:
            return None
        source, kind = found
        if source not in self.by_file:
            base = safe_file_name(Path(urlsplit(image.src).path).name or source.name, default="image")
            self.by_file[source] = unique_file(with_extension(base, kind), self.taken)
        return source, self.by_file[source]


class MediaCopies:
    """Downloaded images copied once each into one folder of the export (images/, media/)."""

    def __init__(self, out: OutDir, folder: str, media_root: Path | None, summary: ExportSummary):
        self.out, self.folder, self.summary = out, folder, summary
        self.names = MediaNames(media_root, summary.warnings)
        self.copied: set[str] = set()

    def copy(self, image: ImageFile) -> str | None:
        """The image's name in the folder (copied the first time), or None if it has no usable downloaded copy."""
        found = self.names.name(image)
        if found is None:
            return None
        source, name = found
        if name not in self.copied:
            self.copied.add(name)
            self.out.copy(source, self.folder, name)
            self.summary.files.append(f"{self.folder}/{name}")
            self.summary.images += 1
        return name

    def images(self, item: ExportPost, url: Callable[[str], str]) -> Callable[[str], str | None]:
        """For Addresses.image: an original src of the post -> url(name of its copy), None if there is none."""
        by_src = {image.src: image for image in item.images}

        def image(src: str) -> str | None:
            name = self.copy(by_src[src]) if src in by_src else None
            return url(name) if name else None

        return image


# --- the posts of an export -----------------------------------------------------------------------------

def post_query(site: str | None, since: str | None) -> tuple[str, list[Any]]:
    where, params = ["1"], []
    if site:
        where.append("(site = ? or site = ?)")
        params += [site.lower(), "www." + site.lower()]
    if since:
        where.append("substr(coalesce(published, updated, first_seen), 1, 10) >= ?")
        params.append(since)
    # A stable order, so that the same archive always gives byte-identical exports.
    order = "order by site, coalesce(published, updated, first_seen), url"
    return f"select * from posts where {' and '.join(where)} {order}", params


@contextlib.contextmanager
def snapshot(db: sqlite_utils.Database) -> Iterator[None]:
    """One read transaction: every query inside sees the archive as it was at the first one, whatever a crawl
    writes meanwhile (the archive is in WAL mode, so the writer is not held up)."""
    if db.conn.in_transaction:
        yield
        return
    db.conn.execute("begin")
    try:
        yield
    finally:
        if db.conn.in_transaction:
            db.conn.execute("rollback")


class PostIndex:
    """Every archived post by every URL it had, and the slug of those this export writes."""

    def __init__(self, slugs: dict[int, str], keys: dict[str, int]):
        self.slugs = slugs  # post id -> slug, for the exported posts
        self.keys = keys  # url_key of a post URL, canonical URL or alias -> post id (every archived post)

    def find(self, url: str) -> tuple[int, str | None] | None:
        """(post id, its export slug or None if this export leaves it out) for a URL of an archived post."""
        try:  # a link to a language the archive does not hold as a post of its own leads to the post itself
            post_id = self.keys.get(url_key(url)) or self.keys.get(url_key(without_language(url)))
        except ValueError:
            return None
        return None if post_id is None else (post_id, self.slugs.get(post_id))


def build_index(db: sqlite_utils.Database, site: str | None, since: str | None) -> PostIndex:
    """Unique safe slugs in export order, decided before any file is written, and every post's URLs."""
    sql, params = post_query(site, since)
    taken: set[str] = set()
    slugs = {r["id"]: unique(safe_name(r["slug"] or r["title"]), taken)
             for r in db.query(sql.replace("select *", "select id, slug, title", 1), params)}
    keys: dict[str, int] = {}
    rows = db.execute("select url, post_id from aliases union all "
                      "select canonical_url, id from posts where canonical_url is not null union all "
                      "select url, id from posts")
    for url, post_id in rows:  # a post's own URL comes last, so it wins over another post's alias
        with contextlib.suppress(ValueError):
            keys[url_key(url)] = post_id
    return PostIndex(slugs, keys)


def iter_export_posts(db: sqlite_utils.Database, media_root: Path | None, *, site: str | None = None,
                      since: str | None = None, index: PostIndex | None = None) -> Iterator[ExportPost]:
    """Posts one at a time (never all in memory), each with a slug unique within the export."""
    sql, params = post_query(site, since)
    index = index or build_index(db, site, since)
    for row in db.query(sql, params):
        if row["id"] not in index.slugs:  # written after the index was read: not in this snapshot
            continue
        post = load_post(db, row)
        images = [ImageFile(r["src"], r["alt"], r["caption"],
                            (media_root / r["local_path"]) if media_root and r["local_path"] else None, r["sha256"],
                            r["local_path"])
                  for r in db.query("select * from images where post_id = ? order by position", [row["id"]])]
        yield ExportPost(post, row, index.slugs[row["id"]], images, index)


# --- links and images moved to the new site ---------------------------------------------------------------

@dataclass
class Addresses:
    """Where a format puts things: a post's new address by its slug, and an image's by its original src (None:
    it stays where it was)."""

    post: Callable[[str], str | None]
    image: Callable[[str], str | None]


def rewrite_html(item: ExportPost, html: str, addresses: Addresses, *, link_rel: str | None = None,
                 shown: set[str] | None = None, attributes: dict[str, set[str]] | None = None) -> str:
    """Sanitised HTML (the extractor's allow-list) with links to exported posts at their new address, images at
    their exported copy, other relative URLs made absolute against the old page; what still points at the old
    site is noted in item.leftovers. `shown` collects the original src of every image kept."""
    base = item.post.url or ""
    site = item.row.get("site") or ""

    def attribute(element: str, name: str, value: str) -> str | None:
        if (element, name) not in (("a", "href"), ("img", "src")):
            return value
        if value.startswith("#"):
            return value  # a place on this same page
        try:
            absolute = urljoin(base, value.strip())
            parts = urlsplit(absolute)
        except ValueError:
            return None
        if parts.scheme.lower() not in URL_SCHEMES:
            return None
        if parts.scheme.lower() not in ("http", "https"):
            return absolute  # mailto:, tel:
        if element == "img":
            if shown is not None:
                shown.add(absolute)
            moved = addresses.image(absolute)
            if moved is None and is_old_host(absolute, site):
                item.leftovers.append(Leftover("image", absolute))
            return moved or absolute
        return _link(item, absolute, parts.fragment, addresses, site)

    return nh3.clean(html, tags=BODY_TAGS, attributes=attributes or ALLOWED_ATTRIBUTES, attribute_filter=attribute,
                     url_schemes=URL_SCHEMES, link_rel=link_rel, strip_comments=True)


def _link(item: ExportPost, absolute: str, fragment: str, addresses: Addresses, site: str) -> str:
    found = item.index.find(absolute) if item.index else None
    moved = addresses.post(found[1]) if found and found[1] is not None else None
    if moved is not None:
        return moved + (f"#{fragment}" if fragment else "")
    if found:
        item.leftovers.append(Leftover("post", absolute))
    elif is_old_host(absolute, site):
        item.leftovers.append(Leftover("link", absolute))
    return absolute


UNMOVED = Addresses(post=lambda slug: None, image=lambda src: None)


def count_old_site(item: ExportPost, html: str) -> None:
    """Note in item.leftovers what of the old site html uses, changing nothing (for formats that keep the data
    as archived)."""
    rewrite_html(item, html, UNMOVED)


def new_image(item: ExportPost, src: str, addresses: Addresses) -> str:
    """One image URL (a feature image, an attachment) moved like rewrite_html moves an <img>, noted if it stays."""
    moved = addresses.image(src)
    if moved is None and is_old_host(src, item.row.get("site") or ""):
        item.leftovers.append(Leftover("image", src))
    return moved or src


def old_paths(item: ExportPost) -> list[tuple[str, str]]:
    """(host, path) of every old address of a post, as servers compare paths: percent-decoded UTF-8, with a
    leading '/', dot segments resolved; paths that cannot be a clean rule (control characters, '..' above the
    root, the home page) are left out."""
    found: dict[tuple[str, str], None] = {}
    for url in item.old_urls:
        parts = urlsplit(url)
        path = decoded_path(parts.path)
        if path:
            found[(host_of(url), path)] = None
    return list(found)


def decoded_path(raw: str) -> str | None:
    """A URL path as servers compare it (see old_paths); None if it cannot be one clean rule."""
    try:
        path = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None
    if not path or any(ord(c) < 32 or c == "\x7f" for c in path):
        return None
    path = "/" + path.lstrip("/")
    if any(segment == ".." for segment in path.split("/")):
        return None
    path = posixpath.normpath(path) + ("/" if path.endswith("/") and path != "/" else "")
    path = re.sub("/{2,}", "/", path)
    return None if path in ("/", "") else path


def host_of(url: str) -> str:
    """The host of a URL, lower-case, without 'www.' (the same site either way)."""
    netloc = urlsplit(url).netloc.lower()
    return netloc[4:] if netloc.startswith("www.") else netloc


def path_url(path: str) -> str:
    """A decoded path as a browser sends it: UTF-8, percent-encoded, upper-case hex."""
    return quote(path, safe="/:@!$&'()*+,;=-._~")


# --- the export folder ------------------------------------------------------------------------------------

class OutDir:
    """The export folder: every path asked for is checked to stay inside it, and every file appears whole.

    Files are written into a hidden staging folder inside OUTDIR and moved into place by commit() (a rename on
    the same file system); discard() removes them instead. A killed export leaves only its staging folder,
    which the next export into the same OUTDIR removes, with any '.part' file a killed process left.
    """

    def __init__(self, path: str | Path):
        self.root = Path(path)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except FileExistsError as exc:
            raise ExportError(f"{self.root} is a file, not a folder") from exc
        except OSError as exc:
            raise ExportError(f"cannot create {self.root}: {exc.strerror or exc}") from exc
        if not self.root.is_dir():
            raise ExportError(f"{self.root} is not a folder")
        self.root = self.root.resolve()
        self.staged: dict[str, None] = {}  # paths relative to OUTDIR, in the order written
        self._staging: Path | None = None

    def __enter__(self) -> OutDir:
        remove_leftovers(self.root)
        return self

    def __exit__(self, kind, exc, traceback) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    @property
    def staging(self) -> Path:
        if self._staging is None:
            self._staging = self.root / f".blog-archive-export.{os.getpid()}.part"
            self._staging.mkdir(exist_ok=True)
        return self._staging

    def path(self, *parts: str) -> Path:
        if any("\x00" in part or not part or part in (".", "..") for part in parts):
            raise ExportError(f"refusing an unsafe name in the export: {parts!r}")
        target = self.root.joinpath(*parts).resolve()
        if not target.is_relative_to(self.root) or target == self.root:
            raise ExportError(f"refusing to write outside {self.root}: {'/'.join(parts)}")
        return target

    def _stage(self, *parts: str) -> Path:
        relative = self.path(*parts).relative_to(self.root).as_posix()
        if STAGING.match(relative.split("/", 1)[0]):
            raise ExportError(f"refusing an unsafe name in the export: {parts!r}")
        self.staged[relative] = None
        staged = self.staging / relative
        staged.parent.mkdir(parents=True, exist_ok=True)
        return staged

    def write(self, data: bytes | str, *parts: str) -> Path:
        staged = self._stage(*parts)
        staged.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return staged

    def open(self, *parts: str) -> BinaryIO:
        """A binary file opened for streaming writes (big exports: WXR, JSONL, WARC); whole once committed."""
        return self._stage(*parts).open("wb")

    def copy(self, source: Path, *parts: str) -> None:
        with source.open("rb") as reader, self._stage(*parts).open("wb") as writer:
            shutil.copyfileobj(reader, writer)

    def commit(self) -> None:
        """Move every staged file into place (each one whole: a rename), then remove the staging folder."""
        if self._staging is None:
            return
        for relative in self.staged:
            target = self.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir():
                raise ExportError(f"{target} is a folder; move it away and export again")
            os.replace(self._staging / relative, target)
        self.discard()

    def discard(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None


def remove_leftovers(root: Path) -> list[Path]:
    """Remove what exports killed earlier left in OUTDIR (their staging folders, '.part' files), never what a
    process still running is writing."""
    removed = []
    for folder, dirs, files in os.walk(root):
        for name in list(dirs):
            match = STAGING.match(name)
            if match:
                dirs.remove(name)
                if not _alive(int(match.group(1))):
                    shutil.rmtree(Path(folder) / name, ignore_errors=True)
                    removed.append(Path(folder) / name)
        for name in files:
            match = LEFT_PART.match(name)
            if match and not _alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    (Path(folder) / name).unlink()
                    removed.append(Path(folder) / name)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def write_error(root: Path, exc: OSError) -> ExportError:
    """One line for a failed write: a full disk said as such."""
    reason = "the disk is full" if exc.errno in NO_SPACE else (exc.strerror or str(exc))
    return ExportError(f"cannot write the export into {root}: {reason}; nothing of it was kept")


# --- dates, hosts, JSON ---------------------------------------------------------------------------------

def parse_iso(value: str | None) -> datetime | None:
    """An ISO 8601 date or datetime as the archive stores it; None if absent or unreadable."""
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def first_date(*values: str | None) -> datetime | None:
    for value in values:
        parsed = parse_iso(value)
        if parsed is not None:
            return parsed
    return None


def as_utc(value: datetime) -> datetime:
    """The moment in UTC; a value without an offset (or a bare date) is taken as UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        return value.replace(tzinfo=timezone.utc)


def is_old_host(src: str, host: str) -> bool:
    netloc = urlsplit(src).netloc.lower()
    if not netloc:
        return True  # a relative link only ever worked on the old site
    bare = host.lower().removeprefix("www.")
    return netloc.removeprefix("www.") == bare or is_media_host(src)  # the platform's media vanish with the site


def dumps(data: Any) -> str:
    """Stable JSON: sorted keys, UTF-8, no trailing whitespace."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
