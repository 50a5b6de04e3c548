"""Full-text search: FTS5 with stemming and folded diacritics, weighted BM25, safe queries, filters."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.search import SearchError, rebuild_index, search, to_fts_query
from archive.store import open_archive, save_post
from scraper.models import Post, Section

SITE = "https://www.wildflower.example"


def post(slug: str, title: str, *sections: tuple[str | None, str], author: str = "Laura Mann",
         published: str = "2023-05-01", tags: list[str] | None = None, site: str = SITE) -> Post:
    return Post(url=f"{site}/post/{slug}", title=title, author=author, published=published,
                sections=[Section(h, 2 if h else 1, t, f"<p>{t}</p>") for h, t in sections], tags=tags or [])


@pytest.fixture
def db(db_path):
    db = open_archive(db_path)
    save_post(db, post("neuropathy", "Acupuncture for Neuropathy",
                       (None, "Many patients come to us with numbness."),
                       ("Anti-Inflammatory Effects", "Needling has anti-inflammatory effects on damaged nerves."),
                       ("Blood Flow", "Better blood flow brings oxygen to the nerves.")))
    save_post(db, post("sleep", "Herbs for Better Sleep",
                       (None, "Sleep matters. Patients with neuropathy often sleep badly, tingling at night."),
                       ("Formulas", "Suan Zao Ren Tang calms the spirit.")),
              )
    save_post(db, post("migrana", "Acupuntura y migraña", (None, "La migraña responde bien a las agujas."),
                       author="Ana Ruiz", published="2021-02-03", tags=["migraña", "dolor"]))
    save_post(db, post("cpp", "Notes on C++ and clinic software", (None, "We rewrote the booking tool in C++."),
                       author="Office Manager", published="2020-01-01", site="https://other-clinic.example"))
    return db


def titles(hits) -> list[str]:
    return [hit.title for hit in hits]


def test_title_match_ranks_above_a_body_only_match(db):
    assert titles(search(db, "neuropathy")) == ["Acupuncture for Neuropathy", "Herbs for Better Sleep"]


def test_stemming_matches_other_forms_of_a_word(db):
    assert titles(search(db, "needles")) == ["Acupuncture for Neuropathy"]  # "Needling"
    assert titles(search(db, "calming")) == ["Herbs for Better Sleep"]


def test_diacritics_are_folded(db):
    assert titles(search(db, "migrana")) == ["Acupuntura y migraña"]
    assert titles(search(db, "MIGRAÑA")) == ["Acupuntura y migraña"]


def test_hit_names_the_matching_section_and_highlights_the_words(db):
    hit = search(db, "oxygen")[0]
    assert hit.heading == "Blood Flow"
    assert hit.to_dict()["snippet"] == "Better blood flow brings [oxygen] to the nerves."


@pytest.mark.parametrize("query, expected", [
    ("anti-inflammatory", ["Acupuncture for Neuropathy"]),
    ('"blood flow"', ["Acupuncture for Neuropathy"]),
    ('"blood flow', ["Acupuncture for Neuropathy"]),  # unbalanced quote
    ("C++", ["Notes on C++ and clinic software"]),
    ("neuropathy AND OR NOT", []),  # operators typed as words are just words
    ("tingling neuropathy", ["Herbs for Better Sleep"]),
])
def test_plain_queries_work_as_a_person_means_them(db, query, expected):
    assert titles(search(db, query)) == expected


def test_query_words_become_quoted_phrases():
    assert to_fts_query('anti-inflammatory "blood flow" C++ NEAR(') == '"anti inflammatory" "blood flow" "C" "NEAR"'


def test_raw_query_passes_fts5_syntax_through(db):
    assert set(titles(search(db, "numbness OR calms", raw=True))) == {"Acupuncture for Neuropathy",
                                                                      "Herbs for Better Sleep"}
    assert titles(search(db, "neuro*", raw=True))[0] == "Acupuncture for Neuropathy"


@pytest.mark.parametrize("query, raw", [("neuropathy AND (", True), ('"unclosed', True), ("+++ ---", False)])
def test_bad_query_is_a_search_error(db, query, raw):
    with pytest.raises(SearchError):
        search(db, query, raw=raw)


def test_filters_narrow_the_hits(db):
    assert titles(search(db, "neuropathy", author="mann")) == ["Acupuncture for Neuropathy", "Herbs for Better Sleep"]
    assert titles(search(db, "migraña", since="2021-01-01", until="2021-12-31")) == ["Acupuntura y migraña"]
    assert titles(search(db, "migraña", since="2022-01-01")) == []
    assert titles(search(db, "migraña", tag="Dolor")) == ["Acupuntura y migraña"]
    assert titles(search(db, "clinic", site="other-clinic.example")) == ["Notes on C++ and clinic software"]
    assert titles(search(db, "neuropathy", limit=1)) == ["Acupuncture for Neuropathy"]


def test_index_follows_updates(db):
    save_post(db, post("sleep", "Herbs for Better Sleep", (None, "Rewritten: now about insomnia only.")))
    assert titles(search(db, "insomnia")) == ["Herbs for Better Sleep"]
    assert titles(search(db, "tingling")) == []


def test_rebuild_indexes_rows_the_triggers_missed_and_restores_the_triggers(db):
    for trigger in ("posts_ai", "sections_ai"):
        db.execute(f"drop trigger {trigger}")
    save_post(db, post("cupping", "Cupping basics", (None, "Suction cups lift the fascia.")))
    assert search(db, "fascia") == []
    rebuild_index(db)
    assert titles(search(db, "fascia")) == ["Cupping basics"]
    save_post(db, post("moxa", "Moxa", (None, "Mugwort warms the point.")))
    assert titles(search(db, "mugwort")) == ["Moxa"]


def test_search_command_prints_json_hits_best_first(db, db_path):
    result = CliRunner().invoke(cli, ["search", "neuropathy", "--db", str(db_path), "--json"])
    assert result.exit_code == 0
    hits = json.loads(result.stdout)
    assert [h["title"] for h in hits] == ["Acupuncture for Neuropathy", "Herbs for Better Sleep"]
    assert set(hits[0]) == {"url", "title", "author", "published", "heading", "snippet", "score"}
    assert hits[0]["score"] > hits[1]["score"]


def test_search_command_lists_readable_hits(db, db_path):
    result = CliRunner().invoke(cli, ["search", "oxygen", "--db", str(db_path)])
    lines = result.stdout.splitlines()
    assert lines[0] == "Acupuncture for Neuropathy"
    assert lines[1] == f"  2023-05-01 · Laura Mann · {SITE}/post/neuropathy"
    assert lines[2].startswith("  § Blood Flow: ") and "[oxygen]" in lines[2]


def test_bad_raw_query_is_one_error_line(db, db_path):
    result = CliRunner().invoke(cli, ["search", "neuropathy AND (", "--raw", "--db", str(db_path)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: bad search query")


def test_touching_a_post_does_not_reindex_it_but_editing_it_does(db):
    trigger = db.execute("select sql from sqlite_master where name = 'posts_au'").fetchone()[0]
    assert 'AFTER UPDATE OF "title", "headings", "excerpt", "body_text" ON "posts"' in trigger
    db.execute("update posts set last_seen = '2030-01-01', status = 'gone' where slug = 'sleep'")
    assert titles(search(db, "tingling")) == ["Herbs for Better Sleep"]
    db.execute("update posts set body_text = 'only insomnia now' where slug = 'sleep'")
    assert titles(search(db, "tingling")) == [] and titles(search(db, "insomnia")) == ["Herbs for Better Sleep"]
