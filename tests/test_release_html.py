"""browse.html of a release, opened in headless Chromium (Debian's, driven by playwright):
what it shows, and its filters by answer location and style."""

import json
import shutil
from collections import Counter

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from conftest import SAMPLE_PDFS, SAMPLE_PIPELINE, playwright_api

from abstab.cli import cli
from abstab.release.build import ReleaseSettings, build_release


@pytest.fixture(scope="module")
def html_work(tmp_path_factory):
    playwright_api()
    tmp = tmp_path_factory.mktemp("html")
    pipe = yaml.safe_load(SAMPLE_PIPELINE.read_text())
    pipe["inputs"] = [str(SAMPLE_PDFS)]
    pipe["stages"].setdefault("resolve", {})["retriever"] = "bm25"
    pipe["stages"].setdefault("assemble", {})["dedup"] = "text"
    (tmp / "p.yaml").write_text(yaml.safe_dump(pipe))
    result = CliRunner().invoke(cli, ["synth", "-p", str(tmp / "p.yaml"), "-o", str(tmp / "w")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return tmp / "w"


@pytest.fixture(scope="module")
def page_and_items(html_work, browser, tmp_path_factory):
    out = tmp_path_factory.mktemp("html-rel") / "rel"
    build_release(html_work, out, ReleaseSettings(figures=False))
    items = [r for p in sorted((out / "items").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    tables = {r["table_id"]: r for p in (out / "tables").glob("*.parquet")
              for r in pq.read_table(p).to_pylist()}
    page = browser.new_page()
    page.goto((out / "browse.html").as_uri())
    yield page, items, tables
    page.close()


def _count(page) -> str:
    return page.inner_text("#count")


def test_page_lists_items_and_filters_by_location_and_style(page_and_items):
    page, items, _ = page_and_items
    n = len(items)
    assert _count(page) == f"{n} of {n} items (showing 50)"
    assert page.locator("div.item").count() == 50
    by_loc = Counter(i["answer_location"] for i in items)
    page.select_option("#f-location", "table_defined")
    assert _count(page) == f"{by_loc['table_defined']} of {n} items"
    shown = page.locator("div.item")
    assert shown.count() == by_loc["table_defined"]
    assert set(shown.evaluate_all("els => els.map(e => e.dataset.location)")) == {"table_defined"}
    style = Counter(i["abstraction"]["style"] for i in items
                if i["answer_location"] == "table_defined").most_common(1)[0]
    page.select_option("#f-style", style[0])
    assert _count(page) == f"{style[1]} of {n} items"
    assert page.url.endswith(f"#location=table_defined&style={style[0]}")
    page.select_option("#f-location", "")
    page.select_option("#f-style", "")
    assert _count(page).startswith(f"{n} of {n} items")


def test_item_shows_question_answer_abstract_header_and_evidence_cell(page_and_items):
    page, items, tables = page_and_items
    item = next(i for i in items if i["answer_location"] == "table_defined"
            and len(i["evidence"]["cells"]) == 1)
    page.fill("#f-text", item["question"])
    card = page.locator(f"div.item[data-id='{item['item_id']}']")
    assert card.locator(".q").inner_text() == item["question"]
    assert card.locator(".answer b").inner_text() == item["answer"]["text"]
    labels = card.locator(".labels span").all_inner_texts()
    assert labels[:2] == ["table_defined", item["abstraction"]["style"]]
    assert item["license"] in labels
    # The abstract header of the question is highlighted, its keyword marked.
    keyword = item["keywords"][0]["abstract"]
    marked = card.locator("th.abstract mark").all_inner_texts()
    assert keyword in marked
    table = tables[item["table_id"]]
    assert len(marked) == len(table["abstract_headers"])
    # The evidence cell holds the answer.
    assert card.locator("td.evidence").all_inner_texts() == [item["answer"]["text"]]
    page.fill("#f-text", "")


def test_text_item_shows_its_evidence_span(page_and_items):
    page, items, _ = page_and_items
    item = next(i for i in items if i["answer_location"] == "text")
    page.select_option("#f-location", "text")
    card = page.locator(f"div.item[data-id='{item['item_id']}']")
    span = next(s for s in item["evidence"]["spans"] if s["role"] == "answer")
    assert card.locator(".spans mark").inner_text() == span["text"]
    assert card.locator("table.grid").count() == 0
    page.select_option("#f-location", "")


# Each payload would run a script or hide the items if the page pasted data as HTML.
HOSTILE = ['<img src=x onerror="window.__pwned = 1">', "<!-- <script>", "<script>",
       "</script><script>window.__pwned = 2</script>", "a\u2028b\u2029c & &amp; __DATA__"]
NAME = '__DATA__ </title><script>window.__pwned = 3</script> & "q"'


def test_no_name_or_cell_can_break_out_of_the_page(html_work, browser, tmp_path):
    """A dataset name holding the data placeholder and PDF text holding markup: every item
    renders, as the text it is, and no script from the data runs."""
    work = tmp_path / "w"
    shutil.copytree(html_work, work)
    items_path = work / "assemble" / "items.jsonl"
    items = [json.loads(line) for line in items_path.read_text().splitlines()]
    table_items = [i for i in items if i["table_id"]]
    for item, payload in zip(table_items, HOSTILE, strict=False):
        item["question"] = f"{payload} {item['question']}"
    items_path.write_text("".join(json.dumps(i) + "\n" for i in items))
    # The same payloads in the table cells an item shows (not its evidence cells: an answer
    # must stay grounded) and in the caption.
    tables_path = work / "assemble" / "tables.jsonl"
    tables = [json.loads(line) for line in tables_path.read_text().splitlines()]
    target = next(t for t in tables if t["table_id"] == table_items[0]["table_id"])
    evidence = {tuple(c) for i in items if i["table_id"] == target["table_id"]
                for c in i["evidence"]["cells"]}
    # A table's cells are its truth and its rows a view of them: edit both, on plain cells.
    plain = {(c["row"], c["col"]): c for c in target["cells"]
             if c["row"] >= target["n_header_rows"] and c["row_span"] == c["col_span"] == 1}
    free = [key for key in sorted(plain) if key not in evidence]
    for (r, c), payload in zip(free, HOSTILE, strict=False):
        plain[r, c]["text"] = payload
        target["rows"][r - target["n_header_rows"]][c] = payload
    target["caption"] = HOSTILE[1] + HOSTILE[0]
    tables_path.write_text("".join(json.dumps(t) + "\n" for t in tables))
    out = tmp_path / "rel"
    result = CliRunner().invoke(cli, ["release", str(work), "-o", str(out), "--no-figures",
                                      "--name", NAME], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    released = [r for p in sorted((out / "items").glob("*.parquet"))
                for r in pq.read_table(p).to_pylist()]
    page = browser.new_page()
    errors, console = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: console.append(m.text))
    page.goto((out / "browse.html").as_uri())
    n = len(released)
    assert page.inner_text("#count") == f"{n} of {n} items (showing 50)"
    assert page.title() == f"{NAME} — browse items"
    assert page.inner_text("h1") == NAME
    for payload in HOSTILE:
        page.fill("#f-text", payload)
        hits = [r for r in released if payload.lower() in r["question"].lower()]
        assert hits, payload
        hits.sort(key=lambda r: r["answer_location"] not in ABSTRACT)  # the page's order
        assert page.locator("div.item .q").all_inner_texts() == [r["question"] for r in hits]
    page.fill("#f-text", "")
    page.select_option("#f-location", table_items[0]["answer_location"])
    card = page.locator(f"div.item[data-id='{table_items[0]['item_id']}']")
    cells = card.locator("table.grid td").all_inner_texts()
    assert [p for p in HOSTILE if p in cells] == HOSTILE[:len(free)]
    assert card.locator(".caption").inner_text() == HOSTILE[1] + HOSTILE[0]
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0
    assert errors == [] and console == []
    page.close()


# -- issue 21: opens on the abstract-table items, PDF and twin links, origin/difficulty ------

ABSTRACT = {"table_defined", "table_implicit"}


def test_page_opens_on_the_abstract_table_items(page_and_items):
    page, items, _ = page_and_items
    n_abstract = sum(i["answer_location"] in ABSTRACT for i in items)
    assert n_abstract > 0
    shown = page.locator("div.item").evaluate_all("els => els.map(e => e.dataset.location)")
    first = shown[:min(50, n_abstract)]
    assert set(first) <= ABSTRACT and len(first) == min(50, n_abstract)


def test_filters_by_origin_and_difficulty(page_and_items):
    page, items, _ = page_and_items
    n = len(items)
    for select, key in (("#f-origin", "origin"), ("#f-difficulty", "difficulty")):
        for value, count in Counter(i[key] for i in items).items():
            page.select_option(select, value)
            assert _count(page).split(" (")[0] == f"{count} of {n} items"
            ids = page.locator("div.item").evaluate_all("els => els.map(e => e.dataset.id)")
            want = [i["item_id"] for i in items if i[key] == value]
            assert set(ids) <= set(want) and len(ids) == min(50, count)
        page.select_option(select, "")
    hard_controlled = sum(i["origin"] == "controlled" and i["difficulty"] == "hard"
                          for i in items)
    page.select_option("#f-origin", "controlled")
    page.select_option("#f-difficulty", "hard")
    assert _count(page) == f"{hard_controlled} of {n} items"
    assert page.url.endswith("#origin=controlled&difficulty=hard")
    page.click("#f-clear")
    assert _count(page) == f"{n} of {n} items (showing 50)"


def test_item_links_to_its_pdf_page_and_to_its_twin(page_and_items):
    page, items, tables = page_and_items
    by_pair = {}
    for i in items:
        if i["pair_id"]:
            by_pair.setdefault(i["pair_id"], []).append(i)
    item = next(i for i in items if i["answer_location"] == "table_defined"
                and len(by_pair.get(i["pair_id"], [])) == 2)
    twin = next(t for t in by_pair[item["pair_id"]] if t["item_id"] != item["item_id"])
    assert twin["answer_location"] == "table_clear"
    page.fill("#f-text", item["question"])
    card = page.locator(f"div.item[data-id='{item['item_id']}']")
    pdf = card.locator("a.pdf")
    page_no = tables[item["table_id"]]["pages"][0]
    assert pdf.get_attribute("href") == f"pdfs/{item['doc_id']}.pdf#page={page_no}"
    assert pdf.inner_text() == f"PDF, page {page_no}"
    # The link resolves to the PDF the release ships.
    target = page.evaluate("h => new URL(h, location.href).pathname", pdf.get_attribute("href"))
    assert target.endswith(f"/pdfs/{item['doc_id']}.pdf")
    link = card.locator("a.twin")
    assert (link.inner_text(), link.get_attribute("data-twin")) == ("clear twin", twin["item_id"])
    link.click()
    shown = page.locator("div.item")
    assert shown.evaluate_all("els => els.map(e => e.dataset.id)") == [twin["item_id"]]
    assert _count(page) == f"1 of {len(items)} items"
    assert page.input_value("#f-text") == ""
    back = shown.locator("a.twin")
    assert (back.inner_text(), back.get_attribute("data-twin")) == ("abstract twin",
                                                                    item["item_id"])
    page.click("#f-clear")


def test_text_item_links_to_the_page_of_its_sentence(page_and_items, html_work):
    page, items, _ = page_and_items
    from abstab.records import Document
    from abstab.store import StageDir

    docs = {d.doc_id: d for d in StageDir(html_work, "extract", ()).read("documents", Document)}
    item = next(i for i in items if i["answer_location"] == "text")
    span = next(s for s in item["evidence"]["spans"] if s["role"] == "answer")
    want = next(b.page for b in docs[item["doc_id"]].blocks if b.block_id == span["block_id"])
    page.fill("#f-text", item["question"])
    card = page.locator(f"div.item[data-id='{item['item_id']}']")
    assert card.locator("a.pdf").get_attribute("href") == \
        f"pdfs/{item['doc_id']}.pdf#page={want}"
    page.fill("#f-text", "")


def test_page_is_titled_with_the_dataset_name(html_work, browser, tmp_path):
    out = tmp_path / "rel"
    result = CliRunner().invoke(cli, ["release", str(html_work), "-o", str(out), "--no-figures",
                                      "--name", "Council tables"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = browser.new_page()
    page.goto((out / "browse.html").as_uri())
    assert (page.title(), page.inner_text("h1")) == ("Council tables — browse items",
                                                    "Council tables")
    page.close()
