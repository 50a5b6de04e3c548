"""What an export wrote, and what of the old site it still uses (the report written beside the export)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scraper.text import plural

if TYPE_CHECKING:
    from .common import ExportPost

REPORT = "export-report.txt"
KINDS = {"post": "links to archived posts left out of this export", "link": "links to other pages of the old site",
         "image": "images on the old site or its media host"}


@dataclass
class PostReport:
    url: str
    slug: str
    counts: Counter
    urls: list[tuple[str, str]]  # (kind, URL), in the order met


@dataclass
class ExportSummary:
    posts: int = 0
    files: list[str] = field(default_factory=list)  # paths relative to OUTDIR, in the order written
    images: int = 0  # images copied from the local media folder
    missing_images: int = 0  # images never downloaded (crawl --media): linked to their original URL instead
    warnings: list[str] = field(default_factory=list)
    old_site: list[PostReport] = field(default_factory=list)  # posts that still use the old site

    def add(self, item: ExportPost) -> None:
        """One more post written; what of the old site it still uses is kept for the report."""
        self.posts += 1
        if item.leftovers:
            pairs = list(dict.fromkeys((left.kind, left.url) for left in item.leftovers))
            self.old_site.append(PostReport(item.post.url or "", item.slug, Counter(k for k, _ in pairs), pairs))

    def old_links(self) -> int:
        return sum(r.counts["post"] + r.counts["link"] for r in self.old_site)

    def old_images(self) -> int:
        return sum(r.counts["image"] for r in self.old_site)

    def old_site_line(self) -> str:
        return (f"{plural(self.old_links(), 'link')} and {plural(self.old_images(), 'image')} in "
                f"{plural(len(self.old_site), 'post')} still point at the old site")

    def line(self) -> str:
        extra = f", {plural(self.missing_images, 'image')} linked to their original URL (not downloaded)" \
            if self.missing_images else ""
        return (f"{plural(self.posts, 'post')}, {plural(len(self.files), 'file')}, "
                f"{plural(self.images, 'image')} copied{extra}")

    def report(self, fmt: str) -> str:
        """The report file: per post, each link and image still pointing at the old site, then the totals."""
        lines = [f"blog-archive {fmt} export: what still points at the old site", ""]
        for post in self.old_site:
            counts = ", ".join(f"{post.counts[k]} {k}{'s' if post.counts[k] != 1 else ''}"
                               for k in KINDS if post.counts[k])
            lines.append(f"{post.slug}  {post.url}  ({counts})")
            lines += [f"    {kind:<5}  {url}" for kind, url in post.urls]
        if self.old_site:
            lines.append("")
        totals = Counter()
        for post in self.old_site:
            totals.update(post.counts)
        lines += [f"{totals[k]} {text}" for k, text in KINDS.items()]
        lines.append(f"{plural(self.posts, 'post')} exported; {self.old_site_line()}")
        return "\n".join(lines) + "\n"
