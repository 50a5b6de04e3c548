"""Property-based robustness tests: mangled pages give a Post or an ExtractionError, never anything else, and fast.

Every call goes through `_extract` / `_parse_text`, which time the call with perf_counter, turn any exception
other than ExtractionError into a test failure and check the shape of a returned Post.
"""
from __future__ import annotations

import html as html_lib
import json
import time
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scraper.demo import SITE_DIR
from scraper.encoding import decode_body
from scraper.errors import ExtractionError, NotAPostError
from scraper.extract import extract_post
from scraper.models import Post, Section
from scraper.textdump import parse_text

# '<?xml ?>' in random tag soup makes bs4 warn that the page looks like XML: expected here.
pytestmark = pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")

URL = "https://www.example-clinic.com/post/robustness"
TIME_LIMIT = 5.0  # seconds per page
SAMPLE_PATHS = sorted((SITE_DIR / "post").glob("*.html"))
SAMPLE_NAMES = [p.name for p in SAMPLE_PATHS]
ARTICLE_OPEN = 'data-hook="post-description">'

FUZZ = settings(deadline=None, max_examples=50, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HEAVY = settings(FUZZ, max_examples=15)  # examples that are megabytes or thousands of levels deep


@lru_cache(maxsize=None)
def sample(name: str) -> str:
    return (SITE_DIR / "post" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def sample_post(name: str) -> Post:
    return extract_post(sample(name), URL)


def check_post(post: Post, *, max_level: int = 6) -> None:
    assert isinstance(post, Post), type(post)
    assert post.title is None or isinstance(post.title, str), post.title
    assert isinstance(post.sections, list), type(post.sections)
    for section in post.sections:
        assert isinstance(section, Section), type(section)
        assert type(section.level) is int and 1 <= section.level <= max_level, section.level
        assert isinstance(section.text, str), type(section.text)
        assert isinstance(section.html, str), type(section.html)
        assert section.heading is None or isinstance(section.heading, str), section.heading
    for name in post.tags + post.categories:
        assert isinstance(name, str)


def _timed(func, *args) -> Post | ExtractionError:
    start = time.perf_counter()
    try:
        result = func(*args)
    except ExtractionError as exc:
        result = exc
    except Exception as exc:  # noqa: BLE001 - anything else is the bug these tests look for
        raise AssertionError(f"{func.__name__} raised {type(exc).__name__}: {str(exc)[:300]}") from exc
    finally:
        elapsed = time.perf_counter() - start
    assert elapsed < TIME_LIMIT, f"{func.__name__} took {elapsed:.2f}s on a {len(args[0])}-character input"
    if not isinstance(result, ExtractionError):
        check_post(result, max_level=6 if func is extract_post else 2)
    return result


def _extract(html: str) -> Post | ExtractionError:
    return _timed(extract_post, html, URL)


def _parse_text(text: str) -> Post | ExtractionError:
    return _timed(parse_text, text, URL)


def test_samples_extract_cleanly():
    """The unmangled pages are posts: the baseline the properties below are measured against."""
    assert len(SAMPLE_NAMES) >= 5
    for name in SAMPLE_NAMES:
        post = _extract(sample(name))
        assert isinstance(post, Post), (name, post)
        assert post.title and post.body_text.strip(), name


# --- truncation ---------------------------------------------------------------------------------------------

@FUZZ
@given(name=st.sampled_from(SAMPLE_NAMES), data=st.data())
def test_truncated_sample_page_gives_post_or_extraction_error(name, data):
    page = sample(name)
    cut = data.draw(st.integers(0, len(page)), label="cut")
    result = _extract(page[:cut])
    article_end = page.find("</article>", page.find(ARTICLE_OPEN))
    if cut >= article_end + len("</article>"):
        # the whole article survives the cut: the body must still come out
        assert isinstance(result, Post), result
        assert result.body_text == sample_post(name).body_text


# --- random bytes -------------------------------------------------------------------------------------------

@FUZZ
@given(raw=st.binary(max_size=4096), codec=st.sampled_from(["latin-1", "utf-8"]),
       wrap=st.sampled_from(["{}", "<html><body>{}</body></html>", '<article data-hook="post">{}</article>']))
def test_random_bytes_decoded_with_replacement_give_post_or_extraction_error(raw, codec, wrap):
    _extract(wrap.format(raw.decode(codec, errors="replace")))


@FUZZ
@given(raw=st.one_of(st.binary(max_size=4096), st.text(max_size=2000).map(lambda s: s.encode("utf-8"))),
       content_type=st.sampled_from([None, "text/html", "text/html; charset=utf-8", "text/html; charset=latin-1",
                                     "text/html; charset=utf-16", "text/html; charset=no-such-codec",
                                     'text/html; charset="'])
       )
def test_random_bytes_through_decode_body_give_post_or_extraction_error(raw, content_type):
    text = decode_body(raw, content_type)
    assert isinstance(text, str)
    if content_type == "text/html; charset=utf-8" and not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        try:
            expected = raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:  # a true header is believed
            assert text == expected
    _extract(text)


# --- deep nesting -------------------------------------------------------------------------------------------

MARKER = "Deeply nested acupuncture text that is long enough to count as an article body here."
NESTINGS = {
    "div": ("<div>", "</div>"),
    "span": ("<span>", "</span>"),
    "list": ("<ul><li>", "</li></ul>"),
    "ordered-list": ("<ol><li>", "</li></ol>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "section-p": ("<section><p>", "</p></section>"),
    "bold-italic": ("<b><i>", "</i></b>"),
    "table": ("<table><tr><td>", "</td></tr></table>"),
}
WRAPPERS = {
    "wix": '<html><head><meta name="generator" content="Wix.com Website Builder"></head><body>'
           '<article data-hook="post"><div data-hook="post-description">{}</div></article></body></html>',
    "generic-article": "<html><head><title>Deep</title></head><body><article>{}</article></body></html>",
    "entry-content": '<html><body><div class="entry-content">{}</div></body></html>',
    "bare": "<html><body>{}</body></html>",
}


@settings(HEAVY, max_examples=30)
@example(kind="span", wrapper="wix", depth=244, heading_inside=True)  # just inside the accepted depth
@example(kind="div", wrapper="generic-article", depth=244, heading_inside=True)
@example(kind="list", wrapper="entry-content", depth=122, heading_inside=True)
@example(kind="table", wrapper="wix", depth=81, heading_inside=False)
@example(kind="span", wrapper="wix", depth=5000, heading_inside=True)
@example(kind="blockquote", wrapper="bare", depth=5000, heading_inside=True)
@given(kind=st.sampled_from(sorted(NESTINGS)), wrapper=st.sampled_from(sorted(WRAPPERS)),
       depth=st.one_of(st.integers(1, 260), st.integers(260, 5000)), heading_inside=st.booleans())
def test_deeply_nested_markup_never_hits_recursion_error(kind, wrapper, depth, heading_inside):
    opening, closing = NESTINGS[kind]
    inner = MARKER + ("<h2>Inner heading</h2><p>" + MARKER + "</p>" if heading_inside else "")
    page = WRAPPERS[wrapper].format(opening * depth + inner + closing * depth)
    result = _extract(page)
    if isinstance(result, Post):
        assert "Deeply nested acupuncture text" in result.body_text
    elif wrapper != "bare" and depth * opening.count("<") + 6 <= 250:
        # far deeper than real pages (~30 levels) yet within what the extractor accepts: the text must come out
        pytest.fail(f"a post nested {depth} x {opening} deep was rejected: {result!r}")


# --- huge attributes ----------------------------------------------------------------------------------------

def _huge(seed: str, size: int) -> str:
    return (seed * (size // len(seed) + 1))[:size]


@HEAVY
@given(name=st.sampled_from(SAMPLE_NAMES), size=st.integers(1_000_000, 3_000_000),
       seed=st.text(min_size=1, max_size=8), attribute=st.sampled_from(["data-junk", "class", "style", "href",
                                                                         "aria-label", "title", "id"]))
def test_huge_attribute_inside_article_keeps_the_post(name, size, seed, attribute):
    page = sample(name)
    value = html_lib.escape(_huge(seed, size), quote=True)
    page = page.replace(ARTICLE_OPEN, f'{ARTICLE_OPEN}<p {attribute}="{value}">Huge attribute paragraph.</p>', 1)
    result = _extract(page)
    assert isinstance(result, Post), result
    assert "Huge attribute paragraph." in result.body_text


@HEAVY
@given(name=st.sampled_from(SAMPLE_NAMES), size=st.integers(1_000_000, 3_000_000),
       shape=st.sampled_from(["valid-uri", "valid-no-uri", "truncated", "not-an-object", "uri-not-a-string"]))
def test_huge_data_image_info_keeps_the_post(name, size, shape):
    filler = _huge("ab\"c\\ ", size)
    info = {
        "valid-uri": json.dumps({"imageData": {"uri": "b6f2c1_" + "0" * 32 + "~mv2.png", "filler": filler}}),
        "valid-no-uri": json.dumps({"imageData": {"filler": filler}}),
        "truncated": json.dumps({"imageData": {"uri": filler}})[: size // 2],
        "not-an-object": json.dumps([filler, 1, None]),
        "uri-not-a-string": json.dumps({"imageData": {"uri": [filler]}, "x": 1}),
    }[shape]
    image = f'<wow-image data-image-info="{html_lib.escape(info, quote=True)}"><img src="/fallback.png"></wow-image>'
    page = sample(name).replace(ARTICLE_OPEN, ARTICLE_OPEN + image, 1)
    result = _extract(page)
    assert isinstance(result, Post), result
    assert result.body_text == sample_post(name).body_text
    for image in result.images:
        assert isinstance(image.src, str) and image.src.startswith("https://"), image.src[:200]
        assert filler[:100] not in image.src


@HEAVY
@given(name=st.sampled_from(SAMPLE_NAMES), size=st.integers(1_000_000, 3_000_000),
       seed=st.sampled_from(['{"@type": "BlogPosting", "headline": "', "[[[[{", '{"a":', "}}}]]", "\\u12",
                             '{"@graph": [', "</scr", "\x00\ufffd"]))
def test_huge_invalid_json_ld_keeps_the_post(name, size, seed):
    block = f'<script type="application/ld+json">{_huge(seed, size)}</script>'
    page = sample(name).replace("</head>", block + "</head>", 1)
    result = _extract(page)
    assert isinstance(result, Post), result
    assert result.body_text == sample_post(name).body_text


# --- spliced and replaced content ---------------------------------------------------------------------------

TAG_SOUP = st.lists(st.one_of(
    st.sampled_from(["<div>", "</div>", "<p>", "</p>", "<h2>", "</h2>", "<h7>", "<ul>", "<li>", "</ul>", "<!--",
                     "-->", "<script>", "</script>", "<style>", '<article data-hook="post">', "</article>",
                     '<div data-hook="post-description">', '<span data-hook="time-ago" title="', "<![CDATA[",
                     "]]>", "&", "&#0;", "&#xD800;", "&amp", "\x00", "<br/>", "<img src=", '"', "'", "=", "<",
                     ">", "</", "<?xml ?>", "<!DOCTYPE", "<wow-image data-image-info='{", "<table><tr><td>",
                     "<h1 data-hook=post-title>", "Updated: ", "<time datetime='", "<a href='/tags/", "<figure>",
                     "<meta charset=utf-16>", "<html>", "<body>", "</body>", "\ufeff", "\r", "\u2028"]),
    st.text(max_size=20),
), max_size=60).map("".join)


@FUZZ
@given(name=st.sampled_from(SAMPLE_NAMES), data=st.data(),
       how=st.sampled_from(["chunk-from-elsewhere", "tag-soup", "text", "characters"]))
def test_page_with_spliced_or_replaced_content_gives_post_or_extraction_error(name, data, how):
    page = sample(name)
    start = data.draw(st.integers(0, len(page)), label="start")
    end = data.draw(st.integers(start, min(len(page), start + 20_000)), label="end")
    if how == "chunk-from-elsewhere":
        src = data.draw(st.integers(0, len(page)), label="src")
        insert = page[src:src + data.draw(st.integers(0, 20_000), label="length")]
        page = page[:start] + insert + page[end:]
    elif how == "tag-soup":
        page = page[:start] + data.draw(TAG_SOUP, label="soup") + page[end:]
    elif how == "text":
        page = page[:start] + data.draw(st.text(max_size=200), label="text") + page[end:]
    else:
        chars = list(page)
        for _ in range(data.draw(st.integers(1, 50), label="replacements")):
            at = data.draw(st.integers(0, len(chars) - 1))
            chars[at] = data.draw(st.characters(codec="utf-8") | st.sampled_from(list("<>/\"'=&;\x00")))
        page = "".join(chars)
    _extract(page)


@FUZZ
@given(soup=TAG_SOUP)
def test_random_tag_soup_gives_post_or_extraction_error(soup):
    result = _extract(soup)
    if not soup.strip():
        assert isinstance(result, ExtractionError)


# --- wrong encodings ----------------------------------------------------------------------------------------

@FUZZ
@given(name=st.sampled_from(SAMPLE_NAMES),
       codec=st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1", "utf-8"]),
       lie=st.sampled_from(["utf-8", "utf-16", "iso-8859-1", "shift_jis", "koi8-r", "x-no-such-charset", "",
                            "utf-32"]),
       header=st.sampled_from(["none", "plain", "lie", "truth"]))
def test_page_in_wrong_encoding_with_lying_meta_charset(name, codec, lie, header):
    page = sample(name).replace("<meta charset='utf-8'>", f"<meta charset='{lie}'>", 1)
    raw = page.encode(codec, errors="replace")
    content_type = {"none": None, "plain": "text/html", "lie": f"text/html; charset={lie}",
                    "truth": f"text/html; charset={codec}"}[header]
    text = decode_body(raw, content_type)
    assert isinstance(text, str) and text
    # A true header settles it; so does a byte-order mark when no header names a charset. (A header naming a
    # single-byte charset currently wins over a UTF-16 BOM, unlike in browsers: that only gives mojibake.)
    settled = header == "truth" or (codec == "utf-16" and header in ("none", "plain"))
    if settled:
        assert text.lstrip("\ufeff") == page.encode(codec, errors="replace").decode(codec)
    result = _extract(text)
    if settled:
        assert isinstance(result, Post), result
        assert result.title == sample_post(name).title or codec in ("cp1252", "latin-1")


# --- parse_text ---------------------------------------------------------------------------------------------

DUMP_LINES = st.lists(st.one_of(
    st.text(max_size=120),
    st.sampled_from(["", "Writer's picture", "Jane Doe", "Dec 3, 2023", "3 min read", "• Dec 3, 2023 · 3 min read",
                     "Updated: Jan 5", "By Jane Doe", "Published on 2023-12-03 by Jane", "Tags: a, b, #c",
                     "Categories: Health", "- item", "1. first", "• bullet", "Recent Posts", "© 2024 Clinic",
                     "12 views", "Home", "Blog", "Log In", "31 ago 2022 · 3 min read", "Admin",
                     "Published: 99/99/9999", "Updated on 2023-02-30", "9999999999999999999999 ago"]),
)).map("\n".join)


@FUZZ
@given(text=st.text())
def test_parse_text_on_arbitrary_text_gives_post_or_extraction_error(text):
    result = _parse_text(text)
    if not text.strip():
        assert isinstance(result, NotAPostError)


@FUZZ
@given(text=DUMP_LINES)
def test_parse_text_on_dump_like_lines_gives_post_or_extraction_error(text):
    result = _parse_text(text)
    if isinstance(result, Post):
        assert result.sections, "a Post from parse_text has at least one section"
