"""When the body container holds several ``<article>`` elements (the story and the teasers of
other stories), narrow it down to the story. Pure functions.
"""

from __future__ import annotations

import re

from bs4 import Tag

MIN_ARTICLE_SHARE = 0.1  # the headline's <article> must carry this share of its container
DOMINANT_ARTICLE = 2.0  # without the headline, one <article> must outweigh the others this much
MIN_CONTAINED_TITLE = 15  # a heading and a title this long may contain one another
HEADINGS = ["h1", "h2", "h3"]


def _normal(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


def holds_headline(node: Tag, title: str) -> bool:
    """Does the element hold a heading whose text is the page's title?"""
    want = _normal(title)
    for heading in node.find_all(HEADINGS):
        text = _normal(heading.get_text())
        if text and (text == want or (len(text) >= MIN_CONTAINED_TITLE and (text in want or want in text))):
            return True
    return False


def outer_articles(container: Tag) -> list[Tag]:
    """``<article>`` elements under the container that are not inside another one."""
    found = []
    for article in container.find_all("article"):
        parent = article.parent
        while parent is not None and parent is not container and parent.name != "article":
            parent = parent.parent
        if parent is container:
            found.append(article)
    return found


def refine_to_article(container: Tag, scores: dict[int, float], title: str | None) -> Tag:
    """The ``<article>`` in ``container`` that holds the headline, else one that clearly
    outweighs the others, else ``container``. ``scores`` are weights keyed by ``id(element)``."""
    articles = [a for a in outer_articles(container) if scores.get(id(a), 0.0) > 0]
    if len(articles) < 2:
        return container
    total = scores.get(id(container), 0.0)
    if title:
        titled = [a for a in articles if holds_headline(a, title)]
        if titled:
            best = max(titled, key=lambda a: scores[id(a)])
            if scores[id(best)] >= MIN_ARTICLE_SHARE * total:
                return best
    best = max(articles, key=lambda a: scores[id(a)])
    rest = sum(scores[id(a)] for a in articles) - scores[id(best)]
    return best if scores[id(best)] >= DOMINANT_ARTICLE * rest else container
