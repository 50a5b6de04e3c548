"""Extraction from fixture pages: every field compared with the page's expected JSON."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper import errors
from scraper.encoding import decode_body
from scraper.extract import extract_post
from scraper.models import Post
from scraper.profiles.wix import original_image_url

PAGES = Path(__file__).parent / "fixtures" / "pages"
PAGE_NAMES = sorted(p.name.removesuffix(".html") for p in PAGES.glob("*.html"))


def load(name: str) -> tuple[str, dict]:
    html = decode_body((PAGES / f"{name}.html").read_bytes())
    return html, json.loads((PAGES / f"{name}.expected.json").read_text(encoding="utf-8"))


def all_text(post: Post) -> str:
    return "\n".join(f"{s.heading or ''}\n{s.text}" for s in post.sections)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_fixture_page_extracts_as_expected(name):
    html, expected = load(name)
    if "_error" in expected:
        with pytest.raises(getattr(errors, expected["_error"])):
            extract_post(html, expected["_url"])
        return
    post = extract_post(html, expected["_url"])
    for field in ("title", "author", "author_url", "author_account", "published", "updated", "tags", "categories",
                  "canonical_url", "language", "translations", "excerpt"):
        if field in expected:
            assert getattr(post, field) == expected[field], field
    if "headings" in expected:
        assert [[s.level, s.heading] for s in post.sections if s.heading] == expected["headings"]
    if "images" in expected:
        assert [vars(image) for image in post.images] == expected["images"]
    text = all_text(post)
    for phrase in expected.get("in_text", []):
        assert phrase in text
    for phrase in expected.get("not_in_text", []):
        assert phrase not in text
    html = "\n".join(s.html for s in post.sections)
    for fragment in expected.get("in_html", []):
        assert fragment in html
    for fragment in expected.get("not_in_html", []):
        assert fragment not in html


def test_site_level_json_ld_never_supplies_the_author():
    html = """<html><head><meta name="generator" content="Wix.com Website Builder">
    <script type="application/ld+json">{"@type":"MedicalClinic","name":"Wildflower Acupuncture",
     "author":{"name":"Clinic Owner"},"description":"We treat pain."}</script></head>
    <body><article data-hook="post"><h1 data-hook="post-title">Needles</h1>
    <div data-hook="post-description"><p>Fine needles, gently placed.</p></div></article></body></html>"""
    post = extract_post(html, "https://www.example-clinic.com/post/needles")
    assert post.author is None
    assert post.excerpt == "Fine needles, gently placed."


def test_wix_page_without_post_article_is_not_a_post():
    html = """<html><head><meta name="generator" content="Wix.com Website Builder"><title>About</title></head>
    <body><main><h1>About us</h1><p>We are a small clinic in the valley, treating pain since 2009.</p></main></body></html>"""
    with pytest.raises(errors.NotAPostError):
        extract_post(html, "https://www.example-clinic.com/about")


@pytest.mark.parametrize("html", ["", "   ", "\x00\x01binary"])
def test_empty_or_binary_input_raises_extraction_error(html):
    with pytest.raises(errors.ExtractionError):
        extract_post(html)


@pytest.mark.parametrize("src, original", [
    ("https://static.wixstatic.com/media/3e1f2a_0123456789abcdef0123456789abcdef%7Emv2.jpg/v1/fill/w_89,h_66,"
     "al_c,q_30,blur_2,enc_auto/3e1f2a_0123456789abcdef0123456789abcdef%7Emv2.jpg",
     "https://static.wixstatic.com/media/3e1f2a_0123456789abcdef0123456789abcdef~mv2.jpg"),
    ("3e1f2a_0123456789abcdef0123456789abcdef~mv2.png",
     "https://static.wixstatic.com/media/3e1f2a_0123456789abcdef0123456789abcdef~mv2.png"),
    ("3e1f2a_0123456789abcdef0123456789abcdef~mv2_d_1920_1271_s_2.jpg",
     "https://static.wixstatic.com/media/3e1f2a_0123456789abcdef0123456789abcdef~mv2_d_1920_1271_s_2.jpg"),
    ("nsplsh_5f6e7d8c9b0a1f2e3d4c5b6a~mv2.webp",
     "https://static.wixstatic.com/media/nsplsh_5f6e7d8c9b0a1f2e3d4c5b6a~mv2.webp"),
    ("0f1e2d3c4b5a69788796a5b4c3d2e1f0.gif", "https://static.wixstatic.com/media/0f1e2d3c4b5a69788796a5b4c3d2e1f0.gif"),
    ("https://cdn.example.org/a.jpg", "https://cdn.example.org/a.jpg"),
])
def test_wix_image_urls_lose_their_transform(src, original):
    assert original_image_url(src, "https://www.example-clinic.com/post/cupping") == original


def test_very_long_post_keeps_every_section_in_order():
    parts = [f"<h2>Part {i}</h2><p>Paragraph {i} of a very long post about acupuncture and sleep.</p>"
             for i in range(1500)]
    html = ("<html><head><meta name='generator' content='Wix.com Website Builder'></head><body>"
            "<article data-hook='post'><h1 data-hook='post-title'>Long</h1><div data-hook='post-description'>"
            + "".join(parts) + "</div></article></body></html>")
    post = extract_post(html, "https://www.example-clinic.com/post/long")
    assert [s.heading for s in post.sections] == [f"Part {i}" for i in range(1500)]
    assert post.sections[-1].text == "Paragraph 1499 of a very long post about acupuncture and sleep."


def test_wix_author_profile_url_comes_from_json_ld():
    page = Path(__file__).parent / "fixtures" / "wix-site" / "post" / "gua-sha-at-home.html"
    post = extract_post(decode_body(page.read_bytes()), "https://www.example-clinic.com/post/gua-sha-at-home")
    assert post.author == "Jenna Reyes"
    assert post.author_url == "https://www.example-clinic.com/profile/jennareyes/profile"
    assert "author_url" not in post.to_dict()


@pytest.mark.parametrize("paragraph, bold", [
    ("<p><strong>Why cupping helps</strong></p>", "<strong>Why cupping helps</strong>"),
    ("<p><span><strong style='font-weight:700'>November 2023</strong></span></p>", "<strong>November 2023</strong>"),
    ("<p><strong>You can see more of Helen's work here -</strong></p>",
     "<strong>You can see more of Helen's work here -</strong>"),
])
def test_a_bold_paragraph_stays_a_bold_paragraph(paragraph, bold):
    html = ("<html><head><meta name='generator' content='Wix.com Website Builder'></head><body>"
            "<article data-hook='post'><h1 data-hook='post-title'>Bold</h1><div data-hook='post-description'>"
            f"<p>Intro text for the post.</p>{paragraph}<p>Body text after it.</p></div></article></body></html>")
    post = extract_post(html, "https://www.example-clinic.com/post/bold")
    assert [s.heading for s in post.sections] == [None]
    assert f"<p>{bold}</p>" in post.sections[0].html


def test_yoast_author_given_by_reference_is_looked_up_in_the_graph():
    html = """<html><head><script type="application/ld+json">{"@context":"https://schema.org","@graph":[
      {"@type":"Article","@id":"https://c.example/p/#article","headline":"Moxa","mainEntityOfPage":
       {"@id":"https://c.example/p/"},"author":{"@id":"https://c.example/#/schema/person/1"}},
      {"@type":"Person","@id":"https://c.example/#/schema/person/1","name":"Dr. Ana Ruiz",
       "url":"https://c.example/author/ana/"}]}</script></head>
      <body><article><div class="entry-content"><p>Moxa warms the channels and is used for cold patterns in
      winter, mostly on the lower back and belly.</p></div></article></body></html>"""
    post = extract_post(html, "https://c.example/p/")
    assert post.author == "Dr. Ana Ruiz"
    assert post.author_url == "https://c.example/author/ana/"


def test_wix_tag_cloud_beside_the_article_gives_the_tags_but_the_blog_nav_gives_no_categories():
    html = """<html><head><meta name="generator" content="Wix.com Website Builder"></head><body>
      <nav aria-label="blog"><a href="/blog/categories/pain">Pain</a></nav>
      <article data-hook="post"><h1 data-hook="post-title">Moxa</h1>
      <div data-hook="post-description"><p>Moxa warms the channels.</p></div></article>
      <nav data-hook="tag-cloud-root"><a href="/blog/tags/moxa">moxa</a><a href="/blog/tags/winter">winter</a></nav>
      </body></html>"""
    post = extract_post(html, "https://www.example-clinic.com/post/moxa")
    assert post.tags == ["moxa", "winter"]
    assert post.categories == []


def test_trafilatura_finds_the_date_a_page_only_puts_in_its_url():
    html = """<html><head><title>Winter moxa</title></head><body><article><h1>Winter moxa</h1>
      <p>Moxa warms the channels and is used for cold patterns in winter, mostly on the lower back and the belly,
      for twenty minutes at a time, once or twice a week until spring.</p></article></body></html>"""
    post = extract_post(html, "https://c.example/2021/05/04/winter-moxa/")
    assert post.published == "2021-05-04"


def test_generic_byline_and_date_come_from_the_article_not_the_sidebar():
    html = """<html><head><meta property="og:type" content="article"><title>Cold hands</title></head><body>
      <aside><h3>Recent</h3><ul><li><time datetime="2024-09-09">Sep 9</time> <span class="author">Sam</span></li>
      </ul></aside>
      <article><h1>Cold hands</h1><p class="byline"><span class="author">By Jane Doe</span>
      <time datetime="2021-02-03T09:00:00+01:00">Feb 3, 2021</time></p>
      <p>Cold hands in winter often mean the circulation needs support, and acupuncture with a little moxa on
      the wrists and the belly is one of the gentlest ways we know to bring the warmth back.</p></article>
      </body></html>"""
    post = extract_post(html, "https://c.example/cold-hands")
    assert post.author == "Jane Doe"
    assert post.published == "2021-02-03T09:00:00+01:00"
