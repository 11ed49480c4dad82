import subprocess
import sys

import pytest

from abstab.errors import UnknownNameError
from abstab.registry import Registry, backends, engines, metrics, stages, systems


def test_lazy_target_and_did_you_mean():
    reg: Registry = Registry("widget")
    reg.add("json-lines", "json:dumps", help="h", aliases=("jsonl",), fast=True)
    assert reg.get("jsonl") is __import__("json").dumps
    assert reg.meta("json-lines") == {"fast": True}
    with pytest.raises(UnknownNameError, match=r"unknown widget 'json-line'\. Did you mean 'json-lines'\?"):
        reg.get("json-line")
    with pytest.raises(ValueError, match="already registered"):
        reg.add("json-lines", "json:loads")


def test_catalog_names():
    assert systems.names() == ["closed-book", "http", "hybrid", "oracle", "predictions", "rag",
                              "table"]
    assert backends.names() == ["local", "openai", "rules"]
    assert stages.names() == ["assemble", "controlled", "extract", "generate", "ingest", "judge",
                              "resolve"]
    assert "pymupdf" in engines
    assert metrics.meta("correct") == {"higher_is_better": True, "aggregation": "mean"}
    with pytest.raises(UnknownNameError, match="Did you mean 'hybrid'"):
        systems.get("hybird")


def test_every_catalog_target_imports():
    for reg in (systems, backends, stages, metrics):
        for name in reg:
            assert reg.get(name) is not None


def test_cli_start_imports_nothing_heavy():
    code = ("import sys, abstab.cli; heavy = {'fitz', 'pymupdf', 'torch', 'openai', 'bm25s', "
            "'numpy', 'camelot', 'sentence_transformers', 'wordfreq'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
