"""The cleaner: text scrapes, HTML pages, metadata, chrome lines. Tiny inputs written here."""

from __future__ import annotations

import json

import pytest

from indexer.boilerplate import is_chrome_line, is_tail_marker, strip_chrome
from indexer.clean import CleanDoc, clean_html, clean_text

# ---------------------------------------------------------------- text scrapes

SCRAPE = """Canal Boat Library Opens on the Mere

No time to read?
Get a summary

A narrowboat fitted with shelves for four thousand books began lending on Saturday from its mooring by the old lock.

Volunteers restored the hull over two winters; the county paid for the shelving and a small reading room in the stern.

The boat will visit six villages along the canal each month, staying two days in each.

No time to read?
Get a summary
Previous Article

Orchard Growers Report Record Pear Crop

Next Article

Bell Foundry Casts Its Last Bell
"""

SCRAPE_BODY = (
    "A narrowboat fitted with shelves for four thousand books began lending on Saturday from its"
    " mooring by the old lock.\n\n"
    "Volunteers restored the hull over two winters; the county paid for the shelving and a small"
    " reading room in the stern.\n\n"
    "The boat will visit six villages along the canal each month, staying two days in each."
)


def test_seed_shaped_scrape_cleans_to_headline_and_body() -> None:
    doc = clean_text(SCRAPE)
    assert doc == CleanDoc(
        title="Canal Boat Library Opens on the Mere",
        body=SCRAPE_BODY,
        published=None,
        author=None,
        source=None,
        url=None,
    )


def test_without_headline_everything_is_body() -> None:
    doc = clean_text(SCRAPE.split("\n", 2)[2], headline=False)
    assert doc.title is None
    assert doc.body == SCRAPE_BODY


def test_windows_line_endings_and_hard_wrapped_paragraphs() -> None:
    text = "Title here\r\n\r\nFirst line of a paragraph\r\nthat wraps.\r\n\r\nSecond paragraph.\r\n"
    doc = clean_text(text)
    assert doc.title == "Title here"
    assert doc.body == "First line of a paragraph that wraps.\n\nSecond paragraph."


def test_text_without_blank_lines_has_one_paragraph_per_line() -> None:
    doc = clean_text("Mill reopens\nThe mill reopened today.\nIt had been shut for a year.\nAdvertisement")
    assert doc.title == "Mill reopens"
    assert doc.body == "The mill reopened today.\n\nIt had been shut for a year."


def test_chrome_words_inside_sentences_are_kept() -> None:
    text = (
        "Readers told to share this article widely\n\n"
        "The mayor asked residents to share this article with neighbours who do not read the paper.\n\n"
        "Share this article\n\n"
        "She said you may also like the new timetable, which runs later on Sundays.\n\n"
        "Read more: Council backs late buses\n\n"
        "Related articles\n\n"
        "Bus depot to close\n"
    )
    doc = clean_text(text)
    assert doc.body == (
        "The mayor asked residents to share this article with neighbours who do not read the paper."
        "\n\nShe said you may also like the new timetable, which runs later on Sundays."
    )


def test_markdown_markup_is_reduced_to_text() -> None:
    text = (
        "# Glass works *wins* award\n\n"
        "![furnace](https://example.org/f.jpg)\n\n"
        "The **Hartley** glass works won the [regional design prize](https://example.org/prize) "
        "for its _recycled_ bottles; snake_case stays.\n\n"
        "## Judges' verdict\n\n"
        "- Strong colour\n"
        "- Low energy use\n\n"
        "[1]: https://example.org/ref\n"
    )
    doc = clean_text(text)
    assert doc.title == "Glass works wins award"
    assert doc.body == (
        "The Hartley glass works won the regional design prize for its recycled bottles;"
        " snake_case stays.\n\nJudges' verdict\n\nStrong colour\n\nLow energy use"
    )


def test_empty_text() -> None:
    assert clean_text("") == CleanDoc(None, "", None, None, None, None)
    assert clean_text("   \n\n ", headline=False).body == ""


# ---------------------------------------------------------------- chrome lines


@pytest.mark.parametrize(
    "line",
    ["No time to read?", "Get a summary", "ADVERTISEMENT", "Share this article", "READ MORE: Dam opens",
     "Click here to subscribe", "Subscribe to our newsletter", "Sign up", "Story continues below advertisement"],
)  # fmt: skip
def test_chrome_lines(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize(
    "line",
    ["Read more about the dam in the council's report, which runs to four hundred pages and was published on Monday.",
     "Advertisement revenue fell by a fifth last year.", "Sign up was slow, officials said.", ""],
)  # fmt: skip
def test_not_chrome_lines(line: str) -> None:
    assert not is_chrome_line(line)


def test_tail_markers_cut_only_after_text() -> None:
    assert is_tail_marker("Previous Article") and is_tail_marker("You may also like:")
    assert not is_tail_marker("Previous articles on this topic explained the vote.")
    assert strip_chrome(["Trending", "Body one.", "Share", "Body two.", "Trending", "Other story"]) == [
        "Body one.",
        "Body two.",
    ]


# ---------------------------------------------------------------- HTML

PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<title>Tram line extended to the harbour | Riverside Gazette</title>
<meta property="og:title" content="Tram line extended to the harbour">
<meta property="og:site_name" content="Riverside Gazette">
<meta name="author" content="Meta Author">
<link rel="canonical" href="/transport/tram-harbour">
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Gazette Site"},
  {"@type": "NewsArticle", "headline": "Tram line extended to the harbour",
   "datePublished": "2024-05-02T08:30:00+01:00",
   "author": [{"@type": "Person", "name": "Ada Lind"}, {"@type": "Person", "name": "Bo Sten"}],
   "publisher": {"@type": "Organization", "name": "Riverside Gazette Ltd"}}
]}
</script>
<style>p { color: red; }</style>
</head><body>
<header><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></header>
<nav><ul><li><a href="/a">Politics</a></li><li><a href="/b">Business</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<main>
<article>
<h1>Tram line extended to the harbour</h1>
<div class="byline">By Ada Lind and Bo Sten</div>
<div class="share-tools"><a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a></div>
<div class="article-body">
<p>The city's tram line now runs all the way to the harbour, after eighteen months of work on a new bridge over the river.</p>
<figure><img src="tram.jpg" alt="A tram"><figcaption>The first tram crosses the bridge. Photo: Gazette</figcaption></figure>
<p>Trams will run every <b>six</b> minutes at peak times, the transport authority said, and every ten minutes in the evening.</p>
<script>trackPageView();</script>
<div class="ad-slot">Advertisement</div>
<p>Shopkeepers near the harbour expect more visitors in summer, when the ferries to the islands are busiest.</p>
</div>
<div class="related-stories"><h3>Related stories</h3><ul>
<li><a href="/x">Bus fares frozen for another year in the city and surrounding districts</a></li>
<li><a href="/y">Bridge repairs finished ahead of schedule after crews worked through the winter</a></li>
</ul></div>
</article>
</main>
<aside><h3>Most read</h3><p>Storm closes coastal road for the third time this winter, leaving villages cut off.</p></aside>
<footer><p>Copyright Riverside Gazette. All rights reserved.</p><form><input name="q"><button>Search</button></form></footer>
</body></html>
"""


def test_html_article_body_and_metadata() -> None:
    doc = clean_html(PAGE, url="https://gazette.example/transport/tram-harbour?utm=1")
    assert doc.body == (
        "The city's tram line now runs all the way to the harbour, after eighteen months of work"
        " on a new bridge over the river.\n\n"
        "Trams will run every six minutes at peak times, the transport authority said, and every"
        " ten minutes in the evening.\n\n"
        "Shopkeepers near the harbour expect more visitors in summer, when the ferries to the"
        " islands are busiest."
    )
    assert doc.title == "Tram line extended to the harbour"
    assert doc.published == "2024-05-02T08:30:00+01:00"
    assert doc.author == "Ada Lind, Bo Sten"
    assert doc.source == "Riverside Gazette"
    assert doc.url == "https://gazette.example/transport/tram-harbour"


def test_html_metadata_fallbacks_meta_tags_then_document() -> None:
    html = (
        "<html><head><title>Quiet week at the port - Port News</title>"
        "<meta name='application-name' content='Port News'>"
        "<meta property='article:published_time' content='Tue, 03 Mar 1987 09:12:00 GMT'>"
        "<meta property='article:author' content='https://facebook.example/someone'>"
        "<meta name='parsely-author' content='By Cy Moor'>"
        "<meta property='og:url' content='https://port.example/quiet-week'>"
        "</head><body><div id='story'><p>Only two cargo ships called at the port this week, the fewest"
        " since the harbour was dredged in the spring.</p></div></body></html>"
    )
    doc = clean_html(html)
    assert doc == CleanDoc(
        title="Quiet week at the port",
        body="Only two cargo ships called at the port this week, the fewest since the harbour was"
        " dredged in the spring.",
        published="1987-03-03T09:12:00+00:00",
        author="Cy Moor",
        source="Port News",
        url="https://port.example/quiet-week",
    )


def test_html_time_element_h1_title_and_url_argument() -> None:
    html = (
        "<body><h1>Ferry returns</h1><p class='meta'>Posted <time datetime='2023-11-05'>5 Nov</time></p>"
        "<div class='entry-content'><p>The ferry returned to service on Sunday after a month in dry dock"
        " for repairs to its propeller shaft.</p></div></body>"
    )
    doc = clean_html(html, url="https://isles.example/ferry")
    assert (doc.title, doc.published, doc.url) == ("Ferry returns", "2023-11-05", "https://isles.example/ferry")
    assert doc.body == (
        "The ferry returned to service on Sunday after a month in dry dock for repairs to its propeller shaft."
    )
    assert doc.author is None and doc.source is None


def test_json_ld_author_string_and_article_in_list() -> None:
    ld = [{"@type": "BreadcrumbList"}, {"@type": ["ReportageNews"], "headline": "Dam opens",
          "author": "Di Fenn", "datePublished": "2022-01-09", "url": "https://dam.example/a"}]  # fmt: skip
    html = (
        f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
        "<p>The new dam opened on Sunday after years of delays and a long legal fight over the valley.</p>"
    )
    doc = clean_html(html)
    assert (doc.title, doc.author, doc.published, doc.url) == (
        "Dam opens", "Di Fenn", "2022-01-09", "https://dam.example/a"
    )


def test_inline_tags_neither_glue_nor_split_words() -> None:
    html = (
        "<div class='post-content'><p>Fis<b>her</b>men landed <a href='/x'>forty</a>  tonnes of "
        "<em>cod</em>,<span> </span>a record.<br>Prices<br/><br/>fell.</p>"
        "<p>Second</p><div>block</div><ul><li>one</li><li>two</li></ul>"
        "<p>Hotel<span>bookings</span> rose&nbsp;too.</p></div>"
    )
    assert clean_html(html).body == (
        "Fishermen landed forty tonnes of cod, a record.\n\nPrices\n\nfell.\n\nSecond\n\nblock"
        "\n\none\n\ntwo\n\nHotelbookings rose too."
    )


def test_body_never_starts_with_the_headline() -> None:
    html = (
        "<meta property='og:title' content='Wind farm approved'>"
        "<div class='story'><p>Wind farm approved</p><p>The offshore wind farm was approved on Monday"
        " by the planning inspectorate after a two-year inquiry.</p></div>"
    )
    assert clean_html(html).body == (
        "The offshore wind farm was approved on Monday by the planning inspectorate after a two-year inquiry."
    )


def test_chrome_paragraphs_inside_the_article_are_dropped() -> None:
    html = (
        "<article><p>No time to read?</p><p>Get a summary</p>"
        "<p>The orchestra will tour eleven towns this autumn, its longest tour since the hall closed.</p>"
        "<p>Advertisement</p><p>Tickets go on sale on Friday at the box office and online.</p>"
        "<p>Previous Article</p><p>Choir wins county prize</p><p>Next Article</p><p>Organ restored</p>"
        "</article>"
    )
    assert clean_html(html).body == (
        "The orchestra will tour eleven towns this autumn, its longest tour since the hall closed."
        "\n\nTickets go on sale on Friday at the box office and online."
    )


def test_story_is_chosen_over_teasers_of_other_stories() -> None:
    teaser = (
        "<article class='teaser'><h2><a href='/{n}'>Other story {n}</a></h2>"
        "<p>A summary of another story that is long enough to look like a real paragraph of text.</p></article>"
    )
    html = (
        "<meta property='og:title' content='Library extends opening hours'><div class='col'>"
        "<article><h1>Library extends opening hours</h1><p>The central library will open until nine"
        " on weekdays from March, the council said.</p></article>"
        + "".join(teaser.format(n=n) for n in range(4))
        + "</div>"
    )
    assert clean_html(html).body == (
        "The central library will open until nine on weekdays from March, the council said."
    )


@pytest.mark.parametrize(
    "html",
    ["", "   ", "<", "<html><body></body></html>", "<p>unclosed <b>bold <i>text", "<<<>>>&&&;",
     "<html><body><nav><a href='/'>Home</a></nav></body></html>", "\x00\x01binary\xff",
     "<script type='application/ld+json'>{not json</script><p>Text</p>",
     "<meta property='article:published_time' content='not a date'><table><tr><td>cell",
     "<div>" * 3000 + "deep" + "</div>" * 3000],
)  # fmt: skip
def test_malformed_or_empty_html_never_raises(html: str) -> None:
    doc = clean_html(html)
    assert isinstance(doc, CleanDoc) and isinstance(doc.body, str)
    assert "\n\n\n" not in doc.body and doc.body == doc.body.strip()


def test_page_without_article_returns_empty_or_short_body() -> None:
    doc = clean_html("<html><body><nav><a href='/a'>A</a><a href='/b'>B</a></nav><footer>(c)</footer></body></html>")
    assert doc.body == ""


PARA = (
    "The {n} paragraph of the inspection report runs long enough to read as body text, with a"
    " clause or two. It names the kettles that failed, the shops that sold them and the dates."
)


def _paras(*names: str) -> str:
    return "".join(f"<p>{PARA.format(n=n)}</p>" for n in names)


def test_link_lists_go_but_sentences_that_are_mostly_a_link_stay() -> None:
    html = (
        "<div class='content'>" + _paras("first")
        + "<p>Officials <a href='/r'>published the full inspection report on Monday</a>.</p>"
        + "<ul><li><a href='/1'>Another story about the harbour</a></li><li><a href='/2'>Ferry news</a></li>"
        "<li><a href='/3'>Weather warning for the coast</a></li></ul>"
        + _paras("second") + "<h3><a href='/shop'>The Best Kettle</a></h3>" + _paras("third")
        + "</div>"
    )  # fmt: skip
    assert clean_html(html).body.split("\n\n") == [
        PARA.format(n="first"),
        "Officials published the full inspection report on Monday.",
        PARA.format(n="second"),
        "The Best Kettle",
        PARA.format(n="third"),
    ]


def test_captions_hidden_text_and_comments_are_not_body() -> None:
    html = (
        "<article>" + _paras("first")
        + "<div class='photo'><img src='a.jpg'><span class='imageCaption'>A kettle on a stove (Image: Agency)</span></div>"
        + "<p style='display:none'>Hidden text that only scripts show on the page, long enough to count.</p>"
        + "<p class='visually-hidden'>Text for screen readers only, which is long enough to count too.</p>"
        + _paras("second") + "</article>"
        + "<section id='comments'><h3>3 Comments</h3>"
        + "".join(f"<div class='comment'><p>Reader {n} wrote a long comment that goes on and on about the kettle.</p></div>" for n in range(3))
        + "</section>"
    )  # fmt: skip
    assert clean_html(html).body == PARA.format(n="first") + "\n\n" + PARA.format(n="second")


def test_html_tail_marker_cuts_a_short_tail_but_not_a_story_half() -> None:
    short_tail = "<article>" + _paras("first", "second") + "<h2>Trending</h2><p>Other headline</p></article>"
    assert clean_html(short_tail).body == PARA.format(n="first") + "\n\n" + PARA.format(n="second")
    long_half = "<article>" + _paras("first") + "<h2>Trending</h2>" + _paras("second", "third") + "</article>"
    assert clean_html(long_half).body.split("\n\n") == [
        PARA.format(n="first"), PARA.format(n="second"), PARA.format(n="third")
    ]


def test_json_ld_article_body_stands_in_for_a_script_rendered_page() -> None:
    body = "\n".join(PARA.format(n=n) for n in ("first", "second", "third", "fourth"))
    ld = {"@type": "NewsArticle", "headline": "Kettles", "articleBody": body}
    html = f"<script type='application/ld+json'>{json.dumps(ld)}</script><div id='app'>Loading…</div>"
    assert clean_html(html).body == body.replace("\n", "\n\n")


def test_teaser_cards_without_telling_class_names_are_dropped() -> None:
    card = (
        "<div class='q1'><a href='/{n}'>Headline of another story number {n}</a>"
        "<div class='q2'>A short summary of that other story, in one sentence of about this length.</div></div>"
    )
    html = (
        "<div class='a2'><div class='a3'>" + _paras("first", "second", "third") + "</div>"
        + "<div class='a4'>" + "".join(card.format(n=n) for n in range(5)) + "</div></div>"
    )  # fmt: skip
    assert clean_html(html).body.split("\n\n") == [PARA.format(n=n) for n in ("first", "second", "third")]


def test_a_short_first_paragraph_outside_the_main_block_is_kept() -> None:
    lede = "The council approved the new bridge on Tuesday evening."
    html = (
        "<div class='wrap'><p class='standfirst'>" + lede + "</p>"
        "<div class='rest'>" + _paras("first", "second", "third", "fourth", "fifth") + "</div></div>"
    )
    assert clean_html(html).body.split("\n\n")[0] == lede


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("By Ada Lind on Monday, November 18th, 2019 at 11:04 a.m.", True),
        ("By Ada Lind and Bo Sten | 9:24 pm ET", True),
        ("By Monday, 3,000 people had left the town.", False),
        ("By the way, at 10:30 the train left.", False),
        ("(Reporting by Ada Lind; editing by Bo Sten)", True),
        ("Associated Press writers Ada Lind and Bo Sten contributed to this report.", True),
        ("Copyright © 2024 The Gazette. All rights reserved.", True),
        ("Published November 20th, 2019 - 07:50 GMT", True),
        ("Published in 1990, the report found that the river had been polluted for decades.", False),
        ("Write to Ada Lind at ada.lind@example.org", True),
        ("Additional reporting by Cy Moor", True),
        ("Reporting by the council's auditors revealed that the fund had been emptied.", False),
        ("Copyright law changed in 2019, the minister said.", False),
        ("The firm earns money through affiliate links, a practice critics call deceptive.", False),
        ("We may earn a commission when you buy through links on our site.", True),
    ],
)
def test_page_furniture_lines(line: str, chrome: bool) -> None:
    assert is_chrome_line(line) is chrome


def test_japanese_page_without_spaces_or_english_class_names() -> None:
    paras = [
        "東京都は火曜日、新しい橋の建設計画を正式に承認したと発表した。工事は来年春に始まる予定だ。",
        "計画によると、橋の長さは約四百メートルで、歩行者と自転車の専用レーンが設けられる。",
        "地元の住民からは、通勤時間が短くなるとの期待の声が上がっている。",
        "一方で、建設費用の増加を懸念する意見もある。",
    ]
    html = (
        "<html><head><meta property='og:title' content='新しい橋の建設計画を承認'>"
        "<meta property='og:site_name' content='テスト新聞'></head><body>"
        "<nav><a href='/'>ホーム</a><a href='/n'>ニュース</a><a href='/s'>スポーツ</a></nav>"
        "<div class='kiji'><h1>新しい橋の建設計画を承認</h1>" + "".join(f"<p>{p}</p>" for p in paras) + "</div>"
        "<div class='kanren'><h3>関連記事</h3><ul>"
        + "".join(f"<li><a href='/{i}'>別のニュースの見出し{i}</a></li>" for i in range(5))
        + "</ul></div><footer>著作権</footer></body></html>"
    )  # fmt: skip
    doc = clean_html(html)
    assert (doc.title, doc.source) == ("新しい橋の建設計画を承認", "テスト新聞")
    assert doc.body == "\n\n".join(paras)


def test_chrome_filter_never_empties_a_record_and_markdown_is_opt_in() -> None:
    text = "© Jo Writer 2013. All rights reserved. A reappraisal of the history of a drug."
    assert clean_text(text, headline=False).body == text
    assert clean_text("Rates *rise* again_now", headline=False, markdown=False).body == "Rates *rise* again_now"


def test_text_scrapes_give_byline_author_and_dateline_date() -> None:
    md = clean_text("# Ice cores\n\n*By Priya Menon, Polar Weekly, 9 January 2026*\n\nThe team drilled deep.")
    assert (md.published, md.author, md.body) == ("2026-01-09", "Priya Menon", "The team drilled deep.")
    txt = clean_text("Harvest shrinks\n\nSERRANO, 22 August 2024 — Farmers finished the harvest.", markdown=False)
    assert (txt.published, txt.author) == ("2024-08-22", None)
    plain = clean_text("Title\n\nNo dateline here, 2024 was a year — nothing to read.")
    assert plain.published is None
