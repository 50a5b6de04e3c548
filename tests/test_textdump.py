"""scraper.textdump: plain text of a post page -> Post."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scraper.errors import ExtractionError, NotAPostError
from scraper.textdump import parse_text

DUMPS = Path(__file__).parent / "fixtures" / "dumps"
SEED = DUMPS / "does-acupuncture-work-for-neuropathy.txt"
SEED_HEADINGS = [
    "Modulation of Neurotransmitters",
    "Nerve Growth Factor Stimulation",
    "Anti-Inflammatory Effects",
    "Enhanced Blood Circulation",
    "Regulation of Ion Channels",
    "Neuroplasticity and Central Nervous System Changes",
]
NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
BODY = "This paragraph is the body of the post, and it is long enough to read as prose."


def read_dump(path: Path) -> str:
    """The dump exactly as stored: CRLF line endings and odd spaces kept."""
    return path.read_bytes().decode("utf-8")


def dump_cases() -> list[Path]:
    return sorted(DUMPS.glob("*.txt"))


def section_strings(post) -> list[str]:
    return [part for s in post.sections for part in (s.heading or "", s.text, s.html)]


# --- every fixture dump against its NAME.expected.json ---------------------------------------------------------

def test_every_dump_has_an_expected_file():
    assert len(dump_cases()) >= 5
    for path in dump_cases():
        assert path.with_suffix(".expected.json").exists(), path.name


@pytest.mark.parametrize("path", dump_cases(), ids=lambda p: p.stem)
def test_dump_matches_expected(path: Path):
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    post = parse_text(read_dump(path), url=f"https://example.com/post/{path.stem}")

    assert post.title == expected["title"]
    assert post.author == expected["author"]
    assert post.published == expected["published"]
    assert post.updated == expected["updated"]
    assert [s.heading for s in post.sections if s.heading] == expected["headings"]
    assert post.tags == expected["tags"]
    assert post.categories == expected["categories"]
    for chrome in expected["not_in_text"]:
        for part in section_strings(post):
            assert chrome not in part, f"{chrome!r} leaked into a section"
    for sentence in expected["in_text"]:
        assert sentence in post.body_text, f"{sentence!r} missing from the body"
    assert post.title not in post.body_text
    assert post.url == f"https://example.com/post/{path.stem}"
    assert post.images == []


# --- the real Wix seed ------------------------------------------------------------------------------------------

def test_seed_fields():
    post = parse_text(read_dump(SEED), url="https://www.wildfloweracu.com/post/does-acupuncture-work-for-neuropathy")
    assert post.title == "Does Acupuncture Work For Neuropathy?"
    assert post.author == "Laura Mann"
    assert post.updated == "2023-12-03"
    assert post.published is None
    assert post.canonical_url is None
    assert post.language is None
    assert post.images == []
    assert post.sections[0].heading is None and post.sections[0].level == 1
    assert [s.heading for s in post.sections[1:]] == SEED_HEADINGS
    assert all(s.level == 2 for s in post.sections[1:])


def test_seed_sections_hold_the_full_paragraphs():
    text = read_dump(SEED)
    blocks = [b for b in text.split("\n\n") if b.strip()]
    post = parse_text(text)
    for section in post.sections[1:]:
        paragraph = blocks[blocks.index(section.heading) + 1]
        assert section.text == paragraph
        assert section.html == f"<p>{paragraph}</p>"
    intro = post.sections[0]
    assert intro.text.startswith("Feet in the ocean\nAcupuncture for Neuropathy\n\nDoes acupuncture work")
    assert intro.text.endswith("Here are some of the ways in which acupuncture may help.")


def test_seed_excerpt_is_the_first_prose_paragraph_cut_at_a_word():
    post = parse_text(read_dump(SEED))
    assert post.excerpt.startswith("Does acupuncture work for neuropathy? We treat many patients")
    assert post.excerpt.endswith("…")
    assert len(post.excerpt) <= 201
    assert not post.excerpt[:-1].endswith(" ")


def test_image_caption_block_is_not_a_heading():
    post = parse_text(read_dump(SEED))
    assert "Feet in the ocean" not in [s.heading for s in post.sections]
    assert "<p>Feet in the ocean<br>Acupuncture for Neuropathy</p>" in post.sections[0].html


# --- errors -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "",
    "   \n\n\t\r\n",
    "top of page\nbottom of page",
    "top of page\nSkip to main content\nClinic Name\nHome\nAbout\nBlog\nContact\nLog In\n"
    "Share\nFacebook\n24 views\n0 comments\nRecent Posts\nSee All\n©2023 by Clinic Name\nbottom of page",
    "Home\nAbout\nBlog",
])
def test_chrome_only_text_raises_not_a_post(text):
    with pytest.raises(NotAPostError, match="no article text found"):
        parse_text(text)


def test_not_a_post_error_is_an_extraction_error():
    with pytest.raises(ExtractionError):
        parse_text("top of page\n\n  • Writer's picture Jo Bloggs\n  • 1 min read\n\n24 views\nbottom of page")


# --- title, author and dates ------------------------------------------------------------------------------------

def test_glued_writers_picture_gives_author():
    post = parse_text(f"  • Writer's pictureLaura Mann\n\nA Title\n\n{BODY}")
    assert post.author == "Laura Mann"
    assert post.title == "A Title"


def test_writers_picture_alone_takes_the_name_from_the_next_line():
    post = parse_text(f"Writer's picture\nofficemanager\nMar 3, 2021\n3 min read\nA Title\n\n{BODY}")
    assert post.author == "officemanager"
    assert post.published == "2021-03-03"
    assert post.title == "A Title"


def test_by_line_under_a_title_gives_title_and_author():
    post = parse_text(f"Clinic\nHome\nBlog\n\nMy Title\nWritten by Jane Doe\n\n{BODY}")
    assert post.title == "My Title"
    assert post.author == "Jane Doe"
    assert post.body_text == BODY


def test_date_line_under_a_title_gives_published():
    post = parse_text(f"My Title\n\n3 December 2023\n\n{BODY}")
    assert post.title == "My Title"
    assert post.published == "2023-12-03"
    assert post.body_text == BODY


@pytest.mark.parametrize("sentence", [
    "By inserting fine needles into specific points, we ease pain in many patients.",
    "By now, most of us know it.",
])
def test_sentence_starting_with_by_is_not_an_author(sentence):
    post = parse_text(f"A Title\n\n{sentence}")
    assert post.author is None
    assert post.body_text == sentence


def test_role_badge_under_the_author_is_dropped():
    post = parse_text(f"Writer's picture Jo Bloggs\nAdmin\nMar 3, 2021\n3 min read\nA Title\n\n{BODY}")
    assert post.title == "A Title"
    assert post.published == "2021-03-03"
    assert post.body_text == BODY


def test_author_of_a_recent_post_card_is_ignored():
    post = parse_text(f"A Title\n\n{BODY}\n\nRecent Posts\nSee All\n  • Writer's picture Sam Ortiz\nMar 3, 2021\n")
    assert post.author is None
    assert post.published is None


@pytest.mark.parametrize("line, published", [
    ("Dec 3, 2023", "2023-12-03"),
    ("3 December 2023", "2023-12-03"),
    ("2023-12-03", "2023-12-03"),
    ("Published: 3 March 2022", "2022-03-03"),
    ("Posted on December 3, 2023", "2023-12-03"),
    ("  • Dec 3, 2023 · 3 min read", "2023-12-03"),
    ("Dec 3, 2023 | 3 min read", "2023-12-03"),
])
def test_date_line_formats_give_published(line, published):
    post = parse_text(f"  • Writer's picture Jo Bloggs\n{line}\nA Title\n\n{BODY}")
    assert post.published == published
    assert post.title == "A Title"
    assert line.strip(" •") not in post.body_text


def test_updated_line_gives_updated_not_published():
    post = parse_text(f"A Title\n\nUpdated: Dec 3, 2023\n\n{BODY}")
    assert post.updated == "2023-12-03"
    assert post.published is None


def test_date_without_year_gets_the_current_year():
    post = parse_text(f"Writer's picture Jo Bloggs\nMar 27\n1 min read\nA Title\n\n{BODY}", now=NOW)
    assert post.published == "2024-03-27"


def test_date_with_time_and_offset_keeps_them():
    post = parse_text(f"A Title\n\nPublished: 2023-12-03T10:15:00+01:00\n\n{BODY}")
    assert post.published == "2023-12-03T10:15:00+01:00"


def test_unreadable_date_between_header_lines_is_dropped():
    post = parse_text(f"Writer's picture Ana Ruiz\n31 ago 2022\n3 min read\nA Title\n\n{BODY}")
    assert post.title == "A Title"
    assert "31 ago" not in post.body_text


def test_unreadable_date_beside_a_read_time_is_dropped():
    post = parse_text(f"Writer's picture Ana Ruiz\n31 ago 2022 · 3 min read\nA Title\n\n{BODY}")
    assert post.title == "A Title"
    assert post.published is None
    assert post.body_text == BODY


def test_relative_date_under_the_title_is_dropped():
    post = parse_text(f"A Title\n\n2 days ago\n\n{BODY}")
    assert post.title == "A Title"
    assert post.body_text == BODY


def test_year_alone_is_not_a_date():
    post = parse_text(f"A Title\n\n2023\n\n{BODY}")
    assert post.published is None
    assert [s.heading for s in post.sections] == ["2023"]


def test_no_header_cluster_title_is_first_line_after_the_nav():
    post = parse_text(f"Clinic Name\nHome\nAbout\nServices\nBlog\nBook Online\nContact\n\nMy Title\n\n{BODY}")
    assert post.title == "My Title"
    assert post.body_text == BODY


def test_nav_word_just_above_prose_is_a_heading_not_the_menu():
    post = parse_text(f"My Title\n\nAbout\n\n{BODY}")
    assert post.title == "My Title"
    assert [s.heading for s in post.sections] == ["About"]


def test_long_first_line_is_not_a_title():
    post = parse_text(BODY)
    assert post.title is None
    assert post.body_text == BODY


# --- body cut and chrome ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("marker", [
    "24 views", "0 comments", "1 like", "Recent Posts", "See All", "Comments", "Write a comment...",
    "Commenting has been turned off.", "bottom of page", "©2023 by Wildflower Acupuncture",
])
def test_body_is_cut_at_the_first_post_footer_marker(marker):
    post = parse_text(f"A Title\n\n{BODY}\n\n{marker}\n\nAfter the footer, this text must never reach a section.")
    assert post.body_text == BODY


@pytest.mark.parametrize("chrome", [
    "Share", "Facebook", "Twitter", "X", "LinkedIn", "Copy link", "Link copied", "Like", "Likes",
    "Skip to main content", "3 min read", "Updated: Dec 3, 2023",
])
def test_chrome_line_inside_the_body_is_dropped(chrome):
    post = parse_text(f"A Title\n\n{BODY}\n\n{chrome}\n\nSecond paragraph of the post, still part of the body.")
    assert post.body_text == f"{BODY}\n\nSecond paragraph of the post, still part of the body."


def test_tags_and_categories_lines_never_reach_sections():
    post = parse_text(f"A Title\n\nCategories: Wellness\n\n{BODY}\n\nTags: sleep, #stress , sleep\n\nShare")
    assert post.tags == ["sleep", "stress"]
    assert post.categories == ["Wellness"]
    assert post.body_text == BODY


def test_windows_line_endings_and_odd_spaces_give_the_same_post_as_clean_text():
    clean = f"A Title\n\nA Heading\n\n{BODY}\nSecond line.\n"
    messy = clean.replace("\n", " \t\r\n").replace(" is ", "\u00a0is\u00a0").replace("A Heading", "A\u202fHeading")
    assert parse_text(messy) == parse_text(clean)
    assert parse_text(messy).sections[0].text == f"{BODY}\nSecond line."


# --- sections ---------------------------------------------------------------------------------------------------

def test_headings_get_level_two_and_the_intro_level_one():
    post = parse_text(f"A Title\n\nIntro text here.\n\nFirst Heading\n\n{BODY}\n\nSecond Heading\n\n{BODY}")
    assert [(s.heading, s.level) for s in post.sections] == [(None, 1), ("First Heading", 2),
                                                             ("Second Heading", 2)]
    assert post.sections[0].text == "Intro text here."


def test_question_heading_is_a_heading():
    post = parse_text(f"A Title\n\nDoes It Hurt?\n\n{BODY}")
    assert [s.heading for s in post.sections] == ["Does It Hurt?"]


@pytest.mark.parametrize("line", [
    "This short line ends with a full stop.",
    "Ends with a colon:",
    "Ends with a comma,",
    "one two three four five six seven eight nine ten eleven twelve thirteen",
    "x" * 101,
])
def test_line_that_breaks_a_heading_rule_is_a_paragraph(line):
    post = parse_text(f"A Title\n\n{line}\n\n{BODY}")
    assert [s.heading for s in post.sections] == [None]
    assert post.sections[0].text == f"{line}\n\n{BODY}"


def test_short_last_line_without_a_following_paragraph_is_not_a_heading():
    post = parse_text(f"A Title\n\n{BODY}\n\nSee you soon")
    assert [s.heading for s in post.sections] == [None]
    assert post.sections[0].text.endswith("\n\nSee you soon")


def test_paragraph_lines_are_joined_with_br_in_html():
    post = parse_text(f"A Title\n\n{BODY}\nA second line in the same paragraph.")
    assert post.sections[0].html == f"<p>{BODY}<br>A second line in the same paragraph.</p>"
    assert post.sections[0].text == f"{BODY}\nA second line in the same paragraph."


def test_bullet_lines_become_an_html_list():
    post = parse_text(f"A Title\n\n{BODY}\nWhat helps:\n• Rest\n- Water\n* Sleep")
    section = post.sections[0]
    assert section.html == f"<p>{BODY}<br>What helps:</p>\n<ul><li>Rest</li><li>Water</li><li>Sleep</li></ul>"
    assert section.text == f"{BODY}\nWhat helps:\n- Rest\n- Water\n- Sleep"


def test_numbered_lines_become_an_ordered_list():
    post = parse_text("A Title\n\nSteps to Take\n\n1. Breathe in\n2) Hold\n3. Breathe out")
    section = post.sections[0]
    assert section.heading == "Steps to Take"
    assert section.html == "<ol><li>Breathe in</li><li>Hold</li><li>Breathe out</li></ol>"
    assert section.text == "1. Breathe in\n2. Hold\n3. Breathe out"


def test_list_items_split_by_blank_lines_stay_one_list():
    post = parse_text(f"A Title\n\n{BODY}\n\n• Rest\n\n• Water")
    assert post.sections[0].html.endswith("<ul><li>Rest</li><li>Water</li></ul>")
    assert post.sections[0].html.count("<ul>") == 1


def test_html_is_escaped():
    post = parse_text("A Title\n\nFish & chips <b>are</b> not medicine, whatever you may have heard.")
    assert post.sections[0].html == "<p>Fish &amp; chips &lt;b&gt;are&lt;/b&gt; not medicine, whatever you may " \
                                    "have heard.</p>"
    assert post.sections[0].text == "Fish & chips <b>are</b> not medicine, whatever you may have heard."


# --- excerpt ----------------------------------------------------------------------------------------------------

def test_excerpt_is_cut_at_a_word_boundary_with_an_ellipsis():
    words = " ".join(["acupuncture"] * 40) + "."
    post = parse_text(f"A Title\n\n{words}")
    assert post.excerpt.endswith("acupuncture…")
    assert len(post.excerpt) <= 201
    assert words.startswith(post.excerpt[:-1])


def test_excerpt_skips_a_leading_list():
    post = parse_text(f"A Title\n\n- Rest is important for everyone.\n- Water.\n\n{BODY}")
    assert post.excerpt == BODY


def test_short_excerpt_is_not_cut():
    post = parse_text(f"A Title\n\n{BODY}\n\nMore text follows here.")
    assert post.excerpt == BODY
