"""Site chrome learned from the collection: short paragraphs that many articles of one site repeat.

The fixed list in ``boilerplate`` knows "No time to read?" and "Previous Article"; a site's own
furniture ("Subscribe to the Westmere Gazette for £1", "© Coastline Sport 2025") is learned here:
a short paragraph found in at least ``MIN_ARTICLES`` articles and ``MIN_SHARE`` of the articles of
the same site (its URL's host, else its source name, else its folder) is chrome for that site.
The counts are kept in the index, so later updates learn from everything indexed before.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from .atomic import atomic_write_bytes
from .records import Article

MAX_WORDS = 12        # chrome paragraphs are short
MIN_ARTICLES = 3      # seen in at least this many articles of the site...
MIN_SHARE = 0.3       # ...and in this share of them
MAX_LINES = 2000      # per site, the most frequent ones kept in the index
FILE = "site_chrome.json"
_SPACES = re.compile(r"\s+")


def site_of(article: Article) -> str | None:
    """The site an article belongs to: its URL's host, else its source, else its file's folder."""
    if article.url:
        host = urlsplit(article.url).netloc.lower().removeprefix("www.")
        if host:
            return host
    if article.source:
        return article.source.strip().lower()
    if article.path and article.path != "-":
        return os.path.dirname(article.path)
    return None


def _key(paragraph: str) -> str | None:
    text = _SPACES.sub(" ", paragraph).strip().lower()
    return text if text and len(text.split()) <= MAX_WORDS else None


@dataclass
class SiteChrome:
    """Per-site counts of short paragraphs, and the articles seen per site."""

    lines: dict[str, Counter[str]] = field(default_factory=dict)
    articles: Counter[str] = field(default_factory=Counter)

    def observe(self, article: Article) -> None:
        """Count the short paragraphs of one article (each once)."""
        site = site_of(article)
        if site is None:
            return
        self.articles[site] += 1
        keys = {k for p in article.body.split("\n\n") if (k := _key(p))}
        if keys:
            self.lines.setdefault(site, Counter()).update(keys)

    def chrome(self, site: str) -> set[str]:
        """The learned chrome paragraphs of a site."""
        seen = self.articles.get(site, 0)
        threshold = max(MIN_ARTICLES, MIN_SHARE * seen)
        return {line for line, n in self.lines.get(site, Counter()).items() if n >= threshold}

    def strip(self, article: Article) -> Article:
        """The article without its site's learned chrome paragraphs (never emptied)."""
        site = site_of(article)
        learned = self.chrome(site) if site is not None else set()
        if not learned:
            return article
        kept = [p for p in article.body.split("\n\n") if _key(p) not in learned]
        if not kept or len(kept) == len(article.body.split("\n\n")):
            return article
        return replace(article, body="\n\n".join(kept))

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Keep the counts in a snapshot (``site_chrome.json``), the most frequent lines per site."""
        data = {"articles": dict(self.articles),
                "lines": {site: dict(c.most_common(MAX_LINES)) for site, c in self.lines.items()
                          if any(n > 1 for n in c.values())}}
        for site, counts in data["lines"].items():
            data["lines"][site] = {k: n for k, n in counts.items() if n > 1}
        atomic_write_bytes(Path(directory) / FILE, json.dumps(data, ensure_ascii=False).encode("utf-8"))

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> SiteChrome:
        """The counts kept in a snapshot (empty when there are none)."""
        try:
            data = json.loads((Path(directory) / FILE).read_text(encoding="utf-8"))
            return cls({site: Counter(c) for site, c in data.get("lines", {}).items()}, Counter(data.get("articles", {})))
        except (OSError, ValueError, AttributeError):
            return cls()
