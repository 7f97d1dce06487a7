"""JSON-LD (schema.org) article metadata: the article object of a page and its fields. Pure."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

from bs4 import BeautifulSoup

ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "blogposting", "reportagenews", "analysisnewsarticle",
        "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
        "techarticle", "scholarlyarticle", "report", "socialmediaposting", "advertisercontentarticle",
        "satiricalarticle", "askpublicnewsarticle", "review",
    }
)  # fmt: skip
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_MAX_DEPTH = 12


def ld_objects(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """Every JSON object (also inside lists and ``@graph``) of the page's ld+json scripts."""
    found: list[dict[str, Any]] = []
    for script in soup.find_all("script", attrs={"type": re.compile(r"ld\+json", re.I)}):
        data = _loads(script.string or script.get_text())
        if data is not None:
            found.extend(_walk(data, 0))
    return found


def _loads(text: str) -> Any:
    """Parse lenient JSON: HTML comments, CDATA wrappers and trailing commas are tolerated."""
    text = text.strip()
    for junk in ("<!--", "-->", "<![CDATA[", "]]>", "//<![CDATA[", "//]]>"):
        text = text.replace(junk, "")
    text = text.strip().rstrip(";")
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def _walk(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    """Dicts in document order: each object, then the objects nested in ``@graph`` and lists."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "itemListElement"):
            if isinstance(data.get(key), (list, dict)):
                yield from _walk(data[key], depth + 1)


def _types(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).lower().rsplit("/", 1)[-1] for v in values if v}


def ld_article(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The page's article object: the first of an article type, else one with a headline."""
    for obj in objects:
        if _types(obj) & ARTICLE_TYPES:
            return obj
    for obj in objects:
        if obj.get("headline") or obj.get("articleBody"):
            return obj
    return None


def text_value(value: Any) -> str | None:
    """A plain string from a JSON-LD value (a string, a list's first string, or an object's name)."""
    if isinstance(value, list):
        for item in value:
            found = text_value(item)
            if found:
                return found
        return None
    if isinstance(value, dict):
        return text_value(value.get("name") or value.get("@value"))
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = " ".join(html.unescape(str(value)).split())
        return text or None
    return None


def by_id(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Objects keyed by their ``@id``, to resolve references such as ``{"@id": "#author"}``."""
    return {obj["@id"]: obj for obj in objects if isinstance(obj.get("@id"), str)}


def names(value: Any, refs: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Person names from a JSON-LD ``author``: a string, an object, or a list of them."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, dict) and "name" not in item and refs:
            item = refs.get(str(item.get("@id")), item)
        name = text_value(item.get("name") if isinstance(item, dict) else item)
        if name and not name.startswith(("http://", "https://")):
            out.append(name)
    return out


def page_url(obj: dict[str, Any]) -> str | None:
    """``url`` or ``mainEntityOfPage`` (a string or an object with ``@id``/``url``)."""
    for key in ("url", "mainEntityOfPage"):
        value = obj.get(key)
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value.strip()
    return None


def publisher_name(objects: list[dict[str, Any]], article: dict[str, Any] | None) -> str | None:
    """``publisher.name`` of the article, else the name of a WebSite / NewsMediaOrganization."""
    if article is not None:
        publisher = article.get("publisher")
        if isinstance(publisher, dict) and "name" not in publisher:
            publisher = by_id(objects).get(str(publisher.get("@id")), publisher)
        name = text_value(publisher)
        if name:
            return name
    for obj in objects:
        if _types(obj) & {"website", "newsmediaorganization", "organization"}:
            name = text_value(obj.get("name"))
            if name:
                return name
    return None
