"""End to end with the real packaged model (all-MiniLM-L6-v2, offline) on a handful of articles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app

pytestmark = pytest.mark.model

# Shaped like the seed scrape: headline, site chrome, body, chrome, neighbouring headlines.
SCRAPED = """Lakeside Summit Ends With Prisoner Swap Deal for Moscow and Kyiv

No time to read?
Get a summary

Delegations from Moscow and Kyiv left the small alpine town of Orvella on Friday with a signed agreement to exchange two hundred prisoners of war, the first deal of its kind this year.

Foreign Minister Ilse Marant of Velsland shuttled between the two delegations for three days at a hotel on the lake shore, carrying drafts from one floor to the other until both sides accepted her compromise wording.

Diplomats said the text covers only prisoners and the return of the remains of fallen soldiers. Questions of territory and security guarantees were left for later rounds, which have not yet been scheduled.

Families of captured soldiers gathered outside the hotel throughout the week. Several said they had learned more from local radio than from their own governments.

The exchange itself is expected to take place at a border crossing within a month, supervised by the Red Cross.

No time to read?
Get a summary
Previous Article

Ski Lift Operators Warn of Short Season

Next Article

Orvella Bakery Wins Regional Bread Award
"""

# Neighbouring news of ordinary length; the first shares words ("talks", "between") with the question.
OTHERS = [
    {"id": "ferry", "title": "Ferry strike talks collapse as union rejects pay offer",
     "text": "Talks between the ferry operator and the seafarers' union collapsed on Monday after the company "
             "refused to raise its pay offer above four per cent. The union said strikes would resume next week, "
             "cutting the island off from the mainland for the third time this winter.\n\n"
             "The operator said its offer was the best it could afford after a year of rising fuel prices and "
             "falling passenger numbers. It accused the union of walking away from the table just as an agreement "
             "on overtime was within reach.\n\n"
             "Island businesses said they could not survive another month of cancelled crossings. The hotel "
             "association asked the regional government to subsidise a temporary service with chartered boats, "
             "and the council will debate the request on Thursday."},
    {"id": "wheat", "title": "Drought shrinks wheat harvest on the southern plains",
     "text": "A second summer of drought has shrunk the wheat harvest on the southern plains by a third. Millers "
             "warned that flour and bread prices would rise before the winter, and bakers said they had already "
             "paid more for their autumn contracts.\n\n"
             "Farmers who rely on irrigation were hit hardest: the reservoirs that feed the canals fell to a fifth "
             "of their capacity by July. The agriculture ministry has promised emergency payments, but growers say "
             "the money will arrive too late to pay for next year's seed."},
    {"id": "chess", "title": "Chess federation elects former schoolteacher as president",
     "text": "The national chess federation elected a former schoolteacher as its president on Sunday, ending a "
             "decade in which the post was held by businessmen. She promised to bring the game into every primary "
             "school within five years and to publish the federation's accounts every quarter.\n\n"
             "Her first task will be to find a new sponsor for the national championship, which lost its main "
             "backer in the spring. Club players welcomed her election, saying the federation had neglected "
             "juniors and women's chess for too long."},
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real")
    (root / "in").mkdir()
    (root / "in" / "summit.txt").write_text(SCRAPED, encoding="utf-8")
    (root / "in" / "others.jsonl").write_text("\n".join(json.dumps(o) for o in OTHERS) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["index", str(root / "in"), "--index-dir", str(root / "idx")])
    assert result.exit_code == 0, result.output
    return root / "idx"


def _search(index_dir: Path, query: str, mode: str) -> list[dict]:
    result = CliRunner().invoke(app, ["search", query, "--mode", mode, "--json", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_seed_shaped_article_is_cleaned_to_headline_and_body(tmp_path: Path) -> None:
    path = tmp_path / "summit.txt"
    path.write_text(SCRAPED, encoding="utf-8")
    result = CliRunner().invoke(app, ["clean", str(path), "--json"])
    doc = json.loads(result.stdout)
    assert doc["title"] == "Lakeside Summit Ends With Prisoner Swap Deal for Moscow and Kyiv"
    assert doc["body"].startswith("Delegations from Moscow and Kyiv left")
    assert doc["body"].endswith("supervised by the Red Cross.")
    for chrome in ("No time to read", "Get a summary", "Previous Article", "Next Article", "Ski Lift", "Bakery"):
        assert chrome not in doc["body"]


def test_keyword_query_finds_it_first_with_terms_highlighted(index_dir: Path) -> None:
    hits = _search(index_dir, "prisoner exchange Orvella", "keyword")
    assert hits[0]["title"].startswith("Lakeside Summit")
    assert "[[Orvella]]" in hits[0]["snippet"] and "[[prisoners]]" in hits[0]["snippet"]


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_question_with_few_shared_words_finds_the_answering_passage(index_dir: Path, mode: str) -> None:
    hits = _search(index_dir, "Who acted as go-between for the negotiators?", mode)
    assert hits[0]["title"].startswith("Lakeside Summit")
    assert "Ilse Marant" in hits[0]["snippet"]
    assert hits[0]["semantic_score"] is not None


def test_numpy_query_encoder_matches_sentence_transformers() -> None:
    from indexer.embed import DEFAULT_MODEL_NAME, DEFAULT_MODEL_PATH, SentenceTransformerEncoder, resolve_model_path
    from indexer.numpy_encoder import NumpyBertEncoder

    texts = ["Who acted as go-between for the negotiators?", "wheat",
             SCRAPED[:1500], "Ünïcödé, punctuation... and numbers 3.14 — fine?"]
    fast = NumpyBertEncoder(DEFAULT_MODEL_NAME, DEFAULT_MODEL_PATH, resolve_model_path(DEFAULT_MODEL_PATH))
    reference = SentenceTransformerEncoder(DEFAULT_MODEL_NAME, DEFAULT_MODEL_PATH)
    a, b = fast.encode(texts), reference.encode(texts)
    assert a.shape == b.shape == (4, 384)
    assert float((a * b).sum(axis=1).min()) > 0.99999


def test_torch_indexing_encoder_matches_sentence_transformers() -> None:
    from indexer import embed
    from indexer.torch_encoder import TorchBertEncoder

    # Lengths from one word to past the 256-token limit in one call: padding, masks, truncation.
    texts = ["Who acted as go-between for the negotiators?", "wheat", SCRAPED, SCRAPED * 3,
             "Ünïcödé, punctuation... and numbers 3.14 — fine?"] + [o["text"] for o in OTHERS]
    reference = embed.SentenceTransformerEncoder(embed.DEFAULT_MODEL_NAME, embed.DEFAULT_MODEL_PATH)
    b = reference.encode(texts, batch_size=3)
    for batch_size in (1, 3, 64):
        a = TorchBertEncoder(embed.DEFAULT_MODEL_NAME, embed.DEFAULT_MODEL_PATH,
                             embed.resolve_model_path(embed.DEFAULT_MODEL_PATH)).encode(texts, batch_size=batch_size)
        assert a.shape == b.shape == (len(texts), 384) and a.dtype == np.float32
        assert float((a * b).sum(axis=1).min()) > 0.99999, batch_size
    # indexing on a CPU gets it (fast=True, queries, gets the numpy one)
    loaded = embed.load_encoder(embed.DEFAULT_MODEL_NAME, embed.DEFAULT_MODEL_PATH, device="cpu")
    assert isinstance(loaded, TorchBertEncoder)


def test_token_states_match_sentence_transformers_token_embeddings(index_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    from indexer import embed
    from indexer.numpy_encoder import NumpyBertEncoder
    from indexer.torch_encoder import TorchBertEncoder

    local = embed.resolve_model_path(embed.DEFAULT_MODEL_PATH)
    texts = ["Who acted as go-between for the negotiators?", SCRAPED[:1500]]
    reference = SentenceTransformer(local, device="cpu").encode(texts, output_value="token_embeddings")
    for encoder in (NumpyBertEncoder("m", "p", local), TorchBertEncoder("m", "p", local)):
        for (states, pieces), ref in zip(encoder.token_states(texts), reference):
            ref = ref.float().numpy()[1:-1]  # without [CLS] and [SEP]
            ref /= np.linalg.norm(ref, axis=1, keepdims=True)
            assert states.shape == ref.shape and len(pieces) == len(states)
            assert float((states * ref).sum(axis=1).min()) > 0.9999
    # a rerank with the real model keeps the answering passage first
    result = CliRunner().invoke(app, ["search", "Who acted as go-between for the negotiators?", "--rerank", "5",
                                      "--json", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0])["title"].startswith("Lakeside Summit")


def test_the_index_keeps_token_codes_close_to_the_model_and_the_default_rerank_reads_no_passage(
        index_dir: Path) -> None:
    from search.ranker import Searcher
    from search.rerank import passage_text

    with Searcher(index_dir) as searcher:
        tokens = searcher.reader.tokens
        assert tokens is not None and searcher.default_rerank == 10
        for d in range(tokens.documents):
            (exact, _), = searcher.encoder.token_states([passage_text(searcher.reader, d)])  # type: ignore[attr-defined]
            decoded = tokens.states(d)
            assert decoded.shape == exact.shape
            assert float((decoded * exact).sum(axis=1).mean()) > 0.8  # 16 bytes a token
        read: list[int] = []
        real = searcher.encoder.token_states  # type: ignore[attr-defined]
        searcher.encoder.token_states = lambda texts: read.append(len(texts)) or real(texts)  # type: ignore[attr-defined]
        results = searcher.search("Who acted as go-between for the negotiators?", explain=True)
        assert read == []  # the query's states came with its vector, the passages' from the codes
        assert all("token match" in e.fusion for e in results.explanations.values())
        assert results.hits[0].title.startswith("Lakeside Summit")
