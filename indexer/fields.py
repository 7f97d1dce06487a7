"""Map the many spellings of article fields in JSON/CSV exports onto newsdig's field names."""

from __future__ import annotations

from collections.abc import Mapping

# newsdig field -> accepted input keys (compared case-insensitively, "-" and " " read as "_"),
# in order of preference.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "_id", "doc_id", "docid", "article_id", "guid", "uuid", "uid"),
    "title": ("title", "headline", "heading", "subject"),
    "text": ("text", "body", "content", "article_body", "articlebody", "maintext", "full_text",
             "fulltext", "abstract", "description", "summary"),
    "html": ("html", "raw_html", "content_html", "body_html", "page"),
    "url": ("url", "canonical_url", "link", "permalink", "href", "uri"),
    "published": ("published", "date", "published_at", "publishedat", "pubdate", "pub_date",
                  "date_published", "datepublished", "publication_date", "datetime", "time",
                  "timestamp", "created_at", "created"),
    "author": ("author", "authors", "byline", "creator", "creators", "writer"),
    "source": ("source", "site", "site_name", "sitename", "publisher", "outlet", "publication",
               "newspaper", "domain", "feed"),
}


def _key(name: object) -> str:
    return str(name).strip().lower().replace("-", "_").replace(" ", "_")


def _as_text(value: object) -> str | None:
    """A field value as a string: lists joined with ", ", objects by their name, None if empty."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (list, tuple)):
        parts = [_as_text(v) for v in value]
        joined = ", ".join(p for p in parts if p)
        return joined or None
    if isinstance(value, Mapping):
        for key in ("name", "title", "@id", "url", "value"):
            if key in value:
                return _as_text(value[key])
        return None
    text = str(value).strip()
    return text or None


def map_fields(obj: Mapping[object, object]) -> dict[str, str]:
    """Pick newsdig's fields out of one input record; unknown keys are dropped."""
    by_key = {_key(k): v for k, v in obj.items() if k is not None}
    fields: dict[str, str] = {}
    for name, aliases in ALIASES.items():
        for alias in aliases:
            value = _as_text(by_key.get(alias))
            if value:
                fields[name] = value
                break
    return fields
