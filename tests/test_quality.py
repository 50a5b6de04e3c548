"""Quality flags (posts.warnings) and offline re-extraction of stored raw pages."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from archive.cli import cli
from archive.pipeline import reextract
from archive.quality import refresh_warnings
from archive.store import Capture, find_post, open_archive, save_post
from scraper.demo import SITE_DIR
from scraper.models import Post, Section

BOILERPLATE = "Call us today at 555-0100 to book your first appointment with our team."
SEED_PAGE = SITE_DIR / "post" / "does-acupuncture-work-for-neuropathy.html"
SEED_URL = "https://www.example-clinic.com/post/does-acupuncture-work-for-neuropathy"


def post(slug: str, *paragraphs: str, site: str = "https://www.wildfloweracupuncture.com", **fields) -> Post:
    text = "\n\n".join(paragraphs)
    values = {"title": slug.replace("-", " ").title(), "author": "Laura Mann", "published": "2024-01-02"}
    values.update(fields)
    return Post(url=f"{site}/post/{slug}", sections=[Section(None, 1, text, "")], **values)


def long_paragraph(topic: str) -> str:
    return f"{topic} is something we treat often. " + " ".join(f"word{i}" for i in range(120))


def warnings_of(db, url: str) -> list[str]:
    return json.loads(find_post(db, url)["warnings"])


def test_post_without_author_or_date_is_flagged(db_path):
    db = open_archive(db_path)
    save_post(db, post("anon", long_paragraph("Pain"), author=None, published=None))
    assert warnings_of(db, "https://www.wildfloweracupuncture.com/post/anon") == ["no date", "no author"]


def test_short_and_empty_bodies_are_flagged(db_path):
    db = open_archive(db_path)
    save_post(db, post("short", "Just a few words here."))
    save_post(db, post("empty"))
    assert warnings_of(db, "https://www.wildfloweracupuncture.com/post/short") == ["very short body (5 words)"]
    assert warnings_of(db, "https://www.wildfloweracupuncture.com/post/empty") == ["empty body"]


def test_complete_post_has_no_warnings(db_path):
    db = open_archive(db_path)
    save_post(db, post("fine", long_paragraph("Sleep")))
    assert warnings_of(db, "https://www.wildfloweracupuncture.com/post/fine") == []


def test_text_on_most_posts_of_a_site_is_flagged_as_boilerplate(db_path):
    db = open_archive(db_path)
    for topic in ("Sleep", "Pain", "Stress", "Fertility"):
        save_post(db, post(topic.lower(), long_paragraph(topic), BOILERPLATE))
    save_post(db, post("other", long_paragraph("Allergies")))
    refresh_warnings(db)
    flagged = warnings_of(db, "https://www.wildfloweracupuncture.com/post/sleep")
    assert len(flagged) == 1 and flagged[0].startswith("text repeated on 4 of 5 posts")
    assert warnings_of(db, "https://www.wildfloweracupuncture.com/post/other") == []


def test_unchanged_resave_keeps_the_site_wide_flags(db_path):
    db = open_archive(db_path)
    for topic in ("Sleep", "Pain", "Stress"):
        save_post(db, post(topic.lower(), long_paragraph(topic), BOILERPLATE))
    refresh_warnings(db)
    assert save_post(db, post("sleep", long_paragraph("Sleep"), BOILERPLATE)) == "unchanged"
    assert warnings_of(db, "https://www.wildfloweracupuncture.com/post/sleep")[0].startswith("text repeated on 3")


def test_title_equal_to_the_site_name_is_flagged(db_path):
    db = open_archive(db_path)
    save_post(db, post("home", long_paragraph("Welcome"), title="Wildflower Acupuncture"))
    refresh_warnings(db)
    assert warnings_of(db, "https://www.wildfloweracupuncture.com/post/home") == ["title equals the site name"]


def test_list_warnings_shows_only_flagged_posts(db_path):
    db = open_archive(db_path)
    save_post(db, post("anon", long_paragraph("Pain"), author=None))
    save_post(db, post("fine", long_paragraph("Sleep")))
    result = CliRunner().invoke(cli, ["list", "--warnings", "--db", str(db_path)])
    assert result.exit_code == 0
    assert "/post/anon" in result.stdout and "! no author" in result.stdout
    assert "/post/fine" not in result.stdout
    as_json = json.loads(CliRunner().invoke(cli, ["list", "--warnings", "--json", "--db", str(db_path)]).stdout)
    assert [{key: post[key] for key in ("url", "title", "warnings")} for post in as_json] == [
        {"url": "https://www.wildfloweracupuncture.com/post/anon", "title": "Anon", "warnings": ["no author"]}]


def stale_archive(db_path: Path):
    """An archive as an older, worse extractor left it: wrong title, no author, one lump of text."""
    db = open_archive(db_path)
    capture = Capture(SEED_URL, SEED_PAGE.read_bytes(), "2024-01-01T00:00:00+00:00", 200, "text/html; charset=utf-8")
    stale = Post(url=SEED_URL, title="Does Acupuncture Work For Neuropathy? | Wildflower Acupuncture",
                 sections=[Section(None, 1, "top of page everything", "")])
    save_post(db, stale, capture=capture)
    return db


def test_reextract_improves_an_old_archive_offline_and_reports_fields(db_path):
    db = stale_archive(db_path)
    summary = reextract(db)  # no server runs in this test: only the stored raw page is used
    assert summary.run.changed == [SEED_URL]
    assert summary.fields["title"] == 1 and summary.fields["author"] == 1 and summary.fields["sections"] == 1
    row = find_post(db, SEED_URL)
    assert row["title"] == "Does Acupuncture Work For Neuropathy?"
    assert row["author"] == "Laura Mann"


def test_reextract_keeps_the_previous_values_as_a_version(db_path):
    db = stale_archive(db_path)
    reextract(db)
    versions = list(db.query("select title, body_text, post_json from versions"))
    assert len(versions) == 1
    assert versions[0]["title"] == "Does Acupuncture Work For Neuropathy? | Wildflower Acupuncture"
    assert json.loads(versions[0]["post_json"])["sections"][0]["text"] == "top of page everything"


def test_reextract_twice_changes_nothing_the_second_time(db_path):
    db = stale_archive(db_path)
    reextract(db)
    again = reextract(db)
    assert again.run.changed == [] and again.run.unchanged == [SEED_URL] and not again.fields
    assert db["versions"].count == 1


def test_reextract_command_prints_per_field_counts(db_path):
    stale_archive(db_path)
    result = CliRunner().invoke(cli, ["reextract", "--db", str(db_path), "--quiet"])
    assert result.exit_code == 0
    assert "0 new, 1 changed, 0 unchanged" in result.stderr
    assert "  title: 1 post\n" in result.stderr
