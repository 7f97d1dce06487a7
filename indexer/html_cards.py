"""Teaser cards: the repeated boxes that advertise other stories (a linked headline and a line
or two of summary), found by structure alone: several sibling elements with the same tag and
class, each holding a link block (a headline) beside a little plain text. Pure functions.
"""

from __future__ import annotations

from bs4 import Tag

from indexer.html_blocks import MAX_LINK_DENSITY, plain_chars
from indexer.html_text import Block

CARD_MIN = 3  # this many look-alike siblings make a list of teasers
CARD_MAX_PLAIN = 300  # a teaser's summary is short: at most this many non-link characters


def _signature(tag: Tag) -> tuple[str, tuple[str, ...]]:
    cls = tag.get("class")
    return tag.name, tuple(sorted(cls)) if isinstance(cls, list) else ()


def teaser_cards(blocks: list[Block], root: Tag) -> set[int]:
    """``id()`` of the elements under ``root`` that are teaser cards."""
    stats: dict[int, list[float]] = {}  # id -> [blocks, link-dense blocks, plain chars]
    nodes: dict[int, Tag] = {}
    for block in blocks:
        dense = 1.0 if block.link_density > MAX_LINK_DENSITY else 0.0
        node: Tag | None = block.owner
        while node is not None and node is not root:
            entry = stats.setdefault(id(node), [0, 0, 0.0])
            entry[0] += 1
            entry[1] += dense
            entry[2] += plain_chars(block)
            nodes[id(node)] = node
            node = node.parent
    groups: dict[tuple[int, tuple[str, tuple[str, ...]]], list[int]] = {}
    for key, (count, dense, plain) in stats.items():
        node = nodes[key]
        if dense >= 1 and count > dense and plain <= CARD_MAX_PLAIN and node.parent is not None:
            groups.setdefault((id(node.parent), _signature(node)), []).append(key)
    return {key for members in groups.values() if len(members) >= CARD_MIN for key in members}
