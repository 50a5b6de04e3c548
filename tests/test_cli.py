"""The command line, run through click's CliRunner against real files, real SQLite and a real local server."""
from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "dumps" / "does-acupuncture-work-for-neuropathy.txt"
SEED_HEADINGS = ["Modulation of Neurotransmitters", "Nerve Growth Factor Stimulation", "Anti-Inflammatory Effects",
                 "Enhanced Blood Circulation", "Regulation of Ion Channels",
                 "Neuroplasticity and Central Nervous System Changes"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, env: dict | None = None):
    return runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def test_import_seed_then_show_json_gives_every_field(runner, db_path):
    assert run(runner, "import", SEED, "--db", db_path).exit_code == 0
    result = run(runner, "show", "does-acupuncture-work-for-neuropathy", "--db", db_path, "--format", "json")
    assert result.exit_code == 0
    post = json.loads(result.stdout)
    assert post["title"] == "Does Acupuncture Work For Neuropathy?"
    assert post["author"] == "Laura Mann"
    assert post["updated"] == "2023-12-03"
    assert post["sections"][0]["heading"] is None
    assert [s["heading"] for s in post["sections"][1:]] == SEED_HEADINGS
    assert post["sections"][-1]["text"].endswith("we have can help to reduce numbness, tingling, and pain.")
    body = json.dumps(post)
    for chrome in ("top of page", "bottom of page", "Writer's picture"):
        assert chrome not in body


def test_import_twice_never_duplicates(runner, db_path):
    run(runner, "import", SEED, "--db", db_path)
    again = run(runner, "import", SEED, "--db", db_path)
    assert "0 new, 0 changed, 1 unchanged" in again.stderr
    listing = json.loads(run(runner, "list", "--db", db_path, "--json").stdout)
    assert len(listing) == 1


def test_import_with_url_sets_the_post_url(runner, db_path):
    url = "https://www.wildflower-acupuncture.example/post/does-acupuncture-work-for-neuropathy"
    assert run(runner, "import", SEED, "--url", url, "--db", db_path).exit_code == 0
    shown = json.loads(run(runner, "show", url, "--db", db_path, "--format", "json").stdout)
    assert shown["url"] == url


def test_show_markdown_has_headings_and_paragraphs(runner, db_path):
    run(runner, "import", SEED, "--db", db_path)
    result = run(runner, "show", "does-acupuncture-work-for-neuropathy", "--db", db_path, "--format", "markdown")
    assert result.stdout.startswith("# Does Acupuncture Work For Neuropathy?\n")
    assert "\n## Anti-Inflammatory Effects\n" in result.stdout
    assert "**Author:** Laura Mann" in result.stdout


def test_show_text_is_readable(runner, db_path):
    run(runner, "import", SEED, "--db", db_path)
    result = run(runner, "show", "does-acupuncture-work-for-neuropathy", "--db", db_path)
    lines = result.stdout.splitlines()
    assert lines[0] == "Does Acupuncture Work For Neuropathy?"
    assert "Author: Laura Mann" in lines
    assert "Regulation of Ion Channels" in lines


def test_db_can_come_from_the_environment(runner, tmp_path):
    db = tmp_path / "from-env.db"
    assert run(runner, "import", SEED, env={"BLOG_ARCHIVE_DB": str(db)}).exit_code == 0
    assert db.exists()


def test_default_db_is_archive_db_in_the_current_folder(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BLOG_ARCHIVE_DB", raising=False)
    assert run(runner, "import", SEED).exit_code == 0
    assert (tmp_path / "archive.db").exists()


# Bad input: one clear line on stderr, a non-zero exit, no traceback, the archive as it was.

def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in error_lines[0]


def test_missing_file_is_one_line_error_and_writes_nothing(runner, db_path):
    result = run(runner, "import", SEED, "no-such-file.html", "--db", db_path)
    assert_one_line_error(result, "no such file", "no-such-file.html")
    assert not db_path.exists()


def test_unreachable_site_is_one_line_error_and_creates_no_archive(runner, db_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run(runner, "crawl", f"http://127.0.0.1:{port}", "--db", db_path, "--delay", "0")
    assert_one_line_error(result, "no posts found")
    assert not db_path.exists()


def test_page_that_is_not_html_is_one_line_error(runner, db_path, faulty_site):
    run(runner, "import", SEED, "--db", db_path)
    before = db_path.read_bytes()
    result = run(runner, "crawl", faulty_site.origin + "/post/report-pdf", "--db", db_path, "--delay", "0")
    assert_one_line_error(result, "not an HTML page")
    listing = json.loads(run(runner, "list", "--db", db_path, "--json").stdout)
    assert [p["title"] for p in listing] == ["Does Acupuncture Work For Neuropathy?"]
    assert len(before) > 0


def test_binary_file_import_is_one_line_error(runner, db_path, tmp_path):
    blob = tmp_path / "photo.jpg"
    blob.write_bytes(bytes(range(256)) * 40)
    result = run(runner, "import", blob, "--db", db_path)
    assert_one_line_error(result, "nothing archived", "not an HTML page or a text dump")


def test_corrupt_database_is_one_line_error_and_left_as_it_was(runner, tmp_path):
    db = tmp_path / "archive.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    before = db.read_bytes()
    for args in (["import", SEED], ["list"], ["show", "anything"]):
        result = run(runner, *args, "--db", db)
        assert_one_line_error(result, str(db))
    assert db.read_bytes() == before


def test_show_unknown_post_is_one_line_error(runner, db_path):
    run(runner, "import", SEED, "--db", db_path)
    assert_one_line_error(run(runner, "show", "no-such-slug", "--db", db_path), "no post 'no-such-slug'")


def test_list_without_archive_is_one_line_error(runner, db_path):
    assert_one_line_error(run(runner, "list", "--db", db_path), "no archive")
    assert not db_path.exists()


def test_every_command_and_option_has_help_text():
    for name, command in cli.commands.items():
        assert command.help, name
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{name} {param.opts}"


def test_demo_crawls_the_bundled_site(runner, db_path):
    result = run(runner, "demo", "--port", "0", "--db", db_path)
    assert result.exit_code == 0, result.output
    assert "9 new, 0 changed, 0 unchanged, 0 gone, 1 skipped, 0 failed" in result.stderr
    listing = json.loads(run(runner, "list", "--db", db_path, "--json").stdout)
    assert "Does Acupuncture Work For Neuropathy?" in [p["title"] for p in listing]
    assert set(listing[0]) == {"url", "title", "author", "published", "updated", "sections", "images", "tags",
                               "categories", "excerpt", "canonical_url", "language"}


def test_saved_html_page_is_archived_under_its_canonical_url(runner, db_path):
    page = FIXTURES / "wix-site" / "post" / "does-acupuncture-work-for-neuropathy.html"
    assert run(runner, "import", page, "--db", db_path).exit_code == 0
    post = json.loads(run(runner, "show", "does-acupuncture-work-for-neuropathy", "--db", db_path,
                          "--format", "json").stdout)
    assert post["url"] == "https://www.example-clinic.com/post/does-acupuncture-work-for-neuropathy"
    assert post["author"] == "Laura Mann"
    assert [s["heading"] for s in post["sections"][1:]] == SEED_HEADINGS


def test_saved_listing_page_is_reported_as_not_a_post(runner, db_path):
    result = run(runner, "import", FIXTURES / "wix-site" / "blog.html", "--db", db_path)
    assert_one_line_error(result, "not a blog post")


def test_list_prints_one_line_per_post_newest_first(runner, db_path):
    run(runner, "demo", "--port", "0", "--db", db_path, "--quiet")
    lines = run(runner, "list", "--db", db_path).stdout.splitlines()
    assert len(lines) == 9
    dates = [line[:10] for line in lines]
    assert dates == sorted(dates, reverse=True)


def test_corrupt_database_is_refused_before_any_request(runner, tmp_path, site):
    db = tmp_path / "archive.db"
    db.write_bytes(b"not a database at all" * 100)
    result = run(runner, "crawl", site.origin, "--db", db, "--delay", "0")
    assert_one_line_error(result, "not a blog-archive database")
    assert site.requests == []


@pytest.mark.parametrize("address, message", [
    ("http://[::1", "'http://[::1' is not a web address (Invalid IPv6 URL)"),
    ("http://" + "a" * 300 + ".example/", "has no valid host name"),
    ("https://clinic.example:99999/", "is not a web address (Port out of range 0-65535)"),
    ("ftp://clinic.example/", "'ftp://clinic.example/' is not an http(s) address"),
])
def test_crawl_of_an_impossible_address_is_one_error_line(runner, db_path, address, message):
    result = runner.invoke(cli, ["crawl", address, "--db", str(db_path)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr) < 200
    assert not db_path.exists()
