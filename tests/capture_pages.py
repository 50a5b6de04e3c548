"""Made-up pages shaped like Wix's for the capture tests: every page of a site carries the same large scaffold
(scripts, styles, state) around its own short text, as real Wix pages do. Deterministic, written here, no
archive imports (tests/fixtures/archives/make_v1_zlib.py runs it with an older blog-archive)."""
from __future__ import annotations

import random

WORDS = ("acupuncture needle meridian qi cupping moxa herbal tea ginger digestion sleep stress pain neck back "
         "shoulder knee headache migraine fertility pregnancy anxiety tongue pulse clinic patient session "
         "treatment point warmth calm balance season spring autumn winter summer breath").split()


def scaffold(template: str, kilobytes: int = 16) -> str:
    """The bytes a site's pages share: script-like noise that zlib alone compresses poorly."""
    rng = random.Random(template)
    tokens = [f"{rng.choice(WORDS)}_{rng.randrange(16**6):06x}" for _ in range(kilobytes * 1024 // 12)]
    lines = [" ".join(tokens[n:n + 12]) for n in range(0, len(tokens), 12)]
    return "\n".join(f"<script>window.__w{n}=\"{line}\";</script>" for n, line in enumerate(lines))


def paragraphs(seed: str, count: int = 6) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "." for _ in range(count)]


def page(template: str, slug: str, texts: list[str]) -> bytes:
    """A post page of a site whose look is `template`."""
    shared = scaffold(template)
    body = "".join(f"<p>{text}</p>" for text in texts)
    return (f"<!DOCTYPE html><html><head><title>{slug}</title>{shared[:len(shared) // 2]}</head><body>"
            f"<article><h1>{slug.replace('-', ' ').title()}</h1>{body}</article>"
            f"<script>window.__state={{\"slug\":\"{slug}\"}};</script>{shared[len(shared) // 2:]}</body></html>"
            ).encode()
