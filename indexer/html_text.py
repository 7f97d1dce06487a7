"""DOM → text blocks: one block per run of text between block-level boundaries.

Inline elements (``<b>``, ``<a>``, ``<span>``...) are joined exactly as written, so a word split by
tags stays one word and words separated by whitespace stay apart; every block-level element and
``<br>`` ends a block, so text of neighbouring blocks is never glued together. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bs4 import Tag
from bs4.element import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction

INLINE_TAGS = frozenset(
    """a abbr acronym b bdi bdo big cite code data del dfn em font i ins kbd mark nobr q rp rt
    ruby s samp small span strike strong sub sup time tt u var wbr label""".split()
)
# Never text: their contents are code, media or form widgets.
SKIP_TAGS = frozenset(
    """script style noscript template svg math canvas iframe object embed video audio source
    track map select option optgroup textarea input button head title meta link picture img""".split()
)
_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)
# A link whose text is a written-out URL is text the author wrote, not navigation.
_URL_TEXT = re.compile(r"(?:https?://|www\.)\S+$", re.I)


@dataclass
class Block:
    """A paragraph of text and where it sits: ``owner`` is its nearest block-level element."""

    text: str
    link_chars: int
    owner: Tag

    @property
    def link_density(self) -> float:
        """Share of the block's visible characters that are link text."""
        chars = len(self.text.replace(" ", ""))
        return self.link_chars / chars if chars else 0.0


def collapse(text: str) -> str:
    """Collapse runs of whitespace (including no-break spaces) to one space; strip the ends."""
    return " ".join(text.split())


def text_blocks(root: Tag, split: Callable[[Tag], bool] | None = None) -> list[Block]:
    """The text blocks under ``root`` in document order (iterative: deep DOMs are fine).

    ``split(tag)`` true makes an inline element a block of its own (a caption ``<span>``, a
    share link), so that its text can be judged apart from the text around it.
    """
    blocks: list[Block] = []
    parts: list[str] = []
    link_chars = 0
    link_depth = 0
    owners: list[Tag] = [root]

    def flush() -> None:
        nonlocal link_chars
        text = collapse("".join(parts))
        if text:
            blocks.append(Block(text, min(link_chars, len(text)), owners[-1]))
        parts.clear()
        link_chars = 0

    stack: list[tuple[object, bool]] = [(child, False) for child in reversed(root.contents)]
    while stack:
        node, leaving = stack.pop()
        if leaving and isinstance(node, Tag):
            if node.name == "a":
                link_depth -= 1
            if node is owners[-1]:
                flush()
                owners.pop()
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, _NOT_TEXT):
                parts.append(str(node))
                if link_depth and not _URL_TEXT.match(node.strip()):
                    link_chars += len("".join(str(node).split()))
            continue
        if not isinstance(node, Tag) or node.name in SKIP_TAGS:
            continue
        if node.name == "br" or node.name == "hr":
            flush()
            continue
        if node.name not in INLINE_TAGS or (split is not None and split(node)):
            flush()
            owners.append(node)
        if node.name == "a":
            link_depth += 1
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    flush()
    return blocks
