"""In-memory bench runs for measurement: one system over a dataset without the workspace store.

``abstab bench`` writes every item through the crash-safe store (fsync per item), which is
right for long runs and wrong for timing a reader. :func:`run_system` answers every item of a
:class:`~abstab.bench.data.BenchData` with one system and backend and returns the same
:class:`~abstab.records.Prediction` and :class:`~abstab.records.Score` records the stage
writes, plus the wall time; :func:`index_cost` measures building the per-document retrieval
indexes. ``benchmarks/bench_tatqa.py`` and ``bench_wtq.py`` are built on these.
"""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from typing import Any

from abstab import __version__
from abstab.bench.data import BenchData
from abstab.records import Prediction, Provenance, Score
from abstab.registry import metrics, systems

__all__ = ["IndexCost", "RunResult", "index_cost", "rss_bytes", "run_system"]


@dataclass
class RunResult:
    """One system's predictions and scores over a dataset, and how long answering took."""

    system: str
    predictions: list[Prediction]
    scores: list[Score]
    seconds: float
    failures: list[tuple[str, str]]

    @property
    def items_per_s(self) -> float:
        return len(self.predictions) / self.seconds if self.seconds else 0.0


def run_system(data: BenchData, system: str, backend: Any, metric_names: tuple[str, ...],
               k: int = 5, retriever: str = "bm25") -> RunResult:
    """Answer and score every item of ``data`` with ``system`` read by ``backend``.

    Args:
        data: the dataset.
        system: a registered system name.
        backend: a backend instance (``abstab.backends.build_backend``).
        metric_names: the metrics to score (``abstab metrics list``).
        k: passages retrieved per item.
        retriever: bm25, dense or hybrid.

    Returns:
        The predictions and scores in item order; an item whose system or reader raises is
        listed in ``failures`` (item id, error) and skipped.
    """
    from abstab.bench.systems import Corpus

    name = systems.canonical(system)
    corpus = Corpus(data.docs, data.tables, retriever=retriever)
    sys_ = systems.get(name)(corpus, k=k)
    fns = {m: metrics.get(m) for m in metric_names}
    prov = Provenance(stage=f"bench/{name}", abstab_version=__version__,
                      config_hash=data.fingerprint, **backend.provenance("answer"))
    preds, scores, failures = [], [], []
    start = time.perf_counter()
    for item in data.items:
        t0 = time.perf_counter()
        try:
            passages = sys_.passages(item)
            out = backend.answer(item.question, passages)
        except Exception as exc:  # noqa: BLE001 - one bad item never stops a measurement
            failures.append((item.item_id, f"{type(exc).__name__}: {exc}"))
            continue
        latency = (time.perf_counter() - t0) * 1000
        preds.append(Prediction(item_id=item.item_id, system=name, answer=out.answer,
                                abstained=out.abstained, retrieved=[p.id for p in passages],
                                latency_ms=round(latency, 3), provenance=prov))
        values = {m: float(fn(out.answer, item.answer, out.abstained)) for m, fn in fns.items()}
        scores.append(Score(item_id=item.item_id, system=name,
                            answer_location=item.answer_location, style=item.abstraction.style,
                            category=item.keywords[0].category if item.keywords else None,
                            metrics=values, correct=values.get("correct", 0.0) >= 1.0,
                            provenance=prov))
    return RunResult(name, preds, scores, time.perf_counter() - start, failures)


def rss_bytes() -> int:
    """The resident memory of this process now (Linux /proc; psutil elsewhere; 0 if neither)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        try:
            import psutil

            return int(psutil.Process().memory_info().rss)
        except ImportError:
            return 0


@dataclass
class IndexCost:
    """Building one retrieval index per document: time and the memory the indexes keep."""

    retriever: str
    documents: int
    passages: int
    seconds: float
    retained_bytes: int
    model_load_seconds: float

    def per_1000_documents(self) -> dict[str, float]:
        scale = 1000 / self.documents if self.documents else 0.0
        return {"seconds": round(self.seconds * scale, 3),
                "retained_mb": round(self.retained_bytes * scale / 2**20, 2)}


def index_cost(data: BenchData, retriever: str) -> IndexCost:
    """Build :class:`~abstab.retrieval.PassageIndex` for every document of ``data`` (its text
    blocks and tables, as the rag system sees them) and keep them alive while measuring.

    The embedding model is loaded first and timed apart: it is a one-off cost per process.
    """
    from abstab.bench.systems import Corpus
    from abstab.retrieval import PassageIndex

    model_seconds = 0.0
    if retriever != "bm25":
        from abstab import embed

        t0 = time.perf_counter()
        embed.encode(["warm up"])
        model_seconds = time.perf_counter() - t0
    corpus = Corpus(data.docs, data.tables, retriever=retriever)
    doc_passages = [corpus.doc_passages(doc_id, None) for doc_id in data.docs]
    from abstab import retrieval

    retrieval._MEMO.clear()  # vectors embedded by an earlier run would make this look free
    gc.collect()
    before = rss_bytes()
    t0 = time.perf_counter()
    indexes = [PassageIndex([(p.id, p.text) for p in ps], retriever) for ps in doc_passages]
    seconds = time.perf_counter() - t0
    gc.collect()
    retained = max(rss_bytes() - before, 0)
    n_passages = sum(len(ps) for ps in doc_passages)
    del indexes
    return IndexCost(retriever, len(doc_passages), n_passages, seconds, retained, model_seconds)
