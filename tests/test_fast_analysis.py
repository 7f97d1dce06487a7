"""The fused indexing analyzer gives Whoosh's chain's tokens, terms and spelling words exactly."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.analysis import StandardAnalyzer
from whoosh.analysis.analyzers import CompositeAnalyzer

from indexer import fast_analysis
from indexer.analysis import chunk_schema, text_analyzer
from indexer.fast_analysis import IndexingAnalyzer, fast_writer_analyzers

TEXTS = [
    "The U.S. Federal Reserve raised rates by 0.25 points on Tuesday; markets (and the dollar) rallied.",
    "Ünïcödé Café naïve résumé — CAFÉ cafe Cafés, e.g. a.b.c. 3.14.15 x1 I a of",
    "the of and to a in is",  # stop words only: no tokens
    "",
    "running runs ran RUNNER runners' Running. 2024-03-05 10:30 £5bn $4.2 mln 1,000",
    "Talks between Moscow and Kyiv resumed; talks talks TALKS between between.",
    "x " * 3 + "word " * 5 + "and " * 4 + "other",
]


def _tokens(analyzer, text: str, **kwargs) -> list[tuple]:  # noqa: ANN001
    return [(t.text, getattr(t, "pos", None), getattr(t, "startchar", None), t.stopped, t.boost)
            for t in analyzer(text, **kwargs)]


@pytest.mark.parametrize("kwargs", [{}, {"positions": True}, {"positions": True, "start_pos": 7},
                                    {"no_morph": True}, {"positions": True, "no_morph": True},
                                    {"positions": True, "boosts": True, "mode": "index"},
                                    {"chars": True, "positions": True},  # these run the chain
                                    {"positions": True, "removestops": False}])
def test_tokens_equal_the_chain(kwargs: dict) -> None:
    chain, fast = text_analyzer(), IndexingAnalyzer(text_analyzer())
    for text in TEXTS:
        assert _tokens(fast, text, **kwargs) == _tokens(chain, text, **kwargs), (text, kwargs)


def test_postings_and_spelling_words_of_a_field_equal_the_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_analysis, "CACHE_WORDS", 3)  # the word cache starts afresh often
    plain, fast = chunk_schema(), chunk_schema()
    fast_writer_analyzers(fast)
    assert isinstance(fast["text"].analyzer, IndexingAnalyzer) and isinstance(fast["title"].analyzer, IndexingAnalyzer)
    assert not isinstance(fast["author"].analyzer, IndexingAnalyzer)  # another analyzer: left alone
    assert fast["text"].separate_spelling() and fast["text"].analyzer.has_morph()
    for text in TEXTS * 2:
        assert list(fast["text"].index(text)) == list(plain["text"].index(text))
        assert list(fast["text"].spellable_words(text)) == list(plain["text"].spellable_words(text))


def test_clean_forgets_the_cached_words_and_the_tokens_stay_the_same() -> None:
    chain, fast = text_analyzer(), IndexingAnalyzer(text_analyzer())
    before = [_tokens(fast, text, positions=True) for text in TEXTS]
    assert any(fast._words.values())
    fast.clean()
    assert not any(fast._words.values())
    assert [_tokens(fast, text, positions=True) for text in TEXTS] == before == \
        [_tokens(chain, text, positions=True) for text in TEXTS]


def test_it_pickles_as_the_whoosh_chain() -> None:
    fast = IndexingAnalyzer(text_analyzer())
    data = pickle.dumps(fast)
    assert b"fast_analysis" not in data and b"IndexingAnalyzer" not in data
    loaded = pickle.loads(data)
    assert type(loaded) is CompositeAnalyzer and loaded == text_analyzer() and fast == loaded


def test_only_the_text_analyzer_is_replaced() -> None:
    with pytest.raises(ValueError):
        IndexingAnalyzer(StandardAnalyzer())


def test_an_index_written_with_it_has_the_chains_terms(tmp_path: Path) -> None:
    docs = [{"chunk_id": str(i), "text": text, "title": text[:30]} for i, text in enumerate(TEXTS)]
    readers = []
    for name, fused in (("plain", False), ("fast", True)):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), chunk_schema())
        writer = ix.writer()
        if fused:
            fast_writer_analyzers(writer.schema)
        for doc in docs:
            writer.add_document(**doc)
        writer.commit()
        reopened = whoosh_index.open_dir(str(tmp_path / name))
        assert type(reopened.schema["text"].analyzer) is CompositeAnalyzer  # the TOC names Whoosh's class
        readers.append(reopened.reader())
    plain, fast = readers
    assert sorted(fast.indexed_field_names()) == sorted(plain.indexed_field_names())
    assert "spell_text" in fast.indexed_field_names()
    for field in ("text", "title", "spell_text"):
        terms = list(plain.lexicon(field))
        assert terms and list(fast.lexicon(field)) == terms
        for term in terms:
            if field != "spell_text":
                assert list(fast.postings(field, term).all_items()) == list(plain.postings(field, term).all_items())
        assert fast.field_length(field) == plain.field_length(field)
