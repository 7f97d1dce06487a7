"""Find the article body of an HTML page and return its paragraphs.

Language-neutral, by structure: the page is cut into text blocks (``html_text``); blocks inside
chrome elements (``html_junk``) are left out, unless the element wraps the article body or holds
nearly all of the page's text, and so are teaser cards (``html_cards``); every other block gets
a weight from its length and link text (``html_blocks``), and the element whose blocks weigh the
most is the body, narrowed to the story's ``<article>`` when it also holds teasers
(``html_article``). Lists of links inside it are dropped last. Pure: the soup is read, never
changed.
"""

from __future__ import annotations

from collections.abc import Iterator

from bs4 import BeautifulSoup, Tag

from indexer.html_article import refine_to_article
from indexer.html_blocks import block_weights, drop_link_runs, is_sentence, plain_chars
from indexer.html_cards import teaser_cards
from indexer.html_junk import is_content, is_junk
from indexer.html_text import Block, text_blocks

PROTECT_SHARE = 0.8  # a chrome-named element holding this share of the page's plain text is kept
PROTECT_MIN_CHARS = 200  # ...if that is at least this many characters
ANCHOR_SHARE = 0.25  # an article-body-named element with this share protects its ancestors
CONTENT_BOOST = 1.2  # weight factor of elements named like an article body, and of <article>
TIGHTEN_SHARE = 0.95  # a child with this share of its parent's weight replaces the parent


def _lineage(tag: Tag, root: Tag) -> Iterator[Tag]:
    """``tag`` and its ancestors up to and including ``root``."""
    node: Tag | None = tag
    while node is not None:
        yield node
        if node is root:
            return
        node = node.parent


def _totals(blocks: list[Block], values: list[float], root: Tag) -> dict[int, float]:
    """Sum of the blocks' values under each element, keyed by ``id(element)``."""
    totals: dict[int, float] = {}
    for block, value in zip(blocks, values):
        for node in _lineage(block.owner, root):
            totals[id(node)] = totals.get(id(node), 0.0) + value
    return totals


def _wrappers(root: Tag, plain: dict[int, float]) -> set[int]:
    """Elements that wrap a sizeable article-body-named element (``itemprop=articleBody``,
    ``class="article-body"``...): whatever their own names say, they are not chrome."""
    floor = max(ANCHOR_SHARE * plain.get(id(root), 0.0), PROTECT_MIN_CHARS)
    wrapping: set[int] = set()
    for tag in root.find_all(True):
        if plain.get(id(tag), 0.0) >= floor and is_content(tag):
            wrapping.update(id(node) for node in _lineage(tag, root))
    return wrapping


def _junk_marks(blocks: list[Block], root: Tag, plain: dict[int, float]) -> list[bool]:
    """For each block: does it sit inside a chrome element?"""
    floor = max(PROTECT_SHARE * plain.get(id(root), 0.0), PROTECT_MIN_CHARS)
    wrappers = _wrappers(root, plain)
    memo: dict[int, bool] = {}

    def junk(node: Tag) -> bool:
        chain: list[Tag] = []
        verdict = False
        for item in _lineage(node, root):
            if id(item) in memo:
                verdict = memo[id(item)]
                break
            chain.append(item)
        for item in reversed(chain):  # outermost first: chrome stays chrome all the way down
            verdict = verdict or (
                is_junk(item) and plain.get(id(item), 0.0) < floor and id(item) not in wrappers
            )
            memo[id(item)] = verdict
        return verdict

    return [junk(block.owner) for block in blocks]


def best_container(blocks: list[Block], root: Tag, scores: dict[int, float]) -> Tag:
    """The element whose blocks weigh the most (article-body-named ones and ``<article>``
    boosted), tightened to a child that carries nearly all of its weight (see ``_tighten``)."""
    best, best_score = root, float("-inf")
    seen: set[int] = set()
    for block in blocks:
        for node in _lineage(block.owner, root):
            if id(node) in seen:
                break
            seen.add(id(node))
            score = scores[id(node)]
            if score > 0 and (node.name == "article" or is_content(node)):
                score *= CONTENT_BOOST
            if score > best_score:
                best, best_score = node, score
    sentences = _totals(blocks, [float(is_sentence(b)) for b in blocks], root)
    return _tighten(best, scores, sentences)


def _tighten(node: Tag, scores: dict[int, float], sentences: dict[int, float]) -> Tag:
    """Descend into a child that carries nearly all of the node's weight when all that is left
    out are scraps (a byline, a date line, a standfirst): never a sentence of running text,
    which may be the story's first paragraph."""
    while True:
        total = scores.get(id(node), 0.0)
        children = [c for c in node.find_all(True, recursive=False) if id(c) in scores]
        child = max(children, key=lambda c: scores[id(c)], default=None)
        if child is None or total <= 0 or scores[id(child)] < TIGHTEN_SHARE * total:
            return node
        if sentences.get(id(node), 0.0) > sentences.get(id(child), 0.0):
            return node
        node = child


def _inside(block: Block, container: Tag, root: Tag) -> bool:
    return any(node is container for node in _lineage(block.owner, root))


def _in_h1(block: Block, root: Tag) -> bool:
    return any(node.name == "h1" for node in _lineage(block.owner, root))


def body_blocks(soup: BeautifulSoup, *, title: str | None = None) -> list[Block]:
    """The blocks of the article body in document order; ``title`` helps pick the story."""
    root = soup.body if isinstance(soup.body, Tag) else soup
    blocks = text_blocks(root, split=is_junk)
    plain = _totals(blocks, [plain_chars(b) for b in blocks], root)
    marks = _junk_marks(blocks, root, plain)
    kept = [block for block, junk in zip(blocks, marks) if not junk]
    cards = teaser_cards(kept, root)
    if cards:
        kept = [b for b in kept if not any(id(node) in cards for node in _lineage(b.owner, root))]
    if not kept:
        return []
    scores = _totals(kept, block_weights(kept), root)
    container = refine_to_article(best_container(kept, root, scores), scores, title)
    inside = [b for b in kept if _inside(b, container, root) and not _in_h1(b, root)]
    return drop_link_runs(inside)


def body_paragraphs(soup: BeautifulSoup, *, title: str | None = None) -> list[str]:
    """The article body's paragraphs (the texts of its blocks)."""
    return [block.text for block in body_blocks(soup, title=title)]
