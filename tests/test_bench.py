"""abstab bench on external datasets: loading, the rules reader's operations, reports,
resume, plugins, official-format exports."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from builders import PROV, make_table, tiny_wtq
from click.testing import CliRunner

from abstab.bench.data import detect_kind, header_row_count, load_data
from abstab.bench.report import summarize
from abstab.cli import cli
from abstab.errors import ConfigError
from abstab.llm.tasks import Passage
from abstab.records import (
    Abstraction,
    Answer,
    ItemEvidence,
    Prediction,
    QAItem,
    Score,
    Table,
)
from abstab.rules.reader import read, stated_scale

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"

TATQA = [{
    "table": {"uid": "ctx-1", "table": [
        ["", "", "Years Ended September 30,", ""],
        ["", "2019", "2018", "2017"],
        ["Fixed Price", "$ 1,452.4", "$ 1,146.2", "$ 1,036.9"],
        ["Other", "44.1", "56.7", "70.8"],
        ["Total sales", "$1,496.5", "$1,202.9", "$1,107.7"],
    ]},
    "paragraphs": [
        {"uid": "p-a", "order": 1, "text": "Sales by Contract Type: Substantially all of our "
         "contracts are fixed-price type contracts."},
        {"uid": "p-b", "order": 2, "text": "On a cost-plus type contract, we are paid our "
         "allowable incurred costs plus a profit. The table below presents total net sales "
         "disaggregated by contract type (in millions):"},
    ],
    "questions": [
        {"uid": "q1", "order": 1, "question": "What is the amount of total sales in 2019?",
         "answer": ["$1,496.5"], "derivation": "", "answer_type": "span",
         "answer_from": "table-text", "rel_paragraphs": ["2"], "req_comparison": False,
         "scale": "million"},
        {"uid": "q2", "order": 2, "question": "What is the change in Other from 2018 to 2019?",
         "answer": -12.6, "derivation": "44.1-56.7", "answer_type": "arithmetic",
         "answer_from": "table-text", "rel_paragraphs": ["2"], "req_comparison": False,
         "scale": "million"},
        {"uid": "q3", "order": 3, "question": "In which year was the amount of Other the "
         "largest?", "answer": ["2017"], "derivation": "", "answer_type": "span",
         "answer_from": "table", "rel_paragraphs": [], "req_comparison": True, "scale": ""},
        {"uid": "q4", "order": 4, "question": "What is the company paid on a cost-plus type "
         "contract?", "answer": ["our allowable incurred costs plus a profit"],
         "derivation": "", "answer_type": "span", "answer_from": "text",
         "rel_paragraphs": ["2"], "req_comparison": False, "scale": ""},
    ],
}]


@pytest.fixture
def tatqa_dir(tmp_path: Path) -> Path:
    d = tmp_path / "tatqa"
    d.mkdir()
    (d / "tatqa_dataset_dev.shared.json").write_text(json.dumps(TATQA), encoding="utf-8")
    return d


@pytest.fixture
def wtq_dir(tmp_path: Path) -> Path:
    d = tmp_path / "wtq"
    (d / "csv" / "200-csv").mkdir(parents=True)
    (d / "csv" / "200-csv" / "0.csv").write_text(
        'Rank,Nation,Gold,Total\n1,Italy,5,9\n2,France,3,11\n3,Spain,3,4\n', encoding="utf-8")
    (d / "questions.tsv").write_text(
        "id\tutterance\tcontext\ttargetValue\n"
        "nu-1\twhich nation had the most total medals?\tcsv/200-csv/0.csv\tFrance\n"
        "nu-2\thow many gold medals did spain win?\tcsv/200-csv/0.csv\t3\n"
        "nu-3\twhich nation ranked first?\tcsv/200-csv/0.csv\tItaly\n", encoding="utf-8")
    return d


# ------------------------------------------------------------------------------ loading


def test_detect_kind(tatqa_dir: Path, wtq_dir: Path, tmp_path: Path) -> None:
    assert detect_kind(tatqa_dir) == "tatqa"
    assert detect_kind(tatqa_dir / "tatqa_dataset_dev.shared.json") == "tatqa"
    assert detect_kind(wtq_dir) == "wtq"
    work = tmp_path / "work"
    (work / "assemble").mkdir(parents=True)
    (work / "assemble" / "done.json").write_text("{}")
    assert detect_kind(work) == "workspace"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="Name the format with --format"):
        detect_kind(tmp_path / "empty")


def test_header_rows() -> None:
    assert header_row_count(TATQA[0]["table"]["table"]) == 2
    assert header_row_count([["", "", "Year Ended"], ["", "", "December 31,"], ["", "2019", "2018"],
                             ["Financing", "1,389", "1,779"]]) == 3
    assert header_row_count([["Item", "Amount"], ["($ in millions)", "2019"], ["Total", "12"]]) == 2
    # A body row of words (WTQ) is not a header row.
    assert header_row_count([["Rank", "Nation"], ["1", "Italy"], ["2", "France"]]) == 1


def test_a_wtq_table_has_one_header_row_whatever_its_rows_hold(tmp_path: Path) -> None:
    # A second row of words under an empty first cell looks like a TAT-QA header row; in WTQ
    # only the CSV's first line is a header.
    d = tiny_wtq(tmp_path / "wtq", "Party\tLeader\tSeat\n\tSmith\tLeeds\nLabour\tJones\tYork\n",
                 [("nu-1", "which seat does smith hold?", "Leeds")])
    out = tmp_path / "items.jsonl"
    res = CliRunner().invoke(cli, ["export", "items", str(d), "-o", str(out)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    [row] = [json.loads(line) for line in out.open()]
    assert [(t["columns"], t["rows"]) for t in row["tables"]] == [
        (["Party", "Leader", "Seat"], [["", "Smith", "Leeds"], ["Labour", "Jones", "York"]])]


def test_tatqa_records(tatqa_dir: Path) -> None:
    data = load_data(tatqa_dir)
    assert (data.kind, len(data.docs), len(data.tables), len(data.items)) == ("tatqa", 1, 1, 4)
    table = data.tables["ctx-1#table"]
    assert table.n_header_rows == 2
    assert table.columns == ["", "2019", "Years Ended September 30, / 2018", "2017"]
    assert table.rows[0] == ["Fixed Price", "$ 1,452.4", "$ 1,146.2", "$ 1,036.9"]
    assert [b.block_id for b in data.docs["ctx-1"].blocks] == ["ctx-1#p1", "ctx-1#p2"]
    q1, q2, q3, q4 = data.items
    assert q1.answer == Answer(text="$1,496.5", value=["$1,496.5"], type="number",
                               scale="million")
    assert q2.answer == Answer(text="-12.6", value=-12.6, type="number", scale="million")
    assert q3.answer.type == "number" and q4.answer.type == "text"
    assert (q1.answer_location, q4.answer_location) == ("table_clear", "text")
    assert q1.evidence.blocks == ["ctx-1#p2"]
    assert q1.source is not None and q1.source.meta["answer_type"] == "span"


# ------------------------------------------------------------------------------- reader


def _passages(data, item_id: str, text: bool = True) -> list[Passage]:
    from abstab.bench.systems import table_passage

    item = next(i for i in data.items if i.item_id == item_id)
    out = [table_passage(data.tables[item.table_id], with_notes=False)]
    if text:
        out += [Passage(id=b.block_id, kind="text", text=b.text)
                for b in data.docs[item.doc_id].blocks]
    return out


def test_reader_operations_on_a_tatqa_table(tatqa_dir: Path) -> None:
    data = load_data(tatqa_dir)
    # The scale comes from the text ("(in millions)") when the table does not state one.
    assert read(data.items[0].question, _passages(data, "q1")).answer == "$1,496.5 million"
    assert read(data.items[0].question, _passages(data, "q1", text=False)).answer == "$1,496.5"
    # "from 2018 to 2019": 44.1 - 56.7.
    assert read(data.items[1].question, _passages(data, "q2")).answer == "-12.6 million"
    assert read(data.items[2].question, _passages(data, "q3")).answer == "2017"
    # Text: the rest of the sentence after the question's last word in its first half.
    out = read(data.items[3].question, _passages(data, "q4"))
    assert out.answer == "our allowable incurred costs plus a profit"
    assert out.evidence_ids == ["ctx-1#p2"]


@pytest.mark.parametrize(("question", "answer"), [
    ("What is the average Other in 2018 and 2019?", "50.4"),  # (44.1 + 56.7) / 2
    ("What is the percentage change in Other from 2018 to 2019?", "-22.22%"),  # -12.6 / 56.7
    ("What are the respective values of Other in 2019 and 2018?", "44.1 | 56.7"),
    ("What is the percentage of Other in Total sales in 2019?", "2.95%"),  # 44.1 / 1496.5
    ("In which year was Fixed Price the smallest?", "2017"),
    ("What is the salary of the chief executive?", ""),  # nothing named: abstain
])
def test_reader_table_operations(tatqa_dir: Path, question: str, answer: str) -> None:
    data = load_data(tatqa_dir)
    out = read(question, _passages(data, "q3", text=False))
    assert (out.answer, out.abstained) == (answer, answer == "")


def test_reader_wtq_style_questions(wtq_dir: Path) -> None:
    data = load_data(wtq_dir)
    ps = _passages(data, "nu-1", text=False)
    assert read("which nation had the most total medals?", ps).answer == "France"
    assert read("which nation had the fewest total medals?", ps).answer == "Spain"
    assert read("how many gold medals did spain win?", ps).answer == "3"
    assert read("how many nations won 3 gold medals?", ps).abstained  # a count of numbers: no
    assert read("how many rows list France?", ps).answer == "1"
    assert read("what is the last nation?", ps).answer == "Spain"


def test_stated_scale() -> None:
    assert stated_scale(["(In thousands, except per share data)"]) == "thousand"
    assert stated_scale(["$'000"]) == "thousand"
    assert stated_scale(["Revenue ($ in millions)"]) == "million"
    assert stated_scale(["in billions of euros", "in thousands"]) == "billion"
    assert stated_scale(["The 12 months"]) is None


# ------------------------------------------------------------------------------ reports



def _item(item_id: str, style: str, pair: str | None, location: str = "table_clear",
          blocks: tuple[str, ...] = ()) -> QAItem:
    return QAItem(item_id=item_id, doc_id="d", table_id="t", question="q",
                  answer=Answer(text="1", type="number"), answer_location=location,
                  evidence=ItemEvidence(blocks=list(blocks)),
                  abstraction=Abstraction(style=style, legend="explicit"), origin="controlled",
                  pair_id=pair, template="x", difficulty="easy", provenance=PROV)


def _score(item: QAItem, correct: float) -> Score:
    return Score(item_id=item.item_id, system="rag", answer_location=item.answer_location,
                 style=item.abstraction.style, metrics={"correct": correct, "exact_match": 0.0},
                 correct=correct == 1.0, provenance=PROV)


def test_summarize_groups_gap_and_retrieval() -> None:
    items = [_item("c1", "natural", "p1"), _item("a1", "acronym", "p1", blocks=("b1",)),
             _item("c2", "natural", "p2"), _item("a2", "acronym", "p2", blocks=("b1",)),
             _item("t1", "natural", None, "text", blocks=("b2",))]
    correct = {"c1": 1.0, "a1": 0.0, "c2": 1.0, "a2": 1.0, "t1": 0.0}
    scores = [_score(i, correct[i.item_id]) for i in items]
    retrieved = {"c1": ["t"], "a1": ["t"], "c2": ["t", "b1"], "a2": ["b1", "t"], "t1": ["t", "b2"]}
    preds = [Prediction(item_id=i.item_id, system="rag", answer="", abstained=False,
                        retrieved=retrieved[i.item_id], latency_ms=10.0, provenance=PROV)
             for i in items]
    out = summarize(scores, {i.item_id: i for i in items}, preds, ["correct", "exact_match"],
                    retrieval_k=2)
    assert out["n"] == 5 and out["overall"]["correct"] == 0.6
    assert out["style"]["acronym"]["correct"] == 0.5
    assert out["style"]["natural"]["metrics"]["exact_match"]["mean"] == 0.0
    assert out["answer_location"]["text"]["n"] == 1
    gap = out["abstraction_gap"]
    # Two pairs: clear 1, 1; abstract 0, 1: gap 0.5. Newcombe's paired interval: Wilson of
    # 2/2 is [0.3424, 1], of 1/2 [0.0945, 0.9055], no correlation term (a margin is 0), so
    # [0.5 - sqrt(0.6576² + 0.4055²), 0.5 + 0.4055] = [-0.2726, 0.9055].
    assert (gap["pairs"], gap["clear"], gap["abstract"], gap["gap"], gap["ci"]) == (
        2, 1.0, 0.5, 0.5, [-0.2726, 0.9055])
    assert gap["metrics"]["correct"]["interval"] == "newcombe"
    r = out["retrieval"]
    # Table gold: c1, a1, c2, a2 (not the text item): all retrieved at 1 except a2 (b1 first).
    assert r["recall@1"]["table"] == 0.75 and r["recall@2"]["table"] == 1.0
    # Text gold: a1 (b1 never retrieved), a2 (b1 first), t1 (b2 second): recall@1 1/3.
    assert r["recall@1"]["text"] == pytest.approx(0.3333) and r["recall@2"]["text"] == 0.6667
    # Wrong answers: a1 (its b1 missing: retrieval failure) and t1 (all there: reading failure).
    assert r["failures"] == {"wrong": 2, "evidence_missed": 1, "read_wrong": 1}
    assert out["timing"] == {"items": 5, "seconds": 0.05, "items_per_s": 100.0,
                             "mean_latency_ms": 10.0}


# ---------------------------------------------------------------------------- CLI runs


def test_bench_tatqa_end_to_end(tatqa_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["bench", str(tatqa_dir), "-s", "table,rag,closed-book", "-o",
                                 str(out), "--retriever", "bm25", "--no-plots"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "dataset: tatqa (4 items)   backend: rules" in r.output
    res = json.loads((out / "results.json").read_text())
    assert res["schema"] == "abstab-bench-results/3"
    assert res["dataset"]["kind"] == "tatqa" and res["dataset"]["items"] == 4
    table, rag = res["systems"]["table"], res["systems"]["rag"]
    # table: q1 "$1,496.5" (no scale in the table; TAT-QA wants 1496.5 million: EM 0), q2
    # "-12.6" (EM 0 for the same reason), q3 "2017" (EM 1), q4 abstains: EM 1/4.
    assert table["overall"]["tatqa_em"] == 0.25
    # rag: BM25 brings the paragraph saying "(in millions)" for q1 but not for q2 ("change in
    # Other from 2018 to 2019" shares no word with it), and q4 is read from the sentence: 3/4.
    assert rag["overall"]["tatqa_em"] == 0.75
    assert set(rag["answer_from"]) == {"table", "table-text", "text"}
    assert rag["answer_type"]["arithmetic"]["metrics"]["tatqa_em"]["mean"] == 0.0
    assert rag["answer_from"]["text"]["metrics"]["tatqa_f1"]["mean"] == 1.0
    assert "retrieval" in rag and "retrieval" not in table
    assert rag["retrieval"]["recall@5"]["table"] == 1.0
    assert res["systems"]["closed-book"]["overall"]["tatqa_em"] == 0.0
    board = (out / "leaderboard.md").read_text()
    assert "| answer from | n | table | rag | closed-book |" in board
    assert "| tatqa_em | 0.250 [" in board
    preds = json.loads((out / "rag-rules" / "tatqa_predictions.json").read_text())
    # Split as a TAT-QA model outputs (answer, scale), which the official script then reads.
    assert preds["q1"] == ["$1,496.5", "million"] and preds["q2"] == ["-12.6", ""]
    # A rerun redoes nothing.
    again = CliRunner().invoke(cli, ["bench", str(tatqa_dir), "-s", "table", "-o", str(out),
                                     "--retriever", "bm25", "--no-plots"], catch_exceptions=False)
    assert again.exit_code == 0
    assert json.loads((out / "table-rules" / "stats.json").read_text())["kept"] == 4


def test_bench_wtq_end_to_end(wtq_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["bench", str(wtq_dir), "-s", "table", "-o", str(out),
                                 "--no-plots"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    res = json.loads((out / "results.json").read_text())
    assert res["systems"]["table"]["overall"]["denotation"] == 1.0
    lines = (out / "table-rules" / "wtq_predictions.tsv").read_text().splitlines()
    assert lines == ["nu-1\tFrance", "nu-2\t3", "nu-3\tItaly"]


@pytest.mark.skipif(not __import__("abstab.bench.plots", fromlist=["x"]).available(),
                    reason="matplotlib (the plot extra) is not installed")
def test_bench_writes_a_png(wtq_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["bench", str(wtq_dir), "-s", "table,closed-book", "-o",
                                 str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    png = (out / "accuracy_by_location.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert json.loads((out / "results.json").read_text())["plots"] == ["accuracy_by_location.png"]


def test_bench_rejects_an_unknown_folder(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["bench", str(tmp_path)])
    assert r.exit_code == 2
    assert "not a dataset abstab knows" in r.output and "--format" in r.output


# ------------------------------------------------------------- plugins and resume


class FlakySystem:
    """A user's own system: the table alone, interrupted after ``fail_after`` items."""

    fail_after: int | None = None
    seen = 0

    def __init__(self, corpus, k: int = 5):
        self.corpus = corpus

    def passages(self, item: QAItem) -> list[Passage]:
        from abstab.bench.systems import table_passage

        FlakySystem.seen += 1
        if FlakySystem.fail_after is not None and FlakySystem.seen > FlakySystem.fail_after:
            raise KeyboardInterrupt
        return [table_passage(self.corpus.tables[item.table_id], with_notes=False)]


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> str:
    from abstab import registry

    ep = EntryPoint(name="my-system", value=f"{__name__}:FlakySystem", group="abstab.systems")
    monkeypatch.setattr(registry, "entry_points",
                        lambda group: [ep] if group == "abstab.systems" else [])
    monkeypatch.setattr(registry.systems, "_entries", dict(registry.systems._entries))
    monkeypatch.setattr(registry.systems, "_plugins_loaded", False)
    return "my-system"


def test_entry_point_system_runs_and_resumes(plugin: str, wtq_dir: Path, tmp_path: Path) -> None:
    from abstab.registry import systems

    assert plugin in systems.names() and systems.get(plugin) is FlakySystem
    out = tmp_path / "out"
    args = ["bench", str(wtq_dir), "-s", plugin, "-o", str(out), "--no-plots", "--retriever",
            "bm25"]
    FlakySystem.fail_after, FlakySystem.seen = 2, 0
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 130 and "run the same command again to resume" in r.output
    done = (out / f"{plugin}-rules" / "predictions.jsonl").read_text().splitlines()
    assert len(done) == 2
    FlakySystem.fail_after, FlakySystem.seen = None, 0
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert FlakySystem.seen == 1  # only the third item was answered again
    preds = [json.loads(x) for x in
             (out / f"{plugin}-rules" / "predictions.jsonl").read_text().splitlines()]
    assert [p["item_id"] for p in preds] == ["nu-1", "nu-2", "nu-3"]
    res = json.loads((out / "results.json").read_text())
    assert res["systems"][plugin]["overall"]["denotation"] == 1.0


# --------------------------------------------------------------- the shared corpora


@pytest.mark.skipif(not (CORPORA / "tatqa").is_dir(), reason="../shared/corpora/tatqa is absent")
def test_tatqa_metrics_through_records_equal_the_raw_official_inputs() -> None:
    """The records abstab builds score exactly as the official rules score the raw JSON."""
    from abstab.bench.metrics import tatqa_em, tatqa_f1
    from abstab.bench.official import split_items, tatqa_em_f1

    data = load_data(CORPORA / "tatqa")
    assert len(data.items) >= 100
    predictions = ["", "1,496.5 million", "2019", "2018 | 2019", "12.5%", "-12.6", "net sales"]
    for n, item in enumerate(data.items[:300]):
        pred = predictions[n % len(predictions)]
        items = split_items(pred)
        meta = item.source.meta
        raw = tatqa_em_f1(items if len(items) > 1 else pred, "", meta["answer"],
                          meta["answer_type"], meta["scale"])
        assert (tatqa_em(pred, item.answer, False), tatqa_f1(pred, item.answer, False)) == raw


def _table(rows: list[list[str]]) -> Table:
    return make_table(rows[0], rows[1:], table_id="t", bbox=[0, 0, 0, 0])


def test_operation_words_inside_a_column_name_ask_for_no_operation() -> None:
    table = _table([["School", "Change in mean score since 2023"], ["Elmhurst", "-4.2"],
                    ["Fenwick", "1.3"]])
    ps = [Passage(id="t", kind="table", text="", table=table)]
    assert read("What is the change in mean score since 2023 for Elmhurst?", ps).answer == "-4.2"


def test_reader_takes_a_column_named_by_its_whole_label() -> None:
    from abstab.bench.systems import table_passage

    # The label's years and "Change" belong to the column: no year columns, no subtraction.
    table = _table([["", "2019", "2018", "% Change 2018 to 2019", "2017/2018"],
                    ["Services", "57,000", "61,931", "(8)%", "40"],
                    ["Income taxes", "1,206", "1,150", "5%", "−216"]])
    ps = [table_passage(table)]
    assert read("What is the % Change 2018 to 2019 for Services?", ps).answer == "(8)%"
    assert read("What is the income taxes in 2017/2018?", ps).answer == "−216"
    # Years alone still pick the year columns.
    assert read("What is the income taxes in 2019?", ps).answer == "1,206"
    assert read("What is the change in services from 2018 to 2019?", ps).answer == "-4,931"


# ------------------------------------------------ results that accumulate (issue 16, point 4)


def _bench(work: Path, *args: str) -> tuple[str, dict]:
    r = CliRunner().invoke(cli, ["bench", str(work), "--retriever", "bm25", "--no-plots", *args],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output, json.loads((work / "bench" / "results.json").read_text())


def test_bench_runs_accumulate_and_say_how_they_were_made(sample_work, tmp_path: Path) -> None:
    import shutil

    from abstab import __version__

    work = tmp_path / "work"
    shutil.copytree(sample_work[0], work)
    first = json.loads((work / "bench" / "results.json").read_text())
    assert list(first["systems"]) == ["table", "rag", "hybrid", "oracle", "closed-book"]
    fingerprint = first["dataset"]["fingerprint"]
    # Another run with another k adds a row and keeps the others (their order too).
    output, res = _bench(work, "-s", "rag", "-k", "3")
    assert list(res["systems"]) == ["table", "rag-k5", "hybrid", "oracle", "closed-book",
                                    "rag-k3"]
    assert res["systems"]["table"] == first["systems"]["table"]
    assert res["systems"]["rag-k5"]["overall"] == first["systems"]["rag"]["overall"]
    run = dict(res["systems"]["rag-k3"]["run"])
    assert run.pop("created") > first["systems"]["rag"]["run"]["created"]
    assert run == {"name": "rag", "system": "rag", "backend": "rules",
                   "model": "rules-v3", "answer_format": "json", "retriever": "bm25", "embedding_model": None,
                   "k": 3, "split": None, "dataset_fingerprint": fingerprint,
                   "tables_from": None, "abstab_version": __version__}
    assert res["systems"]["table"]["run"]["retriever"] is None  # table does not search
    assert res["systems"]["rag-k3"]["retrieval"]["k"] == 3
    assert res["notes"] == []
    assert (f"| rag-k3 | rag | rules | rules-v3 | json | bm25 | 3 | gold | {__version__} |"
            in output)
    assert f"| table | table | rules | rules-v3 | json | – | – | gold | {__version__} |" in output
    assert f"fingerprint {fingerprint})" in output
    board = (work / "bench" / "leaderboard.md").read_text()
    assert "| answer location | n | table | rag-k5 | hybrid | oracle | closed-book | rag-k3 |" \
        in board
    # A rerun replaces only its own row, in place.
    _, again = _bench(work, "-s", "table")
    assert list(again["systems"]) == list(res["systems"])
    assert again["systems"]["table"]["run"]["created"] > res["systems"]["table"]["run"]["created"]
    assert again["systems"]["rag-k3"] == res["systems"]["rag-k3"]
    # Another dataset (here its first 10 items: another fingerprint) is not merged: the rows
    # go, with a note.
    output, other = _bench(work, "-s", "table", "--limit", "10")
    assert list(other["systems"]) == ["table"]
    note = ("results.json: dropped 6 earlier row(s) (table, rag-k5, hybrid, oracle, closed-book, "
            "rag-k3) scored on another dataset, split or results schema; use -o DIR to keep "
            "them apart")
    assert other["notes"] == [note] and f"note: {note}" in output


def test_small_groups_get_honest_intervals_on_the_sample(sample_work) -> None:
    res = json.loads((sample_work[0] / "bench" / "results.json").read_text())
    for name, row in res["systems"].items():
        unanswerable = row["answer_location"]["unanswerable"]
        # 3 unanswerable items: closed-book abstains on all (Wilson [0.4385, 1]); the readers
        # answer "2025 Actual" from the 2022/2023 columns, 2 of 3 right: [0.2077, 0.9385].
        assert (unanswerable["n"], unanswerable["correct"], unanswerable["ci"]) == ((
            3, 1.0, [0.4385, 1.0]) if name == "closed-book" else (
            3, 0.6667, [0.2077, 0.9385])), name
    table = res["systems"]["table"]["overall"]
    assert (table["correct"], table["cis"]["correct"]) == (0.44, [0.3685, 0.5141])
    # Truthfulness: wrong answers cost, so it is below accuracy for a reader that guesses.
    assert (table["truthfulness"], table["cis"]["truthfulness"]) == (0.3486, [0.2679, 0.4155])
    closed = res["systems"]["closed-book"]["overall"]
    assert closed["truthfulness"] == closed["correct"] == 0.0171  # it never answers


# ------------------------------------------------------- lm-eval export (issue 16, point 7)


def test_lm_eval_export_scores_like_abstab_bench(sample_work, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("lm_eval")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    from lm_eval.tasks import TaskManager, get_task_dict

    work = sample_work[0]
    runner = CliRunner()
    rel = tmp_path / "rel"
    r = runner.invoke(cli, ["release", str(work), "-o", str(rel), "--no-pdfs", "--no-figures"],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = tmp_path / "lm"
    r = runner.invoke(cli, ["export", "lm-eval", str(rel), "-o", str(out)],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert r.output == (f"175 items written to {out}: lm_eval --include_path {out} "
                        "--tasks abstab --model ...\n")
    task = get_task_dict(["abstab"], TaskManager(include_path=str(out)))["abstab"]
    docs = {d["item_id"]: d for d in task.test_docs()}
    assert len(docs) == 175
    results = json.loads((work / "bench" / "results.json").read_text())["systems"]
    # The table system's own predictions, scored through the task's process_results, give
    # abstab bench's numbers.
    for system in ("table", "rag"):
        preds = [json.loads(line) for line in
                 (work / "bench" / f"{system}-rules" / "predictions.jsonl").read_text()
                 .splitlines()]
        sums: dict[str, float] = {}
        for p in preds:
            for m, v in task.process_results(docs[p["item_id"]], [p["answer"]]).items():
                sums[m] = sums.get(m, 0.0) + v
        means = {m: round(v / len(preds), 4) for m, v in sums.items()}
        assert means == {m: results[system]["overall"][m] for m in means}, system
    assert {m: results["table"]["overall"][m] for m in ("correct", "truthfulness")} == {
        "correct": 0.44, "truthfulness": 0.3486}


def test_lm_eval_export_of_an_empty_split_is_a_usage_error(sample_work, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["export", "lm-eval", str(sample_work[0]), "-o",
                                 str(tmp_path / "lm"), "--split", "tset"])
    assert r.exit_code == 2
    assert r.output.endswith(f"Error: --split tset: no item of {sample_work[0]} is in that split; "
                             "its splits are: test, train, validation\n")
