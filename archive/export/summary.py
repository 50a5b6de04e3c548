"""What an export wrote."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ExportSummary:
    posts: int = 0
    files: list[str] = field(default_factory=list)  # paths relative to OUTDIR, in the order written
    images: int = 0  # images copied from the local media folder
    missing_images: int = 0  # images never downloaded (crawl --media): linked to their original URL instead
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        extra = f", {self.missing_images} images linked to their original URL (not downloaded)" \
            if self.missing_images else ""
        return f"{self.posts} posts, {len(self.files)} files, {self.images} images copied{extra}"
