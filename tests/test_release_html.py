"""browse.html of a release, opened in headless Chromium (Debian's, driven by playwright):
what it shows, and its filters by answer location and style."""

import os
import shutil
from collections import Counter

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from conftest import SAMPLE_PDFS, SAMPLE_PIPELINE

from abstab.cli import cli
from abstab.release.build import ReleaseSettings, build_release

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def page_and_items(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    tmp = tmp_path_factory.mktemp("html")
    pipe = yaml.safe_load(SAMPLE_PIPELINE.read_text())
    pipe["inputs"] = [str(SAMPLE_PDFS)]
    pipe["stages"].setdefault("resolve", {})["retriever"] = "bm25"
    pipe["stages"].setdefault("assemble", {})["dedup"] = "text"
    (tmp / "p.yaml").write_text(yaml.safe_dump(pipe))
    result = CliRunner().invoke(cli, ["synth", "-p", str(tmp / "p.yaml"), "-o", str(tmp / "w")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = tmp / "rel"
    build_release(tmp / "w", out, ReleaseSettings(figures=False))
    items = [r for p in sorted((out / "items").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    tables = {r["table_id"]: r for p in (out / "tables").glob("*.parquet")
              for r in pq.read_table(p).to_pylist()}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto((out / "browse.html").as_uri())
        yield page, items, tables
        browser.close()


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
