"""Article metadata of an HTML page: title, date, author, site name, canonical URL.

Sources: JSON-LD (schema.org article objects, see ``html_jsonld``), ``<meta>`` tags (Open
Graph, ``article:*``, parsely, sailthru, Dublin Core...), then the document itself (``<time>``,
``<h1>``, ``<title>``, ``rel=author``), in the order that is most reliable for each field.
Pure: reads the soup, never changes it.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from indexer.dates import normalize_date
from indexer.html_jsonld import by_id, ld_article, ld_objects, names, page_url, publisher_name, text_value

TITLE_KEYS = ("og:title", "twitter:title", "parsely-title", "sailthru.title", "dc.title", "headline")
DATE_KEYS = (
    "article:published_time", "og:article:published_time", "article:published", "published_time",
    "datepublished", "parsely-pub-date", "sailthru.date", "pubdate", "publishdate", "publish-date",
    "publish_date", "dc.date.issued", "dc.date", "dcterms.created", "dcterms.date",
    "dc.date.created", "citation_publication_date", "article.published", "date", "originalpublicationdate",
)  # fmt: skip
AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")
SOURCE_KEYS = ("og:site_name", "application-name", "dc.publisher", "publisher", "apple-mobile-web-app-title")
MIN_YEAR = 1800  # dates before this are template placeholders ("0001-01-01")
MAX_AUTHOR_CHARS = 80
_BY = re.compile(r"^\s*(?:[^\W\d]+\s+){0,2}?(?:by|por|par|oleh)\b[:\s]*", re.I)  # "Analysis by"
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|\|)\s*")


@dataclass(frozen=True)
class PageMeta:
    """What a page says about itself; ``ld_body`` is the JSON-LD ``articleBody``, if any."""

    title: str | None
    published: str | None
    author: str | None
    source: str | None
    url: str | None
    ld_body: str | None


def meta_values(soup: BeautifulSoup) -> dict[str, list[str]]:
    """``<meta>`` contents keyed by lower-cased ``property``, ``name`` or ``itemprop``."""
    values: dict[str, list[str]] = {}
    for tag in soup.find_all("meta"):
        content = tag.get("content")
        if not isinstance(content, str) or not content.strip():
            continue
        for attr in ("property", "name", "itemprop"):
            key = tag.get(attr)
            if isinstance(key, str) and key.strip():
                values.setdefault(key.strip().lower(), []).append(" ".join(content.split()))
    return values


def read_meta(soup: BeautifulSoup, *, url: str | None = None) -> PageMeta:
    """Collect the page's metadata; fields that cannot be found are None."""
    metas = meta_values(soup)
    objects = ld_objects(soup)
    article = ld_article(objects) or {}
    parsely = _parsely(metas)
    source = _first(metas, SOURCE_KEYS) or publisher_name(objects, article or None)
    return PageMeta(
        title=_title(soup, metas, article, parsely, source),
        published=_published(soup, metas, article, parsely),
        author=_author(soup, metas, article, objects, parsely),
        source=source,
        url=_canonical(soup, metas, article, url),
        ld_body=_raw_text(article.get("articleBody")),
    )


def _raw_text(value: Any) -> str | None:
    """A JSON-LD string with its line breaks kept (HTML entities decoded)."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return html.unescape(value).strip() or None if isinstance(value, str) else None


def _first(metas: dict[str, list[str]], keys: tuple[str, ...]) -> str | None:
    """The first value of the first key present that is not a URL."""
    for key in keys:
        for value in metas.get(key, ()):
            if key.endswith("url") or not value.startswith(("http://", "https://")):
                return value
    return None


def _parsely(metas: dict[str, list[str]]) -> dict[str, Any]:
    """The JSON object of ``<meta name="parsely-page">``, if any."""
    for raw in metas.get("parsely-page", ()):
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return {}


def _text(tag: object) -> str | None:
    """The collapsed text of an element (None for anything else, or no text)."""
    if not isinstance(tag, Tag):
        return None
    text = " ".join(tag.get_text(" ").split())
    return text or None


def _title(soup: BeautifulSoup, metas: dict[str, list[str]], article: dict[str, Any],
           parsely: dict[str, Any], source: str | None) -> str | None:  # fmt: skip
    """og:title / JSON-LD headline / other meta, then ``<h1>``, then ``<title>``; site suffix cut."""
    title = (
        _first(metas, TITLE_KEYS[:1])
        or text_value(article.get("headline"))
        or _first(metas, TITLE_KEYS[1:])
        or text_value(parsely.get("title"))
        or _text(soup.find("h1"))
        or _text(soup.find("title"))
    )
    return strip_site_suffix(title, source) if title else None


def strip_site_suffix(title: str, source: str | None) -> str:
    """``"Headline | Site"`` → ``"Headline"`` when the suffix is the site name."""
    if not source:
        return title
    names = (source.lower(), source.lower().split(".")[0])
    for sep in (" | ", " - ", " – ", " — ", " :: ", " · "):
        head, found, tail = title.rpartition(sep)
        if found and head and tail.strip().lower() in names:
            return head.strip()
    return title


def _published(soup: BeautifulSoup, metas: dict[str, list[str]], article: dict[str, Any],
               parsely: dict[str, Any]) -> str | None:  # fmt: skip
    """JSON-LD datePublished, date meta tags, parsely, then a ``<time datetime>`` element."""
    candidates = [text_value(article.get("datePublished")), text_value(article.get("dateCreated"))]
    candidates += [value for key in DATE_KEYS for value in metas.get(key, ())]
    candidates.append(text_value(parsely.get("pub_date")))
    candidates += _time_elements(soup)
    for candidate in candidates:
        date = normalize_date(candidate) if candidate else None
        if date and int(date[:4]) >= MIN_YEAR:
            return date
    return None


def _time_elements(soup: BeautifulSoup) -> list[str]:
    """``datetime`` values of ``<time>`` elements, those marked as publication dates first."""
    marked: list[str] = []
    other: list[str] = []
    for tag in soup.find_all("time"):
        value = tag.get("datetime") or tag.get("content") or tag.get_text(" ")
        if not isinstance(value, str) or not value.strip():
            continue
        hints = " ".join(str(tag.get(a, "")) for a in ("itemprop", "class", "id")).lower()
        (marked if tag.has_attr("pubdate") or "publish" in hints else other).append(value)
    return marked + other


def _author(soup: BeautifulSoup, metas: dict[str, list[str]], article: dict[str, Any],
            objects: list[dict[str, Any]], parsely: dict[str, Any]) -> str | None:  # fmt: skip
    """JSON-LD author(s), then author meta tags, then ``itemprop=author`` / ``rel=author`` text."""
    found = names(article.get("author"), by_id(objects))
    if not found:
        for key in AUTHOR_KEYS:
            values = [v for v in metas.get(key, ()) if not v.startswith(("http://", "https://"))]
            if values:
                found = values
                break
    if not found:
        found = names(parsely.get("author"))
    if not found:
        found = _author_elements(soup)[:1]
    return join_authors(found)


def _author_elements(soup: BeautifulSoup) -> list[str]:
    """Texts of ``itemprop=author`` and ``rel=author`` elements (a name, not a bio)."""
    texts: list[str] = []
    for tag in soup.find_all(attrs={"itemprop": "author"}) + soup.find_all(attrs={"rel": "author"}):
        name = tag.find(attrs={"itemprop": "name"}) if isinstance(tag, Tag) else None
        text = _text(name if isinstance(name, Tag) else tag)
        if text and len(text) <= MAX_AUTHOR_CHARS:
            texts.append(text)
    return texts


def join_authors(values: list[str]) -> str | None:
    """``["By A. Writer and B. Writer", "A. Writer"]`` → ``"A. Writer, B. Writer"``."""
    out: list[str] = []
    for value in values:
        for name in _AUTHOR_SPLIT.split(_BY.sub("", value)):
            name = name.strip(" .-:")
            if name and name.lower() not in (n.lower() for n in out):
                out.append(name)
    return ", ".join(out) or None


def _canonical(soup: BeautifulSoup, metas: dict[str, list[str]], article: dict[str, Any],
               url: str | None) -> str | None:  # fmt: skip
    """``<link rel=canonical>``, og:url, JSON-LD url, then the caller's URL; made absolute."""
    candidates: list[str | None] = []
    for link in soup.find_all("link", href=True):
        rel = link.get("rel")
        rels = rel if isinstance(rel, list) else str(rel or "").split()
        if "canonical" in (r.lower() for r in rels):
            candidates.append(str(link["href"]))
    candidates += [_first(metas, ("og:url",)), page_url(article), url]
    for candidate in candidates:
        if not candidate or not candidate.strip():
            continue
        absolute = urljoin(url, candidate.strip()) if url else candidate.strip()
        if absolute.startswith(("http://", "https://")):
            return absolute
    return url
