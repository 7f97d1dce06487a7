"""HTML / plain text / markdown → clean article body and metadata. Pure functions.

``clean_html`` keeps the article body only (see ``html_body``) and reads the metadata (see
``html_meta``); ``clean_text`` handles text scrapes: a headline line, body paragraphs, and site
chrome to drop (see ``boilerplate``). Bodies are paragraphs joined by exactly ``"\\n\\n"``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

from indexer.boilerplate import strip_chrome, strip_chrome_lines
from indexer.html_body import body_paragraphs
from indexer.html_meta import PageMeta, read_meta
from indexer.html_text import collapse, text_blocks
from indexer.text_meta import scrape_metadata

PARAGRAPH_SEP = "\n\n"
LD_BODY_MIN = 500  # a JSON-LD articleBody this long (visible characters)...
LD_BODY_SHARE = 0.3  # ...replaces a page body shorter than this share of it
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+|$)|\s+#+\s*$")
_MD_QUOTE = re.compile(r"^\s*(?:>\s*)+")
_MD_STARS = re.compile(r"(?<![\w*])(\*{1,3})(?=\S)(.+?)(?<=\S)\1(?!\*)")
_MD_UNDERSCORES = re.compile(r"(?<!\w)(_{1,3})(?=\S)(.+?)(?<=\S)\1(?!\w)")
_MD_CODE = re.compile(r"`+([^`]*)`+")
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")


@dataclass(frozen=True)
class CleanDoc:
    """A cleaned article: its body and whatever metadata could be found."""

    title: str | None  # headline
    body: str  # paragraphs separated by exactly "\n\n", no headline, no chrome
    published: str | None  # ISO 8601: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[+HH:MM]"
    author: str | None  # "A. Writer" or "A. Writer, B. Writer"
    source: str | None  # site / publisher name
    url: str | None  # canonical URL


def _parse(html: str) -> BeautifulSoup:
    """BeautifulSoup with lxml, without its warnings about input that looks like a URL or XML."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(html, "lxml")


def _same_text(a: str, b: str) -> bool:
    """Equal ignoring case, spacing and punctuation."""
    return re.sub(r"\W+", "", a).casefold() == re.sub(r"\W+", "", b).casefold()


def drop_headline(paragraphs: list[str], titles: list[str | None]) -> list[str]:
    """Remove a leading paragraph that repeats the headline."""
    known = [t for t in titles if t]
    while paragraphs and any(_same_text(paragraphs[0], t) for t in known):
        paragraphs = paragraphs[1:]
    return paragraphs


def clean_html(html: str, *, url: str | None = None) -> CleanDoc:
    """Article body and metadata of an HTML page; malformed HTML never raises.

    ``url`` (where the page came from) is the fallback for the canonical URL and the base for
    relative ones.
    """
    try:
        soup = _parse(html or "")
    except Exception:  # lxml gives up on some binary garbage; an empty result is the answer
        return CleanDoc(None, "", None, None, None, url)
    try:
        meta = read_meta(soup, url=url)
    except (ValueError, TypeError, AttributeError, RecursionError):
        meta = PageMeta(None, None, None, None, url, None)
    try:
        paragraphs = strip_chrome(body_paragraphs(soup, title=meta.title), guard_tail=True)
    except (ValueError, TypeError, AttributeError, RecursionError):
        paragraphs = []
    ld_body = meta.ld_body or ""
    if _chars(ld_body) >= LD_BODY_MIN and _chars(paragraphs) < LD_BODY_SHARE * _chars(ld_body):
        # Pages rendered by script (or cut by a paywall) may carry the full text only in JSON-LD.
        paragraphs = strip_chrome(_text_paragraphs(ld_body), guard_tail=True)
    paragraphs = drop_headline(paragraphs, [meta.title, _h1_text(soup)])
    return CleanDoc(
        title=meta.title,
        body=PARAGRAPH_SEP.join(paragraphs),
        published=meta.published,
        author=meta.author,
        source=meta.source,
        url=meta.url,
    )


def _chars(text: str | list[str]) -> int:
    """Visible characters (whitespace excluded) of a text or of paragraphs."""
    parts = [text] if isinstance(text, str) else text
    return sum(len("".join(part.split())) for part in parts)


def _text_paragraphs(text: str) -> list[str]:
    """Paragraphs of a JSON-LD ``articleBody``: its lines, or its blocks when it holds HTML."""
    if re.search(r"<(?:p|br|div)\b", text, re.I):
        return [block.text for block in text_blocks(_parse(text))]
    return [line for line in (collapse(line) for line in text.splitlines()) if line]


def _h1_text(soup: BeautifulSoup) -> str | None:
    h1 = soup.find("h1")
    return collapse(h1.get_text(" ")) if h1 is not None else None


def strip_markdown(line: str) -> str:
    """Markdown line → its text: headings, emphasis, links, images, quotes and code marks go."""
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_REF_LINK.sub(r"\1", line)
    line = _MD_HEADING.sub("", line)
    line = _MD_CODE.sub(r"\1", line)
    for _ in range(2):
        line = _MD_UNDERSCORES.sub(r"\2", _MD_STARS.sub(r"\2", line))
    return _MD_QUOTE.sub("", line)


def _paragraphs(lines: list[str], *, line_per_paragraph: bool) -> list[str]:
    """Group lines into paragraphs: blank lines separate them, and list items start one. With
    ``line_per_paragraph`` (a text with no blank lines at all) every line is a paragraph."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line.strip() or line_per_paragraph or _LIST_ITEM.match(line):
            if current:
                paragraphs.append(collapse(" ".join(current)))
            current = [_LIST_ITEM.sub("", line)] if line.strip() else []
            continue
        current.append(line)
    if current:
        paragraphs.append(collapse(" ".join(current)))
    return [p for p in paragraphs if p]


def clean_text(text: str, *, headline: bool = True, markdown: bool = True) -> CleanDoc:
    """Plain-text or markdown scrape → headline and body, without site chrome.

    With ``headline=True`` the first non-empty line is the headline (a leading markdown ``#`` is
    removed); with ``headline=False`` all of it is body (records that carry their title in a
    separate field). With ``markdown`` the markup (headings, emphasis, links, images) is reduced
    to its text. Only ``title`` and ``body`` are filled: a text scrape carries no reliable
    metadata. The chrome filter never empties a text on its own: if it would drop every line,
    the lines are kept as they are.
    """
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if markdown:
        lines = [_strip_markdown_line(line) for line in lines]
    title: str | None = None
    if headline:
        for i, line in enumerate(lines):
            if line.strip():
                title = collapse(line)
                lines = lines[i + 1 :]
                break
    published, author = scrape_metadata(lines) if headline else (None, None)
    one_per_line = not any(not line.strip() for line in lines)
    paragraphs = _paragraphs(strip_chrome_lines(lines), line_per_paragraph=one_per_line)
    paragraphs = drop_headline(strip_chrome(paragraphs), [title])
    if not paragraphs:  # everything looked like chrome: a short article, not a menu
        paragraphs = _paragraphs(lines, line_per_paragraph=one_per_line)
    return CleanDoc(title, PARAGRAPH_SEP.join(paragraphs), published, author, None, None)


def _strip_markdown_line(line: str) -> str:
    """One line of markdown → text; link definitions and horizontal rules become blank."""
    if _MD_LINK_DEF.match(line) or _MD_RULE.match(line):
        return ""
    return strip_markdown(line)
