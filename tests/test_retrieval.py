"""Retrieval over one document: BM25, dense (bundled MiniLM + faiss), and their fusion."""

from __future__ import annotations

import json

import numpy as np
import pytest

from abstab import retrieval
from abstab.retrieval import PassageIndex, recall_at_k

PASSAGES = [
    ("b1", "Mean time between failures (MTBF) is the average operating time in hours."),
    ("b2", "Discharge was measured at the river gauge every fifteen minutes."),
    ("b3", "The council approved the budget for the library refurbishment."),
    ("b4", "Seal leaks caused most of the unplanned downtime at the plants."),
]


def test_bm25_ranks_exact_terms_and_filters():
    index = PassageIndex(PASSAGES, "bm25")
    assert [pid for pid, _ in index.search("MTBF hours", 2)] == ["b1"]
    assert [pid for pid, _ in index.search("budget library", 3)] == ["b3"]
    # ``allowed`` restricts the result to some passages; stopwords alone match nothing.
    assert index.search("budget library", 3, allowed={"b1", "b2"}) == []
    assert index.search("the of and", 3) == []


def test_empty_index_returns_nothing():
    assert PassageIndex([], "bm25").search("anything", 3) == []


def test_unknown_retriever_is_a_clear_error():
    with pytest.raises(Exception, match="unknown retriever 'bm52'.*Did you mean 'bm25'"):
        PassageIndex(PASSAGES, "bm52")


def test_recall_at_k():
    assert recall_at_k(["a", "b", "c"], {"b", "z"}, 2) == 0.5
    assert recall_at_k(["a", "b", "c"], {"c"}, 2) == 0.0
    assert recall_at_k(["a"], set(), 1) is None


def test_reciprocal_rank_fusion_orders_by_summed_reciprocal_ranks():
    class Fixed:
        def __init__(self, ranking):
            self.ranking = ranking

        def rank(self, query):
            return self.ranking

    fused = retrieval.HybridRanker.__new__(retrieval.HybridRanker)
    fused.rankers = [Fixed([(0, 9.0), (1, 5.0)]), Fixed([(1, 0.9), (2, 0.8)])]
    # 1 is second in one list and first in the other: 1/62 + 1/61 beats 0's 1/61 alone.
    order = fused.rank("q")
    assert [i for i, _ in order] == [1, 0, 2]
    assert order[0][1] == pytest.approx(1 / 62 + 1 / 61)


embed_installed = pytest.mark.skipif(not __import__("abstab.embed").embed.available(),
                                     reason="the embed extra is not installed")


@embed_installed
def test_dense_finds_a_paraphrase_bm25_misses():
    query = "How much water flowed in the stream?"
    assert PassageIndex(PASSAGES, "bm25").search(query, 1) == []
    dense = PassageIndex(PASSAGES, "dense").search(query, 1)
    assert [pid for pid, _ in dense] == ["b2"]
    assert [pid for pid, _ in PassageIndex(PASSAGES, "hybrid").search(query, 1)] == ["b2"]


@embed_installed
def test_dense_vectors_are_cached_on_disk_and_reused(tmp_path, monkeypatch):
    first = PassageIndex(PASSAGES, "dense", cache=tmp_path).search("pump failures", 2)
    files = list(tmp_path.glob("dense-*.npy"))
    assert len(files) == 1
    assert np.load(files[0]).shape == (4, 384)
    # A new process would have an empty memo: clear it and forbid encoding the passages.
    monkeypatch.setattr(retrieval, "_MEMO", {})
    calls = []
    from abstab import embed

    real = embed.encode
    monkeypatch.setattr(embed, "encode", lambda texts, **kw: calls.append(len(texts)) or real(texts))
    again = PassageIndex(PASSAGES, "dense", cache=tmp_path).search("pump failures", 2)
    assert calls == [1]  # only the query was embedded
    assert [p for p, _ in again] == [p for p, _ in first]


def test_the_embedding_model_is_part_of_a_stage_hash(sample_work, monkeypatch):
    """Another embedding model ranks other passages: dense and hybrid resolve runs are redone;
    bm25 runs keep the hash they had before the model was hashed."""
    from abstab import embed
    from abstab.backends import build_backend
    from abstab.stages.resolve import ResolveStage

    work = sample_work[0]

    def hashes() -> dict[str, str]:
        return {r: ResolveStage(work, {"retriever": r}, build_backend("rules")).config_hash()
                for r in ("bm25", "dense", "hybrid")}

    before = hashes()
    monkeypatch.setattr(embed, "MODEL_NAME", "another-model")
    after = hashes()
    assert after["bm25"] == before["bm25"]
    assert after["dense"] != before["dense"] and after["hybrid"] != before["hybrid"]
    # The sample pipeline's resolve (bm25) is still done under the same hash.
    assert before["bm25"] == json.loads((work / "resolve" / "done.json").read_text())[
        "config_hash"]
