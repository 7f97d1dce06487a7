"""Site chrome in extracted text: standalone UI lines ("Share this", "Advertisement") and the
markers after which only navigation follows ("Previous Article", "You may also like").

Chrome lines are short and standalone: a body paragraph that merely uses such words inside a
sentence is never removed. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Whole lines that are UI text, compared after _key() normalisation.
CHROME_LINES = frozenset(
    " ".join(word.split())
    for word in """
    no time to read|get a summary|read more|read full story|read the full story|continue reading
    |read full article|read the full article|share|share this|share this article|share this story
    |share this post|share on facebook|share on twitter|share via email|tweet|email|print|save
    |advertisement|advertising|advert|ad|ads|sponsored|sponsored content|paid content|promoted
    |subscribe|subscribe now|subscribe to our newsletter|sign up|sign up now|sign up for free
    |sign up for our newsletter|newsletter|join our newsletter|log in|login|register
    |skip to content|skip to main content|back to top|scroll to continue|scroll to continue with content
    |story continues below|story continues below advertisement|article continues below
    |article continues below advertisement|continue reading below|continue reading below advertisement
    |content continues below|click to expand|click to enlarge|click here|loading|close|menu|search
    |follow us|follow|listen|listen to this article|watch|watch video|play video|video|photo|image
    |view gallery|open gallery|enlarge|expand|copy link|link copied|comment|show comments
    |view comments|add a comment|toggle caption|hide caption|show caption|see more|show more
    |load more|more|next|previous|prev|top|home|back|related|related content|tags|topics|filed under
    |don't miss|don’t miss|see more|see also|more on this|more on this story|must read|editor's picks
    |text size|font size|highlights|key points|summary|audio|download|reprints|permalink
    |leia mais|leia também|veja também|leggi anche|leggi di più|baca juga|lesen sie auch
    |mehr zum thema|lire aussi|lee también|читайте также|читать далее|подробнее
    """.split("|")
)
# Lines after which only site navigation follows (neighbouring headlines, teasers, comments).
TAIL_LINES = frozenset(
    " ".join(word.split())
    for word in """
    previous article|next article|previous post|next post|previous story|next story
    |related articles|related stories|related posts|related news|related reading|related coverage
    |you may also like|you might also like|you may be interested in|you might be interested in
    |read next|up next|what to read next|trending|trending now|trending stories|more stories
    |more news|more articles|recommended|recommended for you|recommended stories|most popular
    |most read|most viewed|popular stories|popular posts|top stories|latest news|latest stories
    |comments|leave a comment|leave a reply|post a comment|join the conversation
    |tell us what you think|about the author
    |artigos relacionados|posts relacionados|articoli correlati|artikel terkait|berita terkait
    |ähnliche artikel|похожие статьи|читайте также|관련기사|関連記事
    """.split("|")
)
# Short lines that start like this are chrome ("READ MORE: Another story's headline").
_CHROME_PREFIX = re.compile(
    r"^(?:read more|read also|also read|see also|see more|don't miss|don’t miss|related|more"
    r"|more on this|watch|listen|photo|photos|image|tags|tagged|topics|filed under"
    r"|video|credit|pictured|click here to|click to|tap here to|sign up for|sign up to"
    r"|subscribe to|subscribe for|follow us on|follow us|share this|share on|download our app"
    r"|leia também|leia mais|veja também|leggi anche|baca juga|lesen sie auch|lire aussi"
    r"|читайте также)\b\s*[:|\-–—»›>]",
    re.I,
)
_CLICK_PREFIX = re.compile(
    r"^(?:click here|click to|tap here|sign up (?:for|to|now|here|today)|subscribe (?:to|now|for|today)"
    r"|follow us on|download our app)\b",
    re.I,
)
# Short lines of page furniture: copyright, publication stamps, credits, contact addresses.
_FURNITURE = re.compile(
    r"^(?:copyright|©|\(c\))\s*(?:©\s*)?(?:\d{4}|by\b)|\ball rights reserved\b"
    r"|^\((?:additional |with )?(?:reporting|writing|editing|compiled|edited) by\b"
    r"|^additional reporting by\b|^(?:reporting|writing|editing) by\b(?:[^.]*;|[^.!?]*$)"
    r"|\bcontributed (?:to )?this (?:report|story|article)\W*$"
    r"|^(?:write to|e-?mail|contact)\b.*\b[\w.+-]+@[\w-]+\.\w"
    r"|\b(?:earn|receive)s? (?:an? )?(?:small )?(?:affiliate )?commission\b|\bwe use (?:\w+ ){0,3}affiliate links\b",
    re.I,
)
# "By A. Writer on Monday, November 18th, 2019 at 11:04 a.m.", "By A. Writer | 9:24 pm ET"
_BYLINE = re.compile(
    r"^(?:by|von|por|par|oleh)\s+([^\W\d_][\w.'’-]*(?:\s+[^\W\d_][\w.'’-]*){0,5}?)\s*"
    r"(?:[|,•·–—-]|\bon\b|\bat\b|\bupdated\b|\bpublished\b).*(?:\d{1,2}:\d{2}|\b(?:19|20)\d{2}\b)",
    re.I,
)
_STAMP = re.compile(
    r"^(?:[\d/.\-: ]+[-–|·]\s*)?(?:published|updated|posted|last updated|publicado|pubblicato"
    r"|publié|veröffentlicht|aktualisiert|опубликовано|обновлено|diterbitkan|diperbarui)\b",
    re.I,
)
_MORE_STORIES = re.compile(
    r"^(?:more|other|related|latest|recent|popular|top|recommended)\b(?:\s+\S+){0,3}"
    r"\s+(?:stories|articles|news|posts|reads|videos|headlines)$"
)
_NAME_JOINERS = frozenset({"and", "&", "und", "e", "y", "et", "dan", "de", "van", "von", "da"})
_COUNTED_TAIL = re.compile(r"^\d+\s+(?:comments?|responses?|replies)$")
_EDGE_JUNK = re.compile(r"^[\W_]+|[\W_]+$")
MAX_CHROME_WORDS = 20
MAX_FURNITURE_WORDS = 40


def _key(line: str) -> str:
    """Lower-case, single-spaced, without leading/trailing punctuation, arrows or bullets."""
    return _EDGE_JUNK.sub("", " ".join(line.split()).lower())


def is_chrome_line(line: str) -> bool:
    """True for a standalone UI line: "Share this article", "READ MORE: ...", "Advertisement"."""
    text = " ".join(line.split())
    if not text:
        return False
    key = _key(text)
    if key in CHROME_LINES:
        return True
    words = len(text.split())
    if words <= MAX_FURNITURE_WORDS and _FURNITURE.search(text):
        return True
    if words > MAX_CHROME_WORDS:
        return False
    if _CHROME_PREFIX.match(text):
        return True
    byline = _BYLINE.match(text)
    if byline and all(word[0].isupper() or word in _NAME_JOINERS for word in byline[1].split()):
        return True
    if words <= 15 and _STAMP.match(text) and any(c.isdigit() for c in text) and text[-1] not in ".!?":
        return True
    return words <= 12 and bool(_CLICK_PREFIX.match(text))


def is_tail_marker(line: str) -> bool:
    """True for a heading after which only navigation follows ("Previous Article", "Trending")."""
    key = _key(line)
    return key in TAIL_LINES or bool(_COUNTED_TAIL.match(key) or _MORE_STORIES.match(key))


def strip_chrome(paragraphs: Iterable[str], *, guard_tail: bool = False) -> list[str]:
    """Drop chrome lines, and cut at the first tail marker that follows some kept text.

    With ``guard_tail`` (HTML, where the body was already found by structure) a marker cuts
    only when less text follows it than precedes it: a story with a subheading "Trending" or
    "Comments" keeps its second half.
    """
    items = list(paragraphs)
    sizes = [len(p) for p in items]
    after = sum(sizes)
    kept: list[str] = []
    before = 0
    for paragraph, size in zip(items, sizes):
        after -= size
        if kept and is_tail_marker(paragraph) and (not guard_tail or after < before):
            break
        if is_tail_marker(paragraph) or is_chrome_line(paragraph):
            continue
        kept.append(paragraph)
        before += size
    return kept


def strip_chrome_lines(lines: Iterable[str]) -> list[str]:
    """Line-level :func:`strip_chrome` for text scrapes: a chrome line becomes a blank line (so
    the lines around it are not joined), and the text is cut at a tail marker after some text."""
    kept: list[str] = []
    seen_text = False
    for line in lines:
        if not line.strip():
            kept.append("")
        elif is_tail_marker(line):
            if seen_text:
                break
            kept.append("")
        elif is_chrome_line(line):
            kept.append("")
        else:
            seen_text = True
            kept.append(line)
    return kept
