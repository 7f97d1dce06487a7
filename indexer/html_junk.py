"""Which HTML elements are page chrome (navigation, share bars, ads, related stories, comments...)
and which are named like an article body. Judged from tag names, ARIA roles, ``hidden`` styles and
class/id words only, so it works for pages in any language. Pure predicates.
"""

from __future__ import annotations

import re

from bs4 import Tag

JUNK_TAGS = frozenset(
    "nav header footer aside form figcaption button dialog menu menuitem fieldset legend".split()
)
JUNK_ROLES = frozenset(
    "navigation banner contentinfo complementary dialog alertdialog menu menubar search toolbar".split()
)
# class/id words of chrome; each must start at a word boundary (``-``, ``_``, space or start).
_JUNK_WORDS = re.compile(
    r"(?:^|[^a-z0-9])(?:"
    r"share|sharing|social|sociable|addthis|shareaholic|sharedaddy|subscri|newsletter|signup|sign-up"
    r"|related|recommend|recirc|more-stories|more-from|morestories|also-read|read-next|readnext"
    r"|next-article|prev-article|post-nav|post-navigation|nav-links|comment(?!ary)|disqus|respond"
    r"|discussion"
    r"|advert|adsense|adslot|ad-slot|ad-container|ad-wrapper|ad-unit|adunit|dfp|gpt|taboola|outbrain"
    r"|sponsor|promo|cookie|consent|gdpr|popup|modal|sidebar|side-bar|breadcrumb|pagination"
    r"|pager|tagcloud|tag-list|taglist|post-tags|article-tags|entry-tags|byline|author-bio|authorbio"
    r"|author-box|author-info|about-author|caption|credit|masthead|navbar|navigation|menu|toolbar"
    r"|skip-link|screen-reader|sr-only|visually-hidden|trending|popular|most-read|mostread|jump-link"
    r"|rail|footer|header|topbar|top-bar|login|print-only|entry-meta|post-meta|article-meta"
    r"|story-meta|meta-data|timestamp|dateline|player|paywall-prompt"
    r")",
    re.I,
)
# Exact class/id words of chrome (too short to be matched as prefixes).
_JUNK_TOKENS = frozenset("ad ads adv nav tags share hide print".split())
# Whole class names that hide an element.
_HIDING_CLASSES = frozenset(
    "hidden hide is-hidden d-none invisible visually-hidden sr-only screen-reader-text".split()
)
_CONTENT_WORDS = re.compile(
    r"(?:^|[^a-z0-9])(?:article-?body|article-?content|article-?text|articlebody|story-?body"
    r"|story-?content|story-?text|post-?content|post-?body|post-?text|entry-?content|entry-?body"
    r"|body-?text|main-?content|content-?body|rich-?text|text-?body|article__body|article__content"
    r"|post__content|single-?content|page-?content|blog-?content|news-?content|news-?text)",
    re.I,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
PROTECTED_TAGS = frozenset({"html", "body", "article", "main"})


def _names(tag: Tag) -> str:
    """The element's class and id, space separated, camelCase split with ``-``, lower-cased."""
    cls = tag.get("class")
    classes = " ".join(cls) if isinstance(cls, list) else str(cls or "")
    return _CAMEL.sub("-", f"{classes} {tag.get('id') or ''}").lower().strip()


def is_hidden(tag: Tag) -> bool:
    """``hidden`` attribute, ``aria-hidden=true``, a hiding class or a ``display:none`` style."""
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    cls = tag.get("class")
    if isinstance(cls, list) and _HIDING_CLASSES.intersection(c.lower() for c in cls):
        return True
    return bool(_HIDDEN_STYLE.search(str(tag.get("style") or "")))


def is_junk(tag: Tag) -> bool:
    """True when the element is site chrome by its tag, role, visibility or class/id words."""
    if tag.name in PROTECTED_TAGS:
        return False
    if tag.name in JUNK_TAGS or is_hidden(tag):
        return True
    if str(tag.get("role") or "").lower() in JUNK_ROLES:
        return True
    names = _names(tag)
    if not names or is_content(tag):
        return False
    if _JUNK_TOKENS.intersection(_TOKEN_SPLIT.split(names)):
        return True
    return bool(_JUNK_WORDS.search(names))


def is_content(tag: Tag) -> bool:
    """True when the element is marked or named as an article body."""
    if str(tag.get("itemprop") or "").lower() == "articlebody":
        return True
    return bool(_CONTENT_WORDS.search(_names(tag)))
