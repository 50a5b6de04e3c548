"""The command line, run through click's CliRunner against real files, real SQLite and a real local server."""
from __future__ import annotations

import json
import os
import pty
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from processes import command

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
    for name, each in cli.commands.items():
        assert each.help, name
        for param in each.params:
            if param.param_type_name == "option":
                assert param.help, f"{name} {param.opts}"


def test_demo_crawls_the_bundled_site(runner, db_path):
    result = run(runner, "demo", "--port", "0", "--db", db_path)
    assert result.exit_code == 0, result.output
    assert "9 new, 0 changed, 0 unchanged, 0 gone, 1 skipped, 0 failed" in result.stderr
    listing = json.loads(run(runner, "list", "--db", db_path, "--json").stdout)
    assert "Does Acupuncture Work For Neuropathy?" in [p["title"] for p in listing]
    assert set(listing[0]) == {"url", "title", "author", "published", "updated", "sections", "images", "tags",
                               "categories", "excerpt", "canonical_url", "language", "status", "gone_at", "warnings"}


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


# First steps: the demo, and finding its archive afterwards.

def test_a_demo_rerun_on_another_port_leaves_the_same_posts_once(runner, db_path):
    first = run(runner, "demo", "--db", db_path, "--quiet")
    second = run(runner, "demo", "--db", db_path, "--quiet")
    assert "9 new" in first.stderr and "0 new, 0 changed, 9 unchanged" in second.stderr
    listing = json.loads(run(runner, "list", "--db", db_path, "--json").stdout)
    assert len(listing) == 9
    assert all(post["url"].startswith("https://www.example-clinic.com/") for post in listing)


def test_the_demo_runs_while_port_8642_is_taken(runner, db_path):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", 8642))
            sock.listen()
        except OSError:
            pass  # taken already: the case itself
        result = run(runner, "demo", "--db", db_path, "--quiet")
    assert result.exit_code == 0, result.output
    assert "9 new" in result.stderr


def test_list_after_the_demo_reads_the_demos_archive_and_says_so(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BLOG_ARCHIVE_DB", raising=False)
    assert run(runner, "demo", "--quiet").exit_code == 0
    result = run(runner, "list")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 9
    assert "demo.db" in result.stderr
    assert not (tmp_path / "archive.db").exists()


def test_the_demo_ignores_the_archive_named_in_the_environment(runner, tmp_path, db_path):
    result = run(runner, "demo", "--db", db_path, "--quiet", env={"BLOG_ARCHIVE_DB": str(tmp_path / "mine.db")})
    assert result.exit_code == 0
    assert db_path.exists() and not (tmp_path / "mine.db").exists()


# Listing: one JSON shape, columns that line up, counts that agree with their nouns.

def short_note(tmp_path: Path) -> Path:
    """A post with warnings: a very short body, no date, no author."""
    note = tmp_path / "holiday-hours.txt"
    note.write_text("Holiday Hours\n\nWe are closed on Monday for the holiday. See you Tuesday.\n")
    return note


def test_list_json_and_list_warnings_json_give_one_shape(runner, db_path, tmp_path):
    run(runner, "import", SEED, short_note(tmp_path), "--db", db_path)
    every = json.loads(run(runner, "list", "--json", "--db", db_path).stdout)
    flagged = json.loads(run(runner, "list", "--warnings", "--json", "--db", db_path).stdout)
    assert len(every) == 2 and len(flagged) == 1
    assert flagged[0] in every and set(flagged[0]) == set(every[0]) == set(every[1])
    assert "no author" in flagged[0]["warnings"] and flagged[0]["status"] == "active"


def test_list_columns_line_up(runner, db_path, tmp_path):
    run(runner, "demo", "--db", db_path, "--quiet")
    long_author = tmp_path / "guest.txt"
    long_author.write_text("top of page\nWriter's picture\nDr. Maximiliana Evangelista-Worthington, DACM, LAc\n"
                           "A Guest Post\nUpdated: Mar 3, 2024\n\n" + "Some words on sleep. " * 30
                           + "\nbottom of page\n")
    run(runner, "import", long_author, "--db", db_path)
    lines = run(runner, "list", "--db", db_path).stdout.splitlines()
    assert len(lines) == 10
    assert len({line.index("https://") if "https://" in line else line.index("file://") for line in lines}) == 1


def test_counts_agree_with_their_nouns(runner, db_path, tmp_path):
    run(runner, "import", SEED, "--db", db_path)
    assert run(runner, "list", "--db", db_path).stderr == "1 post\n"
    assert run(runner, "search", "neuropathy", "--db", db_path).stderr == "1 hit\n"
    assert run(runner, "search", "--rebuild", "--db", db_path).stderr == "search index rebuilt: 1 post\n"
    run(runner, "import", short_note(tmp_path), "--db", db_path)
    assert run(runner, "list", "--db", db_path).stderr == "2 posts\n"
    assert run(runner, "list", "--warnings", "--db", db_path).stderr == "1 post with warnings\n"


# Help: an example in every command's, no internal words, every command named at the top.

@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_commands_help_has_an_example_and_no_internal_words(runner, name):
    text = run(runner, name, "--help").stdout
    assert "Example:" in text and f"blog-archive {name}" in text.split("Example:", 1)[1]
    for internal in ("to_dict", "Post.", "%Y", "RANGE", "FLOAT", "INTEGER"):
        assert internal not in text, (name, internal)


def test_the_top_level_help_names_every_command_in_its_text(runner):
    text = run(runner, "--help").stdout.split("Options:", 1)[0]
    for name in cli.commands:
        assert f" {name}" in text, name
    listed = run(runner, "--help").stdout.split("Commands:", 1)[1]
    assert "..." not in listed  # no command's summary cut short


def test_a_bad_date_is_one_line_error_that_shows_the_form(runner, db_path):
    run(runner, "import", SEED, "--db", db_path)
    result = runner.invoke(cli, ["search", "pain", "--since", "12/01/2024", "--db", str(db_path)])
    assert result.exit_code == 2
    assert "'12/01/2024' is not a date written YYYY-MM-DD" in result.stderr


def test_the_redirects_help_shows_the_libraries_default_pattern(runner):
    from archive.export.redirects import DEFAULT_PATTERN
    assert f"[default: {DEFAULT_PATTERN}]" in run(runner, "redirects", "--help").stdout


def test_an_unknown_export_format_is_refused_with_the_formats_named(runner, db_path, tmp_path):
    result = runner.invoke(cli, ["export", "pdf", str(tmp_path / "out"), "--db", str(db_path)])
    assert result.exit_code == 2
    assert "'pdf' is not one of 'markdown', 'wxr', 'ghost', 'jsonl', 'html', 'warc'" in result.stderr


# Start-up: each command imports what it uses.

HEAVY = ("archive.crawl", "archive.export", "scraper.extract", "scraper.fetch", "scraper.discover", "trafilatura",
         "dateparser", "bs4", "lxml", "requests", "markdownify", "nh3")
LOADED = """
import sys
from archive.__main__ import _run
sys.argv = ["blog-archive", *sys.argv[1:]]
code = _run()
print("LOADED", " ".join(sorted(sys.modules)))
"""


@pytest.mark.parametrize("args", [["--help"], ["list"], ["show", "does-acupuncture-work-for-neuropathy"],
                                  ["search", "tingling numbness"], ["history", "does-acupuncture-work-for-neuropathy"]])
def test_quick_commands_load_neither_the_crawler_nor_the_extractor_nor_the_exporters(runner, db_path, args):
    run(runner, "import", SEED, "--db", db_path)
    db_args = [] if args == ["--help"] else ["--db", str(db_path)]
    done = subprocess.run([sys.executable, "-c", LOADED, *args, *db_args], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.rsplit("LOADED ", 1)[1].split())
    assert not {name for name in loaded if name.split(".")[0] in HEAVY or name in HEAVY
                or any(name.startswith(heavy + ".") for heavy in HEAVY)}


# Discovery's progress: on a terminal only.

def test_discovery_shows_its_progress_on_a_terminal_before_the_archiving_bar(site, db_path):
    output = on_a_terminal("crawl", site.origin, "--db", db_path, "--delay", "0")
    finding = output.find("Finding posts on")
    assert finding != -1, output
    assert "sitemap" in output[finding:output.find("Found 10 post URLs")]
    assert finding < output.find("Found 10 post URLs") < output.find("Archiving")


def test_discovery_is_silent_on_a_terminal_with_quiet_and_when_piped(runner, site, db_path, tmp_path):
    assert "Finding posts" not in on_a_terminal("crawl", site.origin, "--db", db_path, "--delay", "0", "--quiet")
    piped = run(runner, "crawl", site.origin, "--db", tmp_path / "other.db", "--delay", "0")
    assert "Finding posts" not in piped.stderr and "Archiving" not in piped.stderr
    assert "Found 10 post URLs" in piped.stderr


def on_a_terminal(*args: object) -> str:
    """Run the installed command with its stderr on a pseudo-terminal; return what it wrote there."""
    main, follower = pty.openpty()
    process = subprocess.Popen(command(*args), stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8", errors="replace")


# The crawl is a library function: the command only prints what it returns.

def test_the_crawl_is_a_library_function_that_returns_what_the_command_prints(site, fetcher, db_path):
    from archive.crawl import crawl
    result = crawl(db_path, [site.origin], fetcher)
    assert len(result.summary.new) == 9 and len(result.summary.skipped) == 1
    assert [d.site for d in result.discoveries] == [site.origin + "/"] and result.planned == 10
    again = crawl(db_path, [site.origin], fetcher)
    assert len(again.summary.unchanged) == 9 and not again.summary.new


def test_redirects_without_a_pattern_use_the_libraries_default(runner, db_path):
    from archive.export.redirects import DEFAULT_PATTERN
    run(runner, "import", SEED, "--url", "https://www.wildflower-acupuncture.example/post/neuropathy", "--db", db_path)
    result = run(runner, "redirects", "--db", db_path)
    new_path = DEFAULT_PATTERN.format(slug="neuropathy")
    assert result.stdout == f"location = /post/neuropathy {{ return 301 {new_path}; }}\n"
