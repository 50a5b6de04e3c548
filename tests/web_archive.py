"""A clinic's archive as `serve` shows it, made with the store API: two sites, posts over four years by three
authors with tags and categories, a second crawl that found posts new, changed and gone, quality flags, and a
post with one downloaded image and one never downloaded."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

from archive.quality import refresh_warnings
from archive.store import mark_gone, open_archive, save_post
from scraper.models import Image, Post, Section

SITE = "https://www.wildflower.example"
OTHER_SITE = "https://blog.harbourclinic.example"
AUTHORS = ["Laura Mann", "Jenna Reyes", "Dr. Sam Ortiz"]
TOPICS = [
    ("Acupuncture for Neuropathy", ["acupuncture", "nerves"]), ("Herbs for Better Sleep", ["herbs", "sleep"]),
    ("Cupping Therapy: What to Expect", ["cupping"]), ("Five Stretches for Lower Back Pain", ["back pain", "exercise"]),
    ("Gua Sha at Home", ["gua sha", "self-care"]), ("Seasonal Allergies and Acupuncture", ["acupuncture", "allergies"]),
    ("Fertility Support in Chinese Medicine", ["fertility", "herbs"]),
    ("Your First Acupuncture Visit", ["acupuncture"]),
    ("Migraine Relief Without Pills", ["migraine", "acupuncture"]), ("Eating for the Winter Months", ["nutrition"]),
    ("Moxibustion Explained", ["moxibustion"]), ("Stress, Sleep and the Nervous System", ["sleep", "stress"]),
    ("Acupressure Points for Nausea", ["acupressure"]), ("Tai Chi for Balance", ["exercise", "tai chi"]),
    ("Knee Pain After Running", ["exercise", "pain"]), ("Herbal Teas for Digestion", ["herbs", "nutrition"]),
    ("Anxiety and the Breath", ["stress"]), ("Why We Ask About Your Tongue", ["diagnosis"]),
    ("Pregnancy and Acupuncture", ["fertility", "acupuncture"]),
    ("Shoulder Tension at the Desk", ["pain", "self-care"]),
    ("Cold Hands, Warm Heart", ["circulation"]), ("Spring Cleanse Myths", ["nutrition"]),
    ("Headaches and Posture", ["pain", "migraine"]), ("How Often Should You Come In?", ["acupuncture"]),
    ("Cupping Marks: What They Mean", ["cupping"]), ("Sleep Hygiene Checklist", ["sleep", "self-care"]),
    ("Menopause Support", ["herbs", "hormones"]), ("The Five Elements", ["diagnosis"]),
    ("Plantar Fasciitis", ["pain"]), ("Qi Gong Morning Routine", ["exercise", "self-care"]),
    ("Ear Seeds at Home", ["acupressure"]), ("Jet Lag Recovery", ["sleep"]),
    ("Tennis Elbow", ["pain"]), ("Immune Support Before Winter", ["herbs", "immunity"]),
    ("Carpal Tunnel and Acupuncture", ["acupuncture", "nerves"]), ("Mindful Eating", ["nutrition", "stress"]),
]
SENTENCES = [
    "Many patients come to us after trying several other treatments first.",
    "Acupuncture works with the body's own responses rather than against them.",
    "We always start with a long conversation about your history and your goals.",
    "Most people feel deeply relaxed during the session and sleep well that night.",
    "Small changes at home often matter as much as the time spent on the table.",
    "Research on this topic has grown a great deal over the last twenty years.",
    "Herbal formulas are chosen for each person and adjusted as things change.",
    "Please tell us about any medication you take so we can plan safely.",
    "Gentle movement keeps the benefits going between visits.",
    "If anything feels wrong, stop and call us; we are happy to talk it through.",
]
FOOTER = "Book online at wildflower.example/book or call the clinic on 555-0100."
WIDTH, HEIGHT = 480, 270


def pixel(x: int, y: int) -> bytes:
    """A calm room: a wall fading to the floor, a window, a treatment table."""
    if 300 < x < 420 and 40 < y < 140:
        return bytes((200, 226, 240)) if (x - 300) % 60 and (y - 40) % 50 else bytes((250, 250, 250))
    if 80 < x < 260 and 170 < y < 190:
        return bytes((120, 86, 60))
    if y > 200:
        return bytes((176, 140, 100))
    shade = 235 - y // 6
    return bytes((shade, shade - 8, shade - 20))


def png_bytes() -> bytes:
    """A real PNG (so the browser shows it), made here: no image file in the repository."""
    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(WIDTH)) for y in range(HEIGHT))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def slug(title: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())


def text(seed: int, count: int) -> str:
    return " ".join(SENTENCES[(seed + i * 3) % len(SENTENCES)] for i in range(count))


def clinic_post(number: int, title: str, tags: list[str], *, site: str = SITE, when: str | None = None,
                author: str | None = "", words: int = 9, extra: str = "") -> Post:
    intro, more = text(number, words) + extra, text(number + 1, words)
    footer = site == SITE and number % 5 and words > 1  # the site's sign-off, on most posts: a boilerplate flag
    return Post(url=f"{site}/post/{slug(title)}", title=title,
                author=AUTHORS[number % len(AUTHORS)] if author == "" else author, published=when,
                sections=[Section(None, 1, intro, f"<p>{intro}</p>"),
                          Section("What we do", 2, more + (f"\n\n{FOOTER}" if footer else ""),
                                  f"<p>{more}</p><ul><li>Listen</li><li>Treat</li></ul>"
                                  + (f"<p>{FOOTER}</p>" if footer else ""))],
                tags=tags, categories=["Wellness" if number % 2 else "Treatments"])


def month_of(number: int) -> str:
    """Dates spread unevenly over 2021-2024 (some months busy, some empty)."""
    months = [(2021, 3), (2021, 5), (2021, 5), (2021, 9), (2021, 11), (2022, 1), (2022, 2), (2022, 2), (2022, 2),
              (2022, 4), (2022, 6), (2022, 7), (2022, 10), (2022, 11), (2022, 12), (2023, 1), (2023, 1), (2023, 3),
              (2023, 3), (2023, 3), (2023, 4), (2023, 6), (2023, 8), (2023, 9), (2023, 9), (2023, 10), (2023, 11),
              (2023, 12), (2024, 1), (2024, 2), (2024, 2), (2024, 3), (2024, 4), (2024, 5), (2024, 5), (2024, 6)]
    year, month = months[number % len(months)]
    return f"{year}-{month:02d}-{1 + (number * 7) % 27:02d}"


def run_row(db, site: str, started: str, outcomes: list[tuple[str, str]]) -> int:
    """A finished crawl of site with one crawl_log row per (url, outcome), as archive.crawl writes them."""
    counts = {k: sum(1 for _, o in outcomes if o == k) for k in ("new", "changed", "unchanged", "gone")}
    run_id = db["runs"].insert({"site": site.split("//")[1], "started_at": started, "finished_at": started,
                                **counts, "skipped": 0, "failed": 0, "warnings": "[]"}).last_pk
    db["crawl_log"].insert_all({"run_id": run_id, "url": url, "at": started, "outcome": outcome, "error": None}
                               for url, outcome in outcomes)
    return run_id


def build(db_path: Path) -> dict[str, str]:
    """Make the archive; returns the URLs the tests look for by role."""
    db = open_archive(db_path)
    first: list[tuple[str, str]] = []
    for number, (title, tags) in enumerate(TOPICS):
        post = clinic_post(number, title, tags, when=month_of(number))
        first.append((post.url, save_post(db, post, seen_at="2024-06-20T09:00:00+00:00")))
    short = clinic_post(90, "Holiday Hours", ["news"], when="2023-12-20", author=None, words=1)
    undated = clinic_post(91, "Meet the Team", ["news"], when=None)
    for post in (short, undated):
        first.append((post.url, save_post(db, post, seen_at="2024-06-20T09:00:00+00:00")))
    image_post = clinic_post(92, "A Tour of the Clinic", ["clinic"], when="2024-06-02")
    local_src, remote_src = f"{SITE}/media/treatment-room.png", f"{SITE}/media/waiting-room.jpg"
    image_post.sections.insert(1, Section("The rooms", 2, "Our treatment room.",
                                          f'<figure><img src="{local_src}" alt="The treatment room"><figcaption>'
                                          f'The treatment room</figcaption></figure><p>Our treatment room.</p>'
                                          f'<figure><img src="{remote_src}" alt="The waiting room"></figure>'))
    image_post.images = [Image(local_src, "The treatment room", "The treatment room"),
                         Image(remote_src, "The waiting room", None)]
    first.append((image_post.url, save_post(db, image_post, seen_at="2024-06-20T09:00:00+00:00")))
    run_row(db, SITE, "2024-06-20T09:00:00+00:00", first)
    media = db_path.with_name(db_path.stem + "-media") / "3f"
    media.mkdir(parents=True, exist_ok=True)
    (media / "3f9a.png").write_bytes(png_bytes())
    db.execute("update images set local_path = ?, sha256 = '3f9a' where src = ?",
               [f"{db_path.stem}-media/3f/3f9a.png", local_src])

    # The second crawl: one post rewritten, one new, one gone.
    changed = clinic_post(0, "Acupuncture for Neuropathy: an Update", TOPICS[0][1], when=month_of(0),
                          extra=" A new study from 2024 confirms what our patients tell us.")
    changed.url = first[0][0]  # the same post, rewritten under its old address
    new = clinic_post(93, "Summer Hydration Tips", ["nutrition", "self-care"], when="2024-07-01")
    gone_url = f"{SITE}/post/{slug(TOPICS[5][0])}"
    second = [(changed.url, save_post(db, changed, seen_at="2024-07-05T09:00:00+00:00")),
              (new.url, save_post(db, new, seen_at="2024-07-05T09:00:00+00:00"))]
    mark_gone(db, gone_url, at="2024-07-05T09:00:00+00:00")
    second.append((gone_url, "gone"))
    run_row(db, SITE, "2024-07-05T09:00:00+00:00", second)

    other = [clinic_post(n, title, tags, site=OTHER_SITE, when=f"2022-0{n - 40}-15", author="Maya Lund")
             for n, (title, tags) in enumerate([("Harbour Clinic Opens", ["news"]), ("Sea Air and Sleep", ["sleep"]),
                                                 ("Walking by the Water", ["exercise"])], start=41)]
    run_row(db, OTHER_SITE, "2024-07-06T10:00:00+00:00",
            [(post.url, save_post(db, post, seen_at="2024-07-06T10:00:00+00:00")) for post in other])
    refresh_warnings(db)
    db.conn.commit()
    db.close()
    return {"changed": changed.url, "new": new.url, "gone": gone_url, "images": image_post.url, "short": short.url,
            "undated": undated.url}
