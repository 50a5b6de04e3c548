"""A guest writer's opening byline: the name in it, and sentences that only start like one."""
from __future__ import annotations

import pytest

from scraper.byline import byline_name


@pytest.mark.parametrize("line, name", [
    ("by Natalie Cheary", "Natalie Cheary"),
    ("Written by Dr. Ann Lee, GP at the Riverside practice", "Dr. Ann Lee"),
    ("Guest post by Ruth Singer, a maker and curator", "Ruth Singer"),
    ("By John Holmes and Cath Ralph of Advantage Creative", "John Holmes, Cath Ralph"),
    ("Written by Heather Tyrrell, AKA Tricity Vogue.", "Heather Tyrrell"),
    ("by Anna van der Berg", "Anna van der Berg"),
    ("Geschrieben von Jana Müller", "Jana Müller"),
    ("Escrito por Lucía Fernández", "Lucía Fernández"),
    ("Napsala Petra Nováková", "Petra Nováková"),
])
def test_a_byline_names_its_writer(line, name):
    assert byline_name(line) == name


@pytest.mark.parametrize("line", [
    "By building a short evening routine, you give your body a cue to rest.",
    "By 2030 most clinics will book online.",
    "By the end of the first week most patients sleep better.",
    "By Appointment Only",
    "By Popular Demand: our winter workshop returns",
    "Por qué la acupuntura ayuda con la migraña",
    "Von Anfang an war klar, dass wir helfen wollen.",
    "Cupping leaves round marks that fade in a week.",
])
def test_a_sentence_that_only_starts_like_a_byline_names_nobody(line):
    assert byline_name(line) is None
