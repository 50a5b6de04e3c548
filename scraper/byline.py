"""A guest writer's byline opening a post body ('by Natalie Cheary', 'Written by Dr. Ann Lee, GP'): the name in it.

Clinic and community blogs often publish under one account and name the real writer in the first line. The
line stays in the text; only the name is read from it. A sentence that merely starts with 'By' is not a byline:
every word of a name is capitalised (or a particle such as 'van' or 'de'), and a name has at most six words.
"""
from __future__ import annotations

import re

from .models import Section

PREFIX = re.compile(
    r"^(?:(?:guest\s+)?(?:post|article|blog|words|story|text)\s+by|written\s+by|posted\s+by|by|"
    r"geschrieben\s+von|von|écrit\s+par|par|escrito\s+por|por|scritto\s+da|di|geschreven\s+door|door|"
    r"skrevet\s+a[fv]|av|napsal[a]?|autor(?:ka)?\s*:|author\s*:)\s+", re.I)
# Where a name ends: a comma, a dash, a role in brackets; then ' of <organisation>' or a full stop after a word.
CLAUSE_END = re.compile(r"[,;|·(–—:]|\s-\s")
STOP_WORDS = {"of", "from", "at", "for", "aus", "with", "in", "on"}
INITIAL = re.compile(r"^[A-Z]\.$")
SPLIT = re.compile(r"\s+(?:and|&|und|y|et|e|a)\s+", re.I)
PARTICLES = {"van", "von", "der", "den", "de", "da", "di", "du", "le", "la", "del", "della", "bin", "al", "el",
             "ter", "ten", "dos", "das", "st."}
TITLES = {"dr", "dr.", "prof", "prof.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "mx", "mx.", "sir", "dame"}
NOT_NAMES = {"the", "this", "that", "these", "those", "a", "an", "our", "my", "your", "their", "his", "her", "its",
             "now", "then", "using", "doing", "all", "any", "some", "way", "default", "far", "contrast",
             "comparison", "definition", "design", "day", "night", "appointment", "popular", "request", "demand",
             "invitation", "nature", "chance", "hand", "heart", "email", "phone", "mail", "law",
             "january", "february", "march", "april",
             "may", "june", "july", "august", "september", "october", "november", "december", "monday",
             "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
MAX_WORDS = 6


def find_byline(sections: list[Section]) -> str | None:
    """The writer named by the body's opening line, or None ('A, B' for two writers)."""
    if not sections or sections[0].heading:
        return None
    first_line = next((line.strip() for line in sections[0].text.split("\n") if line.strip()), "")
    return byline_name(first_line)


def byline_name(line: str) -> str | None:
    prefix = PREFIX.match(line)
    if not prefix:
        return None
    head = CLAUSE_END.split(line[prefix.end():], maxsplit=1)[0]
    kept: list[str] = []
    for word in head.split():
        if word.casefold() in STOP_WORDS:
            break
        if word.endswith(".") and word.casefold() not in TITLES and not INITIAL.match(word):
            kept.append(word[:-1])  # 'Natalie Cheary.' ends the name (and usually the sentence)
            break
        kept.append(word)
    names = [name.strip() for name in SPLIT.split(" ".join(kept))]
    if not names or not all(_looks_like_name(name) for name in names):
        return None
    return ", ".join(names)


def _looks_like_name(name: str) -> bool:
    words = name.split()
    if not words or len(words) > MAX_WORDS or len(name) > 60:
        return False
    if words[0].casefold() in NOT_NAMES:
        return False
    named = [w for w in words if w.casefold() not in TITLES]
    return bool(named) and all(_name_word(w) for w in named) and any(w[0].isupper() for w in named)


def _name_word(word: str) -> bool:
    if word.casefold() in PARTICLES:
        return True
    return word[0].isupper() and not any(ch.isdigit() for ch in word)
