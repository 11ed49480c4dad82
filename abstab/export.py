"""Exports of workspace records to other tools' formats, and of a dataset's items as the
inputs your own system receives (``abstab export items``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abstab.store import producer, read_kind


def icdar_predictions(work: Path) -> list[dict[str, Any]]:
    """Extracted tables in the ICDAR-2013 evaluation format, one entry per table and page.

    Each entry: ``{"doc": PDF stem, "page": 1-based, "bbox": [x0, y0, x1, y1] (PyMuPDF page
    coordinates, top-left origin), "cells": [{"row", "col", "row_span", "col_span", "text"}]}``.
    A table over several pages gives one entry per page, with the cells of that page and a bbox
    around them.
    """
    ex = producer(work, "tables")
    if ex is None:
        from abstab.errors import ConfigError

        raise ConfigError(f"no finished extract stage in {work}: run `abstab extract PDFS -o {work}`")
    stems = {d.doc_id: Path(d.source).stem for d in read_kind(work, "documents")}
    out = []
    for t in ex.records("tables"):
        if t.derived_from is not None:
            continue
        for page in t.pages:
            cells = [c for c in t.cells if (c.page or t.pages[0]) == page]
            boxes = [c.bbox for c in cells if c.bbox]
            bbox = t.bbox if len(t.pages) == 1 or not boxes else [
                min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes)]
            out.append({
                "doc": stems[t.doc_id], "page": page, "bbox": [round(v, 2) for v in bbox],
                "table_id": t.table_id,
                "cells": [{"row": c.row, "col": c.col, "row_span": c.row_span,
                           "col_span": c.col_span, "text": c.text} for c in cells],
            })
    return out


def item_inputs(dataset: Path, kind: str | None = None, split: str | None = None
                ) -> list[dict[str, Any]]:
    """Each item of a dataset as the dict a function or HTTP system receives
    (:func:`abstab.bench.own.item_inputs`): question, ids, the document's text blocks and
    tables, the PDF path when there is one; never the gold.

    Args:
        dataset: a workspace, release folder or external dataset (as ``abstab bench`` takes).
        kind: the dataset kind (default: detected).
        split: only this split.
    """
    from abstab.bench.data import load_data
    from abstab.bench.own import item_inputs as inputs
    from abstab.bench.systems import Corpus

    data = load_data(dataset, kind, split)
    corpus = Corpus(data.docs, data.tables)
    return [inputs(data, corpus, item) for item in data.items]


# ------------------------------------------------------------------- lm-evaluation-harness

LM_EVAL_TASK = "abstab"
"""The task name the lm-eval export registers (``lm_eval --tasks abstab``)."""

LM_EVAL_METRICS = ("correct", "truthfulness", "exact_match", "token_f1", "abstention")
"""The abstab metrics the exported task reports, each a mean over documents."""

_LM_EVAL_YAML = """\
# lm-evaluation-harness task written by `abstab export lm-eval`; load it with
#   lm_eval --include_path {directory} --tasks {task} --model ...
task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: !function utils.doc_to_text
doc_to_target: !function utils.doc_to_target
process_results: !function utils.process_results
generation_kwargs:
  until: ["\\n\\n"]
  do_sample: false
metric_list:
{metrics}
metadata:
  version: 1.0
  abstab_version: "{version}"
  dataset_fingerprint: "{fingerprint}"
"""

_LM_EVAL_UTILS = '''\
"""Prompt and scoring of the abstab task: the metrics are abstab's own
(``abstab.registry.metrics``), so lm-eval's numbers equal ``abstab bench``'s."""

from abstab.records import Answer
from abstab.registry import metrics

METRICS = {metrics!r}
PROMPT = ("Answer the question from the table. Reply with the answer only, or "
          "'unanswerable' if the table does not say.\\\\n\\\\n{{context}}\\\\n\\\\n"
          "Question: {{question}}\\\\nAnswer:")


def doc_to_text(doc):
    return PROMPT.format(context=doc["context"], question=doc["question"])


def doc_to_target(doc):
    return Answer.model_validate_json(doc["gold"]).text


def process_results(doc, results):
    gold = Answer.model_validate_json(doc["gold"])
    answer = results[0].strip() if results else ""
    return {{m: float(metrics.get(m)(answer, gold, False)) for m in METRICS}}
'''


def lm_eval_task(dataset: Path, directory: Path, split: str | None = None) -> int:
    """Write an lm-evaluation-harness task for ``dataset`` into ``directory``.

    Files: ``abstab.yaml`` (the task), ``utils.py`` (prompt and ``process_results``, which
    calls abstab's metrics) and ``abstab_items.jsonl`` (one document per item:
    ``item_id``, ``doc_id``, ``question``, ``context`` (the item's table serialized as the
    ``table`` system gives it), ``gold`` (the :class:`~abstab.records.Answer` as JSON),
    ``answer_location``, ``style``). lm-eval loads it with ``--include_path DIRECTORY``.

    Args:
        dataset: a release folder or workspace (anything ``abstab bench`` reads).
        directory: the folder to write.
        split: one split only (None: every item).

    Returns:
        The number of items written.

    Raises:
        ConfigError: the dataset has no items (in that split).
    """
    import json

    from abstab import __version__
    from abstab.bench.data import load_data
    from abstab.bench.systems import Corpus
    from abstab.registry import systems

    data = load_data(dataset, None, split)  # raises when the dataset or split has no items
    table_system = systems.get("table")(Corpus(data.docs, data.tables, retriever="bm25"), k=1)
    directory.mkdir(parents=True, exist_ok=True)
    rows = []
    for item in data.items:
        context = "\n\n".join(p.text for p in table_system.passages(item))
        rows.append(json.dumps({
            "item_id": item.item_id, "doc_id": item.doc_id, "question": item.question,
            "context": context, "gold": item.answer.model_dump_json(),
            "answer_location": item.answer_location, "style": item.abstraction.style,
        }, ensure_ascii=False))
    data_file = directory / "abstab_items.jsonl"
    data_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    metric_list = "\n".join(f"  - metric: {m}\n    aggregation: mean\n    higher_is_better: true"
                            for m in LM_EVAL_METRICS)
    (directory / "abstab.yaml").write_text(_LM_EVAL_YAML.format(
        directory=directory, task=LM_EVAL_TASK, data=json.dumps(str(data_file.resolve())),
        metrics=metric_list, version=__version__, fingerprint=data.fingerprint),
        encoding="utf-8")
    (directory / "utils.py").write_text(_LM_EVAL_UTILS.format(metrics=LM_EVAL_METRICS),
                                        encoding="utf-8")
    return len(rows)
