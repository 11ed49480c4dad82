"""Passage retrieval over one document: BM25, dense embeddings, or both fused.

``bm25`` is bm25s (lexical, exact codes and numbers); ``dense`` is the bundled
all-MiniLM-L6-v2 behind a faiss inner-product index (paraphrases: "discharge" for "flow");
``hybrid`` fuses the two rankings by reciprocal rank fusion, which needs no score
calibration between the two. Dense vectors are the expensive part, so an index can keep them
in a cache directory keyed on the passages' content and the model: a rerun reuses them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from abstab.registry import Registry

RRF_K = 60  # the constant of Cormack et al. (2009); rankings deeper than this matter little


def _fingerprint(texts: Sequence[str], model: str) -> str:
    h = hashlib.sha256(model.encode())
    for t in texts:
        h.update(_text_key(t))
    return h.hexdigest()[:24]


# Vectors already computed in this process, by text hash.
_MEMO: dict[bytes, np.ndarray] = {}


def _text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


class Bm25Ranker:
    def __init__(self, texts: Sequence[str], cache: Path | None = None):
        import bm25s

        self._bm25s = bm25s
        self.n = len(texts)
        self.model = bm25s.BM25()
        if self.n:
            self.model.index(bm25s.tokenize(list(texts), stopwords="en", show_progress=False),
                             show_progress=False)

    def rank(self, query: str) -> list[tuple[int, float]]:
        if not self.n:
            return []
        tokens = self._bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab:  # only stopwords or symbols: nothing to match
            return []
        docs, scores = self.model.retrieve(tokens, k=self.n, show_progress=False)
        return [(int(i), float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0]


class DenseRanker:
    """Cosine similarity over normalised MiniLM vectors with a faiss flat index."""

    def __init__(self, texts: Sequence[str], cache: Path | None = None):
        import faiss

        from abstab import embed

        self._embed = embed
        self.n = len(texts)
        vectors = self._vectors(list(texts), cache)
        self.index = faiss.IndexFlatIP(embed.DIMENSION)
        if self.n:
            self.index.add(vectors)

    def _vectors(self, texts: list[str], cache: Path | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._embed.DIMENSION), dtype=np.float32)
        path = (cache / f"dense-{_fingerprint(texts, self._embed.MODEL_NAME)}.npy"
                if cache is not None else None)
        if path is not None and path.exists():
            vectors = np.load(path)
            _MEMO.update(zip(map(_text_key, texts), vectors, strict=True))
            return vectors
        # Encode only the texts not seen in this process: a document with one table swapped
        # for its abstract twin costs one new vector, not the whole document again.
        missing = sorted({t for t in texts if _text_key(t) not in _MEMO})
        if missing:
            _MEMO.update(zip(map(_text_key, missing), self._embed.encode(missing), strict=True))
        vectors = np.stack([_MEMO[_text_key(t)] for t in texts]).astype(np.float32)
        if path is not None:
            cache.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
            # Write then rename: a killed run never leaves a half-written cache file behind.
            fd, tmp = tempfile.mkstemp(dir=cache, suffix=".npy.tmp")
            with os.fdopen(fd, "wb") as f:
                np.save(f, vectors)
            os.replace(tmp, path)
        return vectors

    def rank(self, query: str) -> list[tuple[int, float]]:
        if not self.n:
            return []
        scores, ids = self.index.search(self._embed.encode([query]), self.n)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


class HybridRanker:
    """Reciprocal rank fusion of BM25 and dense rankings."""

    def __init__(self, texts: Sequence[str], cache: Path | None = None):
        self.rankers: list[Bm25Ranker | DenseRanker] = [Bm25Ranker(texts),
                                                        DenseRanker(texts, cache)]

    def rank(self, query: str) -> list[tuple[int, float]]:
        fused: dict[int, float] = {}
        for ranker in self.rankers:
            for position, (i, _) in enumerate(ranker.rank(query)):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + position + 1)
        return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


rankers: Registry[Any] = Registry("retriever")
rankers.add("bm25", Bm25Ranker, help="BM25 (bm25s): exact words, codes and numbers")
rankers.add("dense", DenseRanker,
            help="all-MiniLM-L6-v2 cosine over a faiss index (extra: embed)")
rankers.add("hybrid", HybridRanker,
            help="reciprocal rank fusion of bm25 and dense (extra: embed)")


def default_retriever() -> str:
    """``hybrid`` when the embed extra is installed, otherwise ``bm25``."""
    from abstab import embed

    return "hybrid" if embed.available() else "bm25"


class PassageIndex:
    """Search the passages of one document.

    Args:
        passages: ``(id, text)`` pairs.
        retriever: a name in :data:`rankers`.
        cache: a directory for dense vectors (a workspace's ``index/`` folder).
    """

    def __init__(self, passages: Sequence[tuple[str, str]], retriever: str = "bm25",
                 cache: Path | None = None):
        self.ids = [pid for pid, _ in passages]
        self.texts = [text for _, text in passages]
        self.retriever = rankers.canonical(retriever)
        self.ranker = rankers.get(self.retriever)(self.texts, cache)

    def search(self, query: str, k: int, allowed: set[str] | None = None
               ) -> list[tuple[str, float]]:
        """The top-k ``(id, score)``, best first, optionally among ``allowed`` ids only."""
        out: list[tuple[str, float]] = []
        for i, score in self.ranker.rank(query):
            pid = self.ids[i]
            if allowed is None or pid in allowed:
                out.append((pid, score))
                if len(out) == k:
                    break
        return out


def recall_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float | None:
    """Share of gold ids among the first k; None when there is no gold to find."""
    if not gold:
        return None
    return len(gold & set(ranked[:k])) / len(gold)


def describe(retriever: str) -> dict[str, Any]:
    """What goes into config hashes and provenance for a retriever choice."""
    from abstab import embed

    meta: dict[str, Any] = {"retriever": rankers.canonical(retriever)}
    if meta["retriever"] != "bm25":
        meta["embedding_model"] = embed.MODEL_NAME
    return meta
