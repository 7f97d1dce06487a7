"""Site chrome learned from the collection: lines many articles of one site repeat."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from indexer.records import Article
from indexer.site_chrome import SiteChrome, site_of

PROMO = "Subscribe to the Westmere Gazette for one pound a week"


def scrape(headline: str, body: list[str]) -> str:
    return headline + "\n\n" + "\n\n".join(body) + "\n"


def test_lines_repeated_across_a_site_are_learned_and_dropped(tmp_path: Path) -> None:
    site = tmp_path / "gazette"
    site.mkdir()
    stories = ["harbour dredging", "school roof repairs", "library opening hours", "ferry timetable"]
    for n, topic in enumerate(stories):
        (site / f"{n}.txt").write_text(scrape(f"Council votes on {topic}", [
            f"The council voted on Tuesday on the {topic}, after a long debate in the town hall.",
            PROMO,
            f"Councillors said the {topic} would be reviewed again next spring.",
            "The mayor declined to comment." if n < 2 else "Residents can comment until Friday."]), encoding="utf-8")
    idx = tmp_path / "idx"
    assert CliRunner().invoke(app, ["index", str(site), "--index-dir", str(idx)]).exit_code == 0
    for n, topic in enumerate(stories):
        doc = json.loads(CliRunner().invoke(app, ["search", f"title:({topic.split()[0]})", "--mode", "keyword",
                                                  "--json", "-n", "1", "--index-dir", str(idx)]).stdout.splitlines()[0])
        body = CliRunner().invoke(app, ["show", doc["article_id"], "--json", "--index-dir", str(idx)])
        text = json.loads(body.stdout)["body"]
        assert PROMO not in text, "a line in 4 of 4 articles is site chrome"
        assert topic in text
        if n < 2:
            assert "The mayor declined to comment." in text, "a line in 2 of 4 articles stays"
    # The counts are kept: a fifth article added later loses the promo line too.
    (site / "5.txt").write_text(scrape("Council votes on parking", ["Parking fees rise in May, the council said.", PROMO]),
                                encoding="utf-8")
    assert CliRunner().invoke(app, ["add", str(site / "5.txt"), "--index-dir", str(idx)]).exit_code == 0
    shown = CliRunner().invoke(app, ["search", "parking", "--mode", "keyword", "--json", "--index-dir", str(idx)])
    assert PROMO.split()[0] not in json.loads(shown.stdout.splitlines()[0])["snippet"]


def test_sites_are_separate_and_nothing_is_emptied() -> None:
    chrome = SiteChrome()
    for n in range(3):
        chrome.observe(Article(f"a{n}", "T", f"Body number {n} of the story.\n\nShare this", url=f"https://news.example/{n}"))
    assert chrome.chrome("news.example") == {"share this"}
    b = Article("b", "T", "Other body.\n\nShare this", source="Other Paper")
    assert chrome.chrome("other paper") == set() and chrome.strip(b) is b
    a = Article("a9", "T", "Ninth body of the story.\n\nShare this", url="https://www.news.example/9")
    assert chrome.strip(a).body == "Ninth body of the story."
    only_chrome = Article("d", "T", "Share this", url="https://news.example/d")
    assert chrome.strip(only_chrome) is only_chrome  # never emptied
    assert site_of(Article("c", "T", "x", path="/data/site/c.txt")) == "/data/site"


def test_reindexing_unchanged_articles_teaches_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.txt").write_text(scrape("First story", ["A first story about the harbour wall.", "Follow us"]), encoding="utf-8")
    idx = str(tmp_path / "idx")
    for _ in range(3):
        assert CliRunner().invoke(app, ["index", str(site), "--index-dir", idx]).exit_code == 0
    (site / "b.txt").write_text(scrape("Second story", ["A second story about the sea wall.", "Read our guide"]),
                                encoding="utf-8")
    (site / "c.txt").write_text(scrape("Third story", ["A third story about the quay.", "Read our guide"]), encoding="utf-8")
    assert CliRunner().invoke(app, ["index", str(site), "--index-dir", idx]).exit_code == 0
    found = CliRunner().invoke(app, ["search", "guide", "--mode", "keyword", "--json", "--index-dir", idx])
    assert len(found.stdout.splitlines()) == 2, "a line in 2 of 3 articles (one indexed 3 times) is kept"
