"""One Markdown rendering for `show --format markdown` and the Markdown export: text always stays text."""
from __future__ import annotations

from click.testing import CliRunner
from markdown_it import MarkdownIt

from archive.cli import cli
from archive.render import as_markdown
from archive.store import open_archive, save_post
from scraper.models import Image, Post, Section

HOSTILE = Post(url="https://www.example-clinic.com/post/tags", title="<img src=x onerror=alert(1)> & more",
               author="<b>Eve</b>",
               sections=[Section(None, 1, "Write &lt;script&gt; to <script>alert(1)</script>",
                                 "<p>Write &lt;script&gt;alert(1)&lt;/script&gt; in a post</p>"),
                         Section("<i>Heading</i> ##", 2, "x", "<p>x</p>")],
               images=[Image("https://static.wixstatic.com/media/a.jpg", "<alt>", "<caption>")])


def rendered_html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).render(markdown)  # raw HTML on, as Eleventy and Jekyll may


def test_show_markdown_renders_escaped_text_as_text_never_as_markup():
    html = rendered_html(as_markdown(HOSTILE))
    assert "<script" not in html and "<img src=x" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_show_command_and_export_share_the_body_rendering(db_path, tmp_path):
    db = open_archive(db_path)
    save_post(db, HOSTILE)
    shown = CliRunner().invoke(cli, ["show", HOSTILE.url, "--format", "markdown", "--db", str(db_path)]).stdout
    CliRunner().invoke(cli, ["export", "markdown", str(tmp_path / "out"), "--db", str(db_path)])
    exported = next((tmp_path / "out").rglob("*.md")).read_text(encoding="utf-8")
    body = shown.split("\n\n", 2)[2]  # after the title and the facts
    assert body.strip() in exported
