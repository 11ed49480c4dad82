"""The dataset card: README.md with Hugging Face YAML front matter, written from the data.

Every number on the card comes from ``stats.json`` or the parquet files just written, and
``abstab validate`` checks the front matter against the data again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from abstab.release.arrow import whole_numbers_as_int
from abstab.release.citation import Citation
from abstab.release.layout import CARD, CONFIGS, SPLITS, field_docs
from abstab.release.licenses import known_licenses

TASK_CATEGORIES = ["table-question-answering", "question-answering"]

_STAGES_DOC = {
    "extract": "PDFs → documents (text blocks with page, bbox and char offsets) and tables "
               "(cells, header rows, notes, captions)",
    "judge": "each table labelled clear / abstract / not a table; abstract keywords tied to "
             "header cells",
    "resolve": "what each abstract header means, with evidence (block, page, char span)",
    "generate": "QA items on the de-abstracted table, re-asked on the abstract one; text "
                "questions; controlled abstraction of clear tables (gold by construction)",
    "assemble": "grounding checks, deduplication, splits by document",
    "ingest": "a table-QA dataset's tables → clear and abstracted synthetic documents (rendered "
              "PDFs, tables) with the dataset's questions and gold answers",
    "controlled": "every ingested item's evidence re-checked against its document and table",
}


# Counts the card shows in their own tables, left out of the per-stage funnel.
_SHOWN_ELSEWHERE = {"location", "style", "split", "difficulty", "origin", "cell", "category"}


def _reasons(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if not isinstance(v, dict)) or "—"


def size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "n>1T" if n >= 10**12 else "10M<n<100M"


@dataclass
class CardInfo:
    """What the card says beyond the data: names, addresses, citation, the authors' prose."""

    name: str
    citation: Citation
    homepage: str | None = None
    repo_id: str | None = None  # the Hugging Face dataset repository, OWNER/NAME
    languages: list[str] = field(default_factory=lambda: ["en"])
    fragment: str = ""  # the authors' markdown (--card-fragment)
    example: dict[str, Any] = field(default_factory=dict)  # {"item": row, "table": excerpt}


def front_matter(info: CardInfo, stats: dict[str, Any],
                 sizes: dict[str, dict[str, dict[str, int]]],
                 files: dict[str, list[str]], root: Path) -> str:
    """The YAML front matter (huggingface_hub's card data, datasets' feature encoding)."""
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    from datasets import DatasetInfo, Features, SplitDict, SplitInfo

    known = known_licenses()
    licenses = sorted({known[v["license"]].hf for v in stats["sources"].values()})
    configs = []
    infos = {}
    for cname, cfg in CONFIGS.items():
        split_sizes = sizes.get(cname, {})
        if not split_sizes:
            continue
        configs.append({"config_name": cname, **({"default": True} if cname == "items" else {}),
                        "data_files": [{"split": s, "path": f"{cname}/{s}-*.parquet"}
                                       for s in SPLITS if s in split_sizes]})
        splits = SplitDict()
        for s in SPLITS:
            if s in split_sizes:
                splits.add(SplitInfo(name=s, **split_sizes[s]))
        download = sum((root / f).stat().st_size for f in files[cname])
        infos[cname] = DatasetInfo(
            features=Features.from_arrow_schema(cfg.arrow_schema), splits=splits,
            config_name=cname, download_size=download,
            dataset_size=sum(v["num_bytes"] for v in split_sizes.values()))
    card = DatasetCardData(
        pretty_name=info.name, license=licenses, language=list(info.languages),
        multilinguality="monolingual" if len(info.languages) == 1 else "multilingual",
        # Questions and answers are made by code (or an LLM) from documents found as they are.
        annotations_creators=["machine-generated"], language_creators=["found"],
        source_datasets=["original"], task_categories=TASK_CATEGORIES,
        size_categories=[size_category(stats["items"])],
        tags=["tables", "abstract-headers", "document-qa", "table-qa", "abstab"],
        configs=configs)
    DatasetInfosDict(infos).to_dataset_card_data(card)
    return card.to_yaml()


def _table(header: list[str], rows: list[list[Any]]) -> str:
    """A markdown table; columns holding only numbers are right-aligned."""
    numeric = [bool(rows) and all(isinstance(r[i], int | float) for r in rows)
               for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def type_name(t: pa.DataType) -> str:
    """A short type for the card: string, int64, list<string>, struct{a, b}, ..."""
    if pa.types.is_list(t):
        return f"list<{type_name(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct{" + ", ".join(t.field(i).name for i in range(t.num_fields)) + "}"
    return str(t)


def _fields_table(cname: str) -> str:
    cfg = CONFIGS[cname]
    desc = cfg.descriptions()
    rows = []
    for f in cfg.arrow_schema:
        note = desc.get(f.name, "")
        if f.metadata:
            note += " (JSON-encoded: several types are allowed)"
        rows.append([f"`{f.name}`", f"`{type_name(f.type)}`", note.replace("|", "\\|")])
    return _table(["column", "type", "description"], rows)


def _limitations(stats: dict[str, Any]) -> list[str]:
    out = []
    backends = stats["backends"]
    by = stats["by"]
    if "rules" in backends:
        out.append(
            "Questions come from templates (" + ", ".join(
                f"`{t}` {n}" for t, n in sorted(by["template"].items())) + ") with the "
            "offline `rules` backend: they are simple on purpose and their wording repeats. The "
            "meanings behind document-derived questions come from the same definition mining "
            "that abstab's `rules` reader uses, so that reader's scores on `table_defined` are "
            "an upper bound, not a finding; items with `origin: controlled` are free of this.")
    out.append("Answers are checked by code (each is re-found in its evidence cell or at its "
               "char span), not by people; an extraction error that puts a wrong value in a cell "
               "yields a consistent but wrong item.")
    out.append("Tables and text come from automatic PDF extraction (text layer only; pages "
               "without one are not OCR'd); merged or split cells can be misread.")
    if stats["documents"] < 50:
        out.append(f"Only {stats['documents']} documents: splits are by document, so split "
                   "sizes are uneven and per-split scores have wide confidence intervals.")
    missing = [s for s in ("letter_codes", "acronym", "shortened", "symbol")
               if s not in by.get("style", {})]
    if missing:
        out.append("No items of style " + ", ".join(f"`{s}`" for s in missing) + ".")
    if stats["left_out"]:
        n = sum(x["items"] for x in stats["left_out"])
        out.append(f"{len(stats['left_out'])} document(s) and their {n} item(s) were left out "
                   "(license or missing records; see *Sources and licenses*).")
    out.append("`answer.value` is JSON-encoded (a number, string, bool or list); "
               "`documents.source` is the file name only.")
    return out


def _values_section() -> list[str]:
    """What each enum value means (``fields.yaml``'s ``values``)."""
    out = ["## Field values", ""]
    for column, values in field_docs()["values"].items():
        out += [f"`{column}`:", ""]
        out += [f"- `{v}`: {meaning}" for v, meaning in values.items()]
        out.append("")
    return out


def _json_lines(obj: dict[str, Any]) -> str:
    """A JSON object with one key per line and compact values (short enough for a card)."""
    obj = whole_numbers_as_int(obj)
    return "{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
                              for k, v in obj.items()) + "\n}"


def _example_section(example: dict[str, Any]) -> list[str]:
    item = {k: v for k, v in example["item"].items() if k not in ("provenance", "source")}
    out = ["## Example instance", "",
           (f"An item of config `items` (answer location `{item['answer_location']}`; "
            "`provenance` and `source` left out here; in parquet `answer.value` is that value "
            "JSON-encoded):"), "", "```json", _json_lines(item), "```", ""]
    if example.get("table"):
        out += ["Its table in config `tables` (some columns, first body rows only):", "",
                "```json", _json_lines(example["table"]), "```", ""]
    return out


def _evaluate_section(repo_id: str | None) -> list[str]:
    from abstab.registry import metrics, systems

    path = "REL" if repo_id else "PATH/TO/THIS/FOLDER"
    fetch = [f"hf download {repo_id} --repo-type dataset --local-dir REL"] if repo_id else []
    return ["## How to evaluate", "",
            ("Score systems with abstab (`pip install abstab`) on a local copy; the test split "
             "is the one to report:"), "", "```bash", *fetch,
            f"abstab bench {path} --split test                # the baseline systems",
            f"abstab bench {path} --split test -s mine.py:answer   # def answer(item) -> str",
            f"abstab bench {path} --split test --predictions preds.jsonl   # item_id, answer",
            "```", "",
            ("The headline metric is `correct`; results are broken down by `answer_location`, "
             "`abstraction.style` and `difficulty`, and the *abstraction gap* compares the two "
             "items of each `pair_id` (same question, clear vs abstract headers). Metrics:"), ""]\
        + [f"- `{m}`: {metrics.help(m)}" for m in metrics] \
        + ["", "Baseline systems (`-s`):", ""] + [f"- `{n}`: {systems.help(n)}" for n in systems] \
        + [""]


def _contact(info: CardInfo) -> str:
    parts = list(info.citation.contact)
    if info.homepage:
        parts.append(f"<{info.homepage}>")
    if info.repo_id:
        parts.append("the discussions of "
                     f"<https://huggingface.co/datasets/{info.repo_id}/discussions>")
    return "; ".join(parts) if parts else "none given by the publisher of this release."


def _tables_made(stats: dict[str, Any]) -> str:
    k = stats.get("table_kinds", {})
    total = sum(k.values())
    return (f"The {total} released tables are {k.get('found', 0)} tables found in the PDFs and "
            f"{total - k.get('found', 0)} that abstab derived from them (`derived_from` names "
            f"the table): {k.get('clear_twin', 0)} clear twins (`<table_id>:clear`: an "
            "abstract table with each abstract header replaced by its meaning, asked the same "
            f"questions) and {k.get('controlled', 0)} controlled abstractions "
            "(`<table_id>:<style>:<legend>`: a clear table whose headers abstab abbreviated, "
            "so their meaning is gold by construction). The judge stage's counts are of the "
            "tables found in the PDFs only.")


def _reviewed(stats: dict[str, Any]) -> str:
    """How many items a person checked in ``abstab review`` (``reviewed`` says what)."""
    n = stats.get("reviewed", 0)  # releases of earlier versions do not count them
    return (f"Reviewed by a person (`abstab review`): {n} of {stats['items']} items (their "
            "`reviewed` field names what was checked: the item, its table, its headers' "
            "abstract calls or meanings).")


def body(info: CardInfo, stats: dict[str, Any], has_figures: bool) -> str:
    by = stats["by"]
    name = info.name
    path = info.repo_id or "PATH/TO/THIS/FOLDER"
    links = [f"- **Homepage:** <{info.homepage}>"] if info.homepage else []
    if info.repo_id:
        links.append(f"- **Repository:** <https://huggingface.co/datasets/"
                     f"{info.repo_id}>")
    links += [f"- **Language(s):** {', '.join(info.languages)}",
              f"- **Point of contact:** {_contact(info)}"]
    parts = [f"# {name}", "",
             (f"A question-answering benchmark over report tables whose headers are *abstract*: "
             "letter codes, acronyms, shortened names and symbols that only the document "
             "explains (a legend, a footnote, a definition sentence) or merely implies. "
             f"{stats['items']} items over {stats['documents']} documents, made with abstab "
             f"{stats['abstab_version']} (backend: {', '.join(stats['backends'])})."), "",
             *links, ""]
    if info.fragment:
        parts += [info.fragment, ""]
    parts += ["## Loading", "", "```python", "from datasets import load_dataset", "",
              f'items = load_dataset("{path}")                 # config "items"',
              f'tables = load_dataset("{path}", "tables")',
              f'docs = load_dataset("{path}", "documents")']
    if not info.repo_id:
        parts += [f'same = load_dataset("parquet", data_dir="{path}/items")', "",
                  "import pandas as pd", f'df = pd.read_parquet("{path}/items")']
    parts += ["```", "",
              ("An item points to its table (`table_id` → config `tables`) and its document "
              "(`doc_id` → config `documents`); a question needing two tables of its document "
              "lists both in `tables`. A table is `header_rows` (a list of rows, spans "
              "repeated per column) above `rows` (lists of cell strings); `evidence.cells` are "
              "`[row, col]` counted over header rows then body rows (`[row, col, k]` in the "
              "k-th of `tables`). Text evidence is a char span of `documents.text`."), ""]
    for cname in CONFIGS:
        if stats["rows"].get(cname):
            parts += [f"### Config `{cname}`", "", _fields_table(cname), ""]
    parts += _values_section()
    if info.example:
        parts += _example_section(info.example)
    parts += _evaluate_section(info.repo_id)
    parts += ["## How the data was made", "",
              ("abstab ran these stages on the source PDFs (each stage's settings are hashed "
              "into the `provenance.config_hash` of its records):"), ""]
    for st in stats["funnel"]:
        parts.append(f"- **{st['stage']}**: {_STAGES_DOC.get(st['stage'], 'a stage of abstab')}"
                     f" (config `{stats['workspace_config'].get(st['stage'])}`)")
    parts += ["", (f"Backends: {', '.join(stats['backends'])}; models: "
              f"{', '.join(stats['models'])}."), "", "### Cleaning funnel", ""]
    if stats.get("run_funnel"):
        parts += [_table(["step", "n", "dropped (by reason)"],
                         [[s["step"], s["n"], _reasons(s.get("dropped", {}))]
                          for s in stats["run_funnel"]]), "", "Per stage:", ""]
    n_tables = sum(stats["rows"].get("tables", {}).values())
    parts += [_table(["stage", "in", "kept", "dropped (by reason)", "counts"],
                     [[s["stage"], s["in"], s["kept"], _reasons(s["dropped"]),
                       _reasons({k: v for k, v in s["counts"].items()
                                 if k.split(".")[0] not in _SHOWN_ELSEWHERE})]
                      for s in stats["funnel"]]),
              "", (f"Released: {stats['items']} items, {n_tables} tables, "
              f"{stats['documents']} documents, {stats['pdfs']} PDFs."), ""]
    if "table_kinds" in stats:
        parts += [_tables_made(stats), ""]
    parts += ["## Counts", "",
              _table(["split", "items", "tables", "documents"],
                     [[s, stats["rows"]["items"].get(s, 0), stats["rows"].get("tables", {}).get(s, 0),
                       stats["rows"]["documents"].get(s, 0)] for s in SPLITS]), ""]
    styles = sorted({s for v in stats["location_by_style"].values() for s in v})
    parts += ["Items per answer location and abstraction style:", "",
              _table(["answer_location", *styles, "total"],
                     [[loc, *(row.get(s, 0) for s in styles), sum(row.values())]
                      for loc, row in stats["location_by_style"].items()]), ""]
    for key, title in (("legend", "legend"), ("category", "resolution category"),
                       ("origin", "origin"), ("difficulty", "difficulty")):
        parts.append(f"- {title}: " + ", ".join(f"{k} {v}" for k, v in by.get(key, {}).items()))
    parts += ["", (f"Paired items (`pair_id` shared by a clear and an abstract version): "
              f"{stats['pairs']} pairs."), "", _reviewed(stats), "", "## Sources and licenses", "",
              "Each item carries the license of its source document (`license`, `corpus`).", "",
              _table(["corpus", "license", "documents", "items", "note"],
                     [[k, f"[{v['license']}]({v['url']})" if v["url"] else v["license"],
                       v["documents"], v["items"], v["note"]]
                      for k, v in stats["sources"].items()]), ""]
    if stats["left_out"]:
        parts += ["Left out:", ""] + [
            f"- `{x['doc_id']}` ({x['source']}): {x['items']} item(s): {x['reason']}"
            for x in stats["left_out"]] + [""]
    if has_figures:
        parts += ["## Figures", "", "![cleaning funnel](figures/funnel.png)", "",
                  "![items per answer location and style](figures/location_style.png)", "",
                  "![items per split](figures/splits.png)", ""]
    parts += ["## Files", "",
              "- `items/`, `tables/`, `documents/`: parquet, one file per split (or shard)",
              "- `pdfs/<doc_id>.pdf`: the source PDFs whose license allows redistribution",
              ("- `schemas/`: the JSON Schemas of the records (the columns other than the "
              "release's own: `license`, `corpus`, `split`, spans, `abstract_headers`, `pdf`)"),
              "- `croissant.json`: Croissant 1.0 metadata; `stats.json`: every number above",
              "- `browse.html`: open it in a browser to read the items (no server needed)",
              ("- `SHA256SUMS`: `sha256sum -c SHA256SUMS`; `abstab validate .` checks "
              "everything (schema, checksums, splits, ids, grounding, this card)"), "",
              "## Known limitations", ""]
    parts += [f"- {x}" for x in _limitations(stats)]
    parts += ["", "## Citation", "",
              ("Cite the dataset as" + (f" (from its {info.citation.source}):"
                                        if info.citation.source != "generated" else ":")),
              "", "```bibtex", info.citation.bibtex, "```", "",
              "## Contact", "", _contact(info)]
    return "\n".join(parts) + "\n"


def write_card(root: Path, info: CardInfo, stats: dict[str, Any],
               sizes: dict[str, dict[str, dict[str, int]]], files: dict[str, list[str]],
               figures: bool) -> None:
    yaml_text = front_matter(info, stats, sizes, files, root)
    (root / CARD).write_text(f"---\n{yaml_text}\n---\n\n{body(info, stats, figures)}",
                             encoding="utf-8")


def read_front_matter(path: Path) -> dict[str, Any]:
    """The card's YAML front matter as a dict (empty when there is none)."""
    import yaml

    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    return (yaml.safe_load(text[4:end]) or {}) if end > 0 else {}
