"""An archive made to test migrations: two sites whose posts link to each other, old addresses (aliases,
non-ASCII paths, the same path on both sites), downloaded images (real PNG bytes, and one 'image' that is
HTML), and text that must stay text. Built with the store's own functions, into a real SQLite file."""
from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from archive.store import Capture, open_archive, save_post
from scraper.models import Image, Post, Section

A = "https://www.clinic-a.example"
B = "https://clinic-b.example"
WIX = "https://static.wixstatic.com/media"
SEEN = "2024-06-01T12:00:00+00:00"
MIGRANA = f"{A}/post/acupuntura-y-migra%C3%B1a"
WELCOME_A = f"{A}/post/welcome"
WELCOME_B = f"{B}/post/welcome"
LINKS = f"{A}/post/links-everywhere"
ESCAPED = f"{B}/post/escaped-text"
PHOTO = f"{WIX}/1a2b3c_0123456789abcdef0123456789abcdef~mv2.png"
PHOTO_VARIANT = f"{WIX}/1a2b3c_0123456789abcdef0123456789abcdef~mv2.png/v1/fill/w_292,h_219,al_c,q_85/photo.png"
LOCAL_PHOTO = f"{A}/media/garden.png"
FAKE_IMAGE = f"{WIX}/9f9f9f_ffffffffffffffffffffffffffffffff~mv2.jpg"  # its 'download' is an HTML page
OLD_ABOUT = f"{A}/about"
ALIASES = {MIGRANA: [f"{A}/single-post/2019/05/03/acupuntura-y-migra%C3%B1a"],
           LINKS: [f"{A}/single-post/links-everywhere"]}


def png(seed: int) -> bytes:
    """A real 1x1 PNG whose colour (and so whose bytes) depends on seed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    pixel = zlib.compress(b"\x00" + bytes([seed % 256, (seed * 7) % 256, 90]))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", pixel) + chunk(b"IEND", b""))


def page(post: Post, extra_images: str = "") -> bytes:
    """The raw page a crawl would have kept: the post's images asked for at Wix's resized URLs."""
    images = "".join(f'<img src="{im.src}/v1/fill/w_292,h_219,al_c,q_85/x.png" '
                     f'srcset="{im.src}/v1/fill/w_292,h_219,al_c,q_85/x.png 1x, '
                     f'{im.src}/v1/fill/w_584,h_438,al_c,q_85/x.png 2x" alt="">' if im.src.startswith(WIX)
                     else f'<img src="{im.src}" alt="">' for im in post.images)
    return (f"<html><head><title>{post.title}</title></head><body><article><h1>{post.title}</h1>{images}"
            f"{extra_images}{post.body_html}</article></body></html>").encode()


def posts() -> list[Post]:
    made = [
        Post(url=MIGRANA, title="Acupuntura y migraña", author="Laura Mann", published="2024-10-15T09:00:00+00:00",
             sections=[Section(None, 1, "La migraña.", f'<figure><img src="{PHOTO}" alt="Agujas"><figcaption>'
                                                        f"Agujas</figcaption></figure><p>La migraña.</p>")],
             images=[Image(PHOTO, "Agujas", "Agujas")], tags=["Migraña"], language="es"),
        Post(url=WELCOME_A, title="Welcome to clinic A", author="Laura Mann", published="2023-01-02",
             sections=[Section(None, 1, "Hello from A.", f'<p>Hello from A. <img src="{LOCAL_PHOTO}" alt="Garden">'
                                                          "</p>")],
             images=[Image(LOCAL_PHOTO, "Garden", None)], tags=["News"]),
        Post(url=LINKS, title="Links everywhere", author="Priya Natarajan", published="2024-11-01",
             sections=[Section(None, 1, "Read these.",
                               f'<p>Read <a href="{MIGRANA}">the migraine post</a>, '
                               f'<a href="http://clinic-a.example/post/acupuntura-y-migra%C3%B1a/#dosis">its dose</a>, '
                               f'<a href="/single-post/2019/05/03/acupuntura-y-migra%C3%B1a">its old address</a>, '
                               f'<a href="{WELCOME_A}?lang=en">our welcome</a>, '
                               f'<a href="{WELCOME_B}">our sister clinic</a> and '
                               f'<a href="{OLD_ABOUT}">about us</a>.</p>'
                               f'<p><img src="{FAKE_IMAGE}" alt="Not an image"></p>')],
             images=[Image(FAKE_IMAGE, "Not an image", None)], categories=["Reading"]),
        Post(url=WELCOME_B, title="Welcome to clinic B", author="Jenna Reyes", published="2023-03-04",
             sections=[Section(None, 1, "Hello from B.", f'<p>Hello from B. See <a href="{LINKS}">A\'s list</a>.</p>')],
             tags=["News"]),
        Post(url=ESCAPED, title="Escaped <b>text</b> & more", author="Jenna Reyes", published="2022-05-06",
             sections=[Section("Use <script> tags & <em>", 2, "x",
                               "<p>Write &lt;script&gt;alert(1)&lt;/script&gt; to run code; "
                               "&lt;img src=x onerror=alert(2)&gt; too.</p>"
                               "<p>&gt; not a quote, 1. not a list</p>"
                               "<pre>&lt;script&gt;kept in code&lt;/script&gt; ```</pre>"
                               f'<p><img src="{B}/x.png" alt="a](javascript:alert(3)) &lt;script&gt;alert(4)'
                               '&lt;/script&gt; [b"></p>')],
             images=[Image(f"{B}/x.png", "a](javascript:alert(3)) <script>alert(4)</script> [b", None)]),
    ]
    for post in made:
        post.aliases = ALIASES.get(post.url, [])
    return made


@dataclass
class MigrationArchive:
    db_path: Path
    media_root: Path  # the folder holding the archive and its -media folder
    images: dict[str, bytes]  # src -> bytes of its downloaded copy


def build(folder: Path) -> MigrationArchive:
    """The archive, with its images downloaded as crawl --media leaves them (files named by SHA-256)."""
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "archive.db"
    db = open_archive(db_path)
    for post in posts():
        save_post(db, post, capture=Capture(post.url, page(post), SEEN, 200, "text/html; charset=utf-8"),
                  seen_at=SEEN)
    downloads = {PHOTO: png(1), LOCAL_PHOTO: png(2), FAKE_IMAGE: b"<html><script>alert('pwned')</script></html>"}
    for src, data in downloads.items():
        sha = hashlib.sha256(data).hexdigest()
        relative = f"archive-media/{sha[:2]}/{sha}{Path(src).suffix}"
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)
        db.execute("update images set local_path = ?, sha256 = ? where src = ?", [relative, sha, src])
    db.conn.commit()
    db.close()
    return MigrationArchive(db_path, folder, {src: downloads[src] for src in (PHOTO, LOCAL_PHOTO)})
