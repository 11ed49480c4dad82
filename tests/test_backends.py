"""The backend contract: one base class, chosen by one registry call, settings it lacks refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from abstab.backends import Backend, build_backend
from abstab.cli import cli
from abstab.errors import ConfigError
from abstab.registry import Registry, backends


def test_every_registered_backend_is_a_backend_with_settings() -> None:
    assert {n: (issubclass(backends.get(n), Backend), backends.get(n).settings_cls.__name__)
            for n in backends.names()} == {"rules": (True, "RulesSettings"),
                                           "openai": (True, "LLMSettings"),
                                           "local": (True, "LocalSettings")}


def test_a_registry_with_base_cls_refuses_a_class_that_is_not_one() -> None:
    reg: Registry[type] = Registry("backend", base_cls="abstab.backends:Backend")
    reg.add("odd", "abstab.config:Pipeline")
    with pytest.raises(ConfigError) as err:
        reg.get("odd")
    assert str(err.value) == ("backend 'odd' (abstab.config:Pipeline) is not a subclass of "
                              "abstab.backends:Backend: derive it from that class")


def test_a_flag_the_rules_backend_does_not_use_is_an_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["judge", str(tmp_path / "w"), "--temperature", "1.5"],
                             catch_exceptions=False)
    assert (res.exit_code, res.output) == (
        2, "Error: the rules backend has no setting temperature; it is used by local, openai\n")
    assert not (tmp_path / "w").exists()


def test_pipeline_backend_settings_the_backend_lacks_are_an_error(tmp_path: Path) -> None:
    pipe = tmp_path / "p.yaml"
    pipe.write_text("name: t\ninputs: [pdfs]\nbackend_settings: {n_ctx: 2048}\n",
                    encoding="utf-8")
    res = CliRunner().invoke(cli, ["synth", "-p", str(pipe), "-o", str(tmp_path / "w")],
                             catch_exceptions=False)
    assert (res.exit_code, res.output) == (
        2, "Error: the rules backend has no setting n_ctx; it is used by local\n")
    assert not (tmp_path / "w").exists()


def test_a_local_server_flag_is_an_error_for_the_openai_backend(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["judge", str(tmp_path / "w"), "-b", "openai", "--api-key", "k",
                                   "--n-ctx", "2048"], catch_exceptions=False)
    assert (res.exit_code, res.output) == (
        2, "Error: the openai backend has no setting n_ctx; it is used by local\n")
    assert not (tmp_path / "w").exists()


def test_a_backend_is_constructed_from_resolved_settings_only() -> None:
    from abstab.llm.backend import OpenAIBackend
    from abstab.llm.prompts import load_prompt

    with pytest.raises(TypeError) as err:
        OpenAIBackend({"model": "m"})  # type: ignore[arg-type]
    assert str(err.value) == ("OpenAIBackend takes a LLMSettings, not dict; from a dict use "
                              "OpenAIBackend.from_settings")
    b = build_backend("openai", {"model": "m", "api_key": "k", "base_url": "http://u:pw@h/v1/",
                                 "no_cache": True})
    assert (b.identity.backend, b.identity.model, b.identity.endpoint) == ("openai", "m",
                                                                           "http://h/v1")
    assert b.provenance("judge") == {"backend": "openai", "model": "m",
                                     "prompt_hash": load_prompt("judge").hash}
    b.close()


def test_an_unknown_llm_setting_names_the_settings_there_are() -> None:
    with pytest.raises(ConfigError, match=r"^the openai backend has no setting tempreature; its "
                                          r"settings are: api_key, base_url, cache_path, "):
        build_backend("openai", {"tempreature": 1})


def test_the_local_backend_reads_a_gguf_model_as_its_file() -> None:
    from abstab.llm.backend import LocalBackend

    s = LocalBackend.build_settings({"model": "/models/m.gguf", "n_ctx": 2048}, None)
    assert (s.gguf, s.model, s.n_ctx) == (Path("/models/m.gguf"), None, 2048)
    s = build_backend("openai", {"model": "m.gguf", "api_key": "k"}).settings
    assert (type(s).__name__, s.model) == ("LLMSettings", "m.gguf")


def test_bench_flags_meant_for_services_do_not_reach_the_rules_backend() -> None:
    assert build_backend("rules", {"concurrency": 8},
                         used_elsewhere={"concurrency"}).settings.model_dump() == {}


def _wtq(tmp_path: Path) -> Path:
    (tmp_path / "wtq" / "csv" / "200-csv").mkdir(parents=True)
    (tmp_path / "wtq" / "csv" / "200-csv" / "0.csv").write_text("Nation,Gold\nItaly,5\n",
                                                                 encoding="utf-8")
    (tmp_path / "wtq" / "questions.tsv").write_text(
        "id\tutterance\tcontext\ttargetValue\n"
        "nu-1\thow many gold medals did italy win?\tcsv/200-csv/0.csv\t5\n", encoding="utf-8")
    return tmp_path / "wtq"


@pytest.mark.parametrize("flags, setting", [
    (["--temperature", "1.5"], "temperature"),
    (["--request-timeout", "5"], "timeout"),  # -s http would use it; -s rag does not
])
def test_a_bench_flag_neither_the_backend_nor_a_system_uses_is_an_error(
        tmp_path: Path, flags: list[str], setting: str) -> None:
    out = tmp_path / "bench"
    res = CliRunner().invoke(cli, ["bench", str(_wtq(tmp_path)), "-s", "rag", "-b", "rules",
                                   "-o", str(out), *flags], catch_exceptions=False)
    assert (res.exit_code, res.output) == (
        2, f"Error: the rules backend has no setting {setting}; it is used by local, openai\n")
    assert not out.exists()


def test_bench_flags_a_system_of_the_run_uses_are_no_error(tmp_path: Path) -> None:
    # The http system takes --request-timeout and --concurrency; the rules backend lacks them.
    # (Without --url the run stops at the system, after the flags were accepted.)
    res = CliRunner().invoke(cli, ["bench", str(_wtq(tmp_path)), "-s", "http", "-b", "rules",
                                   "-o", str(tmp_path / "bench"), "--request-timeout", "5",
                                   "--concurrency", "2"], catch_exceptions=False)
    assert (res.exit_code, res.output) == (
        2, "Error: system 'http' needs the service's address: --url http://HOST:PORT/PATH\n")
