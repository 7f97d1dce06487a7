"""Raw input records → clean :class:`Article` values with stable ids."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .clean import clean_html, clean_text
from .dates import normalize_date
from .records import Article, RawRecord

_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|ref|ref_src|smid|icid)$", re.I)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_WORD = re.compile(r"\w")


class ArticleError(ValueError):
    """A record that yields no indexable article (the reason is the message)."""


def canonical_url(url: str | None) -> str | None:
    """A URL normalised for identity: lower-case scheme and host, no fragment, no tracking parameters."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.lower()
    if host.endswith(":80") and parts.scheme.lower() == "http":
        host = host[:-3]
    elif host.endswith(":443") and parts.scheme.lower() == "https":
        host = host[:-4]
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING.match(k)])
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", query, ""))


def content_hash(title: str, body: str) -> str:
    """SHA-256 of the article's clean title and body (whitespace-normalised), hex."""
    text = _SPACES.sub(" ", f"{title}\n{body}").strip()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_article(record: RawRecord) -> Article:
    """Clean a raw record and give it its stable id: its own id, else its canonical URL, else a hash."""
    fields = record.fields
    if record.kind == "html":
        doc = clean_html(fields["html"], url=fields.get("url"))
    elif record.kind in ("text", "markdown"):
        doc = clean_text(fields["text"], headline=True, markdown=record.kind == "markdown")
    else:
        doc = clean_text(fields["text"], headline=False, markdown=False)
    body = doc.body.strip()
    if not _WORD.search(body):
        raise ArticleError("no article text left after cleaning")
    title = _SPACES.sub(" ", fields.get("title") or doc.title or "").strip()
    published = normalize_date(fields["published"]) if fields.get("published") else None
    url = canonical_url(fields.get("url")) or canonical_url(doc.url)
    digest = content_hash(title, body)
    return Article(
        article_id=fields.get("id") or url or digest[:16],
        title=title,
        body=body,
        published=published or doc.published,
        author=fields.get("author") or doc.author,
        source=fields.get("source") or doc.source,
        url=url or fields.get("url") or doc.url,
        path=record.path,
        content_hash=digest,
    )
