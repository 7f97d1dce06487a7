"""Judging text blocks by their own shape: how much a block counts for the container that holds
it, and which link-dense blocks are lists of links. Language-neutral (length and link text
only, plus the chrome-line test of ``boilerplate``). Pure functions.
"""

from __future__ import annotations

from indexer.boilerplate import is_chrome_line, is_tail_marker
from indexer.html_text import Block

BLOCK_COST = 20  # visible characters a block must carry to count for its container
LINK_PENALTY = 0.5  # each character of link text counts this much against its container
MAX_LINK_DENSITY = 0.5  # a block with more link text than this is a link
ALL_LINK = 0.9  # a block with this much link text is navigation even on its own
LINK_RUN = 2  # this many link blocks in a row are a list of links (menus, related stories)
MIN_SENTENCE_CHARS = 40  # running text is at least this long
SUBHEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_SENTENCE_END = frozenset(".!?…。！？")
_CLOSERS = " \"'”’»)]"


def visible_chars(block: Block) -> int:
    """Characters of the block's text, spaces excluded."""
    return len(block.text) - block.text.count(" ")


def plain_chars(block: Block) -> float:
    """Visible characters that are not link text."""
    return visible_chars(block) * (1.0 - block.link_density)


def block_weights(blocks: list[Block]) -> list[float]:
    """How much each block counts for its container: its length, with link text counting
    against (``LINK_PENALTY``), less ``BLOCK_COST``; so paragraphs count for and short or
    link-heavy blocks against. A short block between two
    paragraphs (a subheading, a one-line paragraph) sides with them and counts for; chrome
    lines ("Advertisement", "Share"), dropped later anyway, count for nothing."""
    base: list[float | None] = [
        None
        if is_chrome_line(block.text) or is_tail_marker(block.text)
        else visible_chars(block) * (1.0 - (1.0 + LINK_PENALTY) * block.link_density) - BLOCK_COST
        for block in blocks
    ]
    short = [w is not None and w <= 0 and b.link_density <= MAX_LINK_DENSITY for w, b in zip(base, blocks)]
    good_before = _good_neighbours(base, short, range(len(blocks)))
    good_after = _good_neighbours(base, short, range(len(blocks) - 1, -1, -1))
    weights: list[float] = []
    for i, (block, w) in enumerate(zip(blocks, base)):
        if w is None:
            weights.append(0.0)
        elif short[i] and good_before[i] and good_after[i]:
            weights.append(float(visible_chars(block)))
        else:
            weights.append(w)
    return weights


def _good_neighbours(base: list[float | None], short: list[bool], order: range) -> list[bool]:
    """For each block: is the nearest decided (neither short nor chrome) block in ``order``
    before it a paragraph (positive weight)?"""
    flags = [False] * len(base)
    last_good = False
    for i in order:
        flags[i] = last_good
        weight = base[i]
        if weight is not None and not short[i]:
            last_good = weight > 0
    return flags


def is_subheading(block: Block) -> bool:
    """Is the block an ``<h2>``–``<h6>`` heading?"""
    return block.owner.name in SUBHEADINGS


def is_sentence(block: Block) -> bool:
    """Does the block read like running text: long enough, ending like a sentence, not chrome?"""
    text = block.text
    if len(text) < MIN_SENTENCE_CHARS or text.rstrip(_CLOSERS)[-1:] not in _SENTENCE_END:
        return False
    return not is_chrome_line(text)


def _is_linked_sentence(block: Block) -> bool:
    """Partly plain text and ending like a sentence."""
    return block.link_density <= ALL_LINK and block.text.rstrip(_CLOSERS)[-1:] in _SENTENCE_END


def drop_link_runs(blocks: list[Block]) -> list[Block]:
    """Drop lists of links: runs of ``LINK_RUN`` or more consecutive link-dense blocks, except
    the sentences among them; alone, a link-dense block stays if it is partly plain text or a
    subheading (a linked section title)."""
    out: list[Block] = []
    run: list[Block] = []
    for block in [*blocks, None]:
        if block is not None and block.link_density > MAX_LINK_DENSITY:
            run.append(block)
            continue
        if len(run) >= LINK_RUN:
            out.extend(b for b in run if _is_linked_sentence(b))
        else:
            out.extend(b for b in run if b.link_density <= ALL_LINK or is_subheading(b))
        run = []
        if block is not None:
            out.append(block)
    return out
