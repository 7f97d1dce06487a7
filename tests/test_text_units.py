"""Sentence splitting and chunking."""

from __future__ import annotations

from indexer.chunk import ChunkSettings, chunk_text
from indexer.sentences import count_words, sentence_spans


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def test_sentences_respect_abbreviations_initials_and_decimals() -> None:
    text = ("Mr. Smith met the U.S. envoy at 3 p.m. on Friday. Inflation was 3.5 per cent! "
            "Was it enough? J. R. Doe said no.")
    assert sentences(text) == [
        "Mr. Smith met the U.S. envoy at 3 p.m. on Friday.",
        "Inflation was 3.5 per cent!",
        "Was it enough?",
        "J. R. Doe said no.",
    ]


def test_a_full_stop_standing_alone_ends_a_sentence_whatever_follows() -> None:
    # Tokenized corpora (Medline, Cranfield) write "word . word" in lower case.
    text = "plasma levels of glucose . correlation coefficients were found . e.g. this one continues."
    assert sentences(text) == ["plasma levels of glucose .", "correlation coefficients were found .",
                               "e.g. this one continues."]


def test_paragraph_breaks_end_sentences_and_spans_index_the_text() -> None:
    text = "A headline without a full stop\n\nThe body starts here. It goes on “quoted.” Done"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "A headline without a full stop", "The body starts here.", "It goes on “quoted.”", "Done"]


def test_cjk_full_stops_and_word_counts() -> None:
    assert sentences("東京で会議が開かれた。合意した。") == ["東京で会議が開かれた。", "合意した。"]
    assert count_words("東京 in Japan") == 4


def _article(n_sentences: int, words_each: int = 20) -> str:
    return " ".join(
        f"S{i}" + "".join(f" w{i}x{j}" for j in range(1, words_each - 1)) + f" end{i}."
        for i in range(n_sentences))


def test_chunks_are_sentence_aligned_bounded_and_overlapping() -> None:
    text = _article(30)  # 600 words
    settings = ChunkSettings(max_words=160, min_words=60, overlap_words=40)
    chunks = chunk_text("a1", text, settings)
    assert [c.chunk_id for c in chunks] == [f"a1#{i}" for i in range(len(chunks))]
    assert len(chunks) == 5
    for c in chunks:
        assert c.text == text[c.start:c.end]
        assert c.text.startswith("S") and c.text.endswith(".")
        assert 60 <= count_words(c.text) <= 160
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start < prev.end  # overlap
        assert text[nxt.start:prev.end].count(".") == 2  # two 20-word sentences = 40 words
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_short_text_is_one_chunk_and_tail_is_merged() -> None:
    assert [c.text for c in chunk_text("x", "One sentence only.")] == ["One sentence only."]
    text = _article(9)  # 180 words: 160 + a 20-word tail that is merged back
    chunks = chunk_text("x", text, ChunkSettings(max_words=160, min_words=60, overlap_words=40))
    assert len(chunks) == 1 and chunks[0].end == len(text)


def test_overlong_sentence_is_cut_into_windows() -> None:
    text = " ".join(f"w{i}" for i in range(400)) + "."
    chunks = chunk_text("x", text, ChunkSettings(max_words=160, min_words=60, overlap_words=40))
    assert [count_words(c.text) for c in chunks] == [160, 160, 80]
    assert all(c.text == text[c.start:c.end] for c in chunks)
