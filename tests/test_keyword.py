"""How the keyword side reads a query."""

from __future__ import annotations

from search.keyword import is_question, keyword_text


def test_questions_lose_interrogatives_and_question_marks_but_not_inside_quotes() -> None:
    assert is_question("Who mediated the talks?") and is_question("the talks ended when?")
    assert not is_question("The Who concert") and not is_question("")
    assert keyword_text("Who mediated the talks between Moscow and Kyiv?").split() == [
        "mediated", "the", "talks", "between", "Moscow", "and", "Kyiv"]
    assert keyword_text("The Who concert") == "The Who concert"
    assert keyword_text('what did "who wins?" mean?').split() == ["did", '"who', 'wins?"', "mean"]
    assert keyword_text("te?t wild*") == "te?t wild*"  # wildcards inside words stay


def test_scoring_given_documents_matches_a_filtered_search(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from indexer.build import index_paths
    from indexer.update import IndexUpdate
    from search.keyword import scores_of
    from search.ranker import Searcher

    feed = tmp_path / "a.jsonl"
    words = ["harbour", "solar", "farm", "reservoir", "council", "wheat", "drought", "bank", "rates", "museum"]
    rows = [{"id": f"a{i}", "title": f"Story {i} {words[i % 10]}",
             "text": " ".join(words[(i * j) % 10] for j in range(1, 12 + i % 5))} for i in range(40)]
    feed.write_text("\n".join(json.dumps(r) for r in rows[:25]) + "\n", encoding="utf-8")
    index_paths(tmp_path / "idx", [str(feed)])
    feed.write_text("\n".join(json.dumps(r) for r in rows[25:]) + "\n", encoding="utf-8")
    index_paths(tmp_path / "idx", [str(feed)])  # a second segment
    with IndexUpdate(tmp_path / "idx") as update:  # deleted documents too
        update.remove("a3")
        update.commit()
    with Searcher(tmp_path / "idx") as searcher:
        ws = searcher.reader.searcher
        every = set(range(ws.doc_count_all()))
        for text in ("solar farm", '"solar farm" bank', "+wheat -drought", "reser*", "museum OR rates"):
            parsed = searcher.parse(text)
            docs = set(list(every)[::3])
            expected = {h.docnum: h.score for h in ws.search(parsed.scoring, limit=None, filter=docs, terms=False)}
            got = scores_of(ws, parsed.scoring, docs)
            assert got.keys() == expected.keys() and expected
            assert all(abs(got[d] - expected[d]) < 1e-6 for d in got)
