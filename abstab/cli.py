"""The ``abstab`` command line. Commands are thin: flags → settings → library call
(:mod:`abstab.api`, the same functions a notebook calls).

Exit codes: 0 done, 1 done with per-item errors (see each stage's errors.jsonl),
2 usage or configuration error, 70 a crash (a bug in abstab: report it).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from abstab import __version__
from abstab.errors import AbstabError

EX_SOFTWARE = 70  # sysexits.h: an internal software error, distinct from 1 and 2
CRASH_HINT = ("abstab crashed: this is a bug in abstab, not in your input. Please report it "
              "with the command you ran, `abstab --version` and the traceback above "
              "(ABSTAB_RAISE_ERRORS=1 re-raises it).")


def _handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Show AbstabError messages as usage errors (exit 2, or the error's own ``exit_code``)
    instead of tracebacks; an unexpected exception is a crash: traceback, how to report it,
    exit 70."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AbstabError as exc:
            if os.environ.get("ABSTAB_RAISE_ERRORS"):
                raise
            click.echo(f"Error: {exc}", err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (see _terminate)
            click.echo("Interrupted. Finished items are kept; run the same command again to "
                       "resume.", err=True)
            sys.exit(128 + getattr(exc, "signum", 2))
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception:
            # Under pytest the traceback goes to the test, as with ABSTAB_RAISE_ERRORS.
            if os.environ.get("ABSTAB_RAISE_ERRORS") or os.environ.get("PYTEST_CURRENT_TEST"):
                raise
            import traceback

            traceback.print_exc()
            click.echo(CRASH_HINT, err=True)
            sys.exit(EX_SOFTWARE)

    return wrapper


def _complete(registry_name: str) -> Callable[..., list[Any]]:
    """Shell completion of an option from a registry's names (``abstab <kind> list``)."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from abstab import registry

        module, _, attr = registry_name.rpartition(":")
        reg = getattr(__import__(module, fromlist=[attr]) if module else registry, attr)
        return [CompletionItem(n, help=reg.help(n)) for n in reg if n.startswith(incomplete)]

    return complete


# Flag → LLMSettings field. Flags not given keep the pipeline's value, then the defaults.
_LLM_FLAGS: list[tuple[tuple[str, ...], str, dict[str, Any]]] = [
    (("-m", "--model"), "model", {"help": "Model name; for the local backend a GGUF path "
                                   "(else ABSTAB_MODEL)."}),
    (("--base-url",), "base_url", {"help": "OpenAI-compatible endpoint (else OPENAI_BASE_URL)."}),
    (("--api-key",), "api_key", {"help": "API key (else OPENAI_API_KEY)."}),
    (("--concurrency",), "concurrency", {"type": click.IntRange(1),
                                         "help": "LLM calls in flight at once."}),
    (("--temperature",), "temperature", {"type": click.FloatRange(0, 2)}),
    (("--seed",), "seed", {"type": int}),
    (("--max-tokens",), "max_tokens", {"type": click.IntRange(1)}),
    (("--request-timeout",), "timeout", {"type": click.FloatRange(min=0, min_open=True),
                                         "help": "Seconds per LLM request, in all."}),
    (("--max-retries",), "max_retries", {"type": click.IntRange(0)}),
    (("--max-reply-bytes",), "max_reply_bytes",
     {"type": click.IntRange(1024), "help": "Largest LLM reply read (default 1 MiB)."}),
    (("--response-format",), "response_format",
     {"type": click.Choice(["json_schema", "json_object", "none"]),
      "help": "How the JSON Schema is sent (llama.cpp servers take json_object)."}),
    (("--cache",), "cache_path", {"type": click.Path(dir_okay=False),
                                  "help": "SQLite response cache (default WORK/.cache/llm.sqlite)."}),
    (("--no-cache",), "no_cache", {"is_flag": True, "default": None}),
    (("--n-threads",), "n_threads", {"type": click.IntRange(1), "help": "llama.cpp threads."}),
    (("--n-ctx",), "n_ctx", {"type": click.IntRange(256), "help": "llama.cpp context size."}),
]


def backend_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options choosing and configuring the backend; they reach the command as ``llm``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        llm = {field: kwargs.pop(field) for _, field, _ in _LLM_FLAGS}
        llm = {k: v for k, v in llm.items() if v is not None}
        return fn(*args, llm=llm, **kwargs)

    for decls, field, extra in reversed(_LLM_FLAGS):
        wrapper = click.option(*decls, field, default=extra.pop("default", None),
                               **extra)(wrapper)
    return click.option("-b", "--backend", default=None, envvar="ABSTAB_BACKEND",
                        show_envvar=True, shell_complete=_complete("backends"), help="Backend: rules (default, offline), local, openai. "
                             "See `abstab backends list`.")(wrapper)


def _echo_report(r: Any, work: Path) -> None:
    """One stage's summary, printed as soon as the stage ends."""
    s = r.stats
    dropped = sum(s.get("dropped", {}).values()) if s else 0
    line = (f"{r.stage:<9} {r.status:<10} in {s.get('in', 0):>4}  kept {s.get('kept', 0):>4}  "
            f"dropped {dropped:>3}")
    if r.status == "ran":
        line += f"  {r.seconds:6.1f}s"
        if r.redone_units:
            line += (f"  (redid {r.redone_units} unit(s) the review changed, kept "
                     f"{r.resumed_units})")
        elif r.retried_units:
            line += f"  (retried {r.retried_units} failed unit(s), kept {r.resumed_units})"
        elif r.resumed_units:
            line += f"  (resumed after {r.resumed_units} done units)"
    click.echo(line)
    for extra in r.lines:
        click.echo(f"{'':<10}{extra}")
    llm = (s or {}).get("llm")
    if llm and llm.get("line"):
        click.echo(f"{'':<10}{llm['line']}")
    if r.failures:
        click.echo(f"{'':<10}{r.failures} item(s) failed: see {work / r.stage / 'errors.jsonl'}")


def _run_stages(work: Path, plan: list[tuple[str, Any]], backend_name: str,
                backend_settings: dict[str, Any], force: bool) -> None:
    """:func:`abstab.api.run_stages`, each stage's summary printed when it ends; exit 1 when
    items failed."""
    from abstab.api import run_stages

    reports = run_stages(work, plan, backend_name, backend_settings, force=force,
                         executor=_executor(), on_stage=lambda r: _echo_report(r, work))
    if any(r.failures for r in reports):
        sys.exit(1)


ENVIRONMENT = """\b
Environment:
  ABSTAB_BACKEND       backend when -b is not given (rules, local, openai)
  ABSTAB_EXECUTOR      executor when --executor is not given (local, ray)
  ABSTAB_MODEL         model when -m is not given (openai backend)
  ABSTAB_REVIEWER      reviewer name for abstab review (default: the OS user)
  ABSTAB_RAISE_ERRORS  1: show the traceback of errors instead of a message
  ABSTAB_LLM_SHOW_RESPONSES  1: print each LLM request and reply to stderr
  OPENAI_BASE_URL, OPENAI_API_KEY, RAY_ADDRESS  as --base-url, --api-key, --ray-address
\b
Shell completion (bash; zsh_source, fish_source likewise):
  eval "$(_ABSTAB_COMPLETE=bash_source abstab)"
\b
Exit codes: 0 done, 1 done with per-item errors, 2 usage or configuration error,
70 a crash (a bug: please report it)."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=ENVIRONMENT)
@click.version_option(__version__, prog_name="abstab")
def cli() -> None:
    """abstab: benchmarks of QA over report tables whose headers are codes, acronyms,
    shortened names or symbols that only the document explains.

    \b
    Pipeline:  extract → judge → resolve → generate → assemble → bench
    One go:    abstab synth -p sample -o WORK
    Python:    import abstab; abstab.synth("sample", "WORK"); abstab.bench("WORK")
    """


work_arg = click.argument("work", type=click.Path(file_okay=False, path_type=Path))
force_opt = click.option("--force", is_flag=True, help="Redo the stage even if it is done.")


def executor_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--executor`` and ``--ray-address``; the choice is kept in the click context."""

    @functools.wraps(fn)
    def wrapper(*args: Any, executor: str, ray_address: str | None, **kwargs: Any) -> Any:
        click.get_current_context().meta["abstab.executor"] = (executor, ray_address)
        return fn(*args, **kwargs)

    wrapper = click.option("--ray-address", envvar="RAY_ADDRESS", default=None,
                           help="Ray cluster for --executor ray (else RAY_ADDRESS; without "
                                "either, Ray runs on this machine).")(wrapper)
    return click.option("--executor", default="local", envvar="ABSTAB_EXECUTOR",
                        show_default=True, show_envvar=True,
                        shell_complete=_complete("executors"),
                        help="Where units run: local or ray (see `abstab executors list`)."
                        )(wrapper)


def _executor() -> Any:
    """This command's executor, built once from --executor and closed with the command."""
    from abstab.registry import executors

    ctx = click.get_current_context(silent=True)
    meta: dict[str, Any] = ctx.meta if ctx is not None else {}
    ex = meta.get("abstab.executor.instance")
    if ex is None:
        name, address = meta.get("abstab.executor", ("local", None))
        ex = meta["abstab.executor.instance"] = executors.get(name)(address=address)
        if ctx is not None:
            ctx.call_on_close(ex.close)
    return ex


@cli.command()
@click.argument("pdfs", nargs=-1, required=True)
@click.option("-o", "--output", "work", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Workspace directory.")
@click.option("--engine", default=None, shell_complete=_complete("engines"),
              help="Extraction engine (see `abstab engines list`; default: the stage's).")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120.0,
              show_default=True, help="Seconds per PDF before its worker is stopped.")
@click.option("--files-per-worker", type=click.IntRange(0), default=10, show_default=True,
              help="PDFs a worker process reads before a fresh one replaces it (0: never).")
@click.option("--max-worker-memory", default=None, metavar="SIZE",
              help="Most memory one PDF's extraction may use, e.g. 2GiB, 512MiB (0: no "
                   "limit); a PDF that needs more is skipped as `memory`.  [default: 2GiB]")
@force_opt
@executor_options
@_handle_errors
def extract(pdfs: tuple[str, ...], work: Path, engine: str, workers: int, timeout: float,
            files_per_worker: int, max_worker_memory: str | None, force: bool) -> None:
    """Extract documents and tables from PDFS (files or folders) into WORK/extract."""
    settings = {"inputs": list(pdfs), "workers": workers, "timeout": timeout,
                "files_per_worker": files_per_worker}
    if engine:
        settings["engine"] = engine
    if max_worker_memory is not None:
        settings["max_worker_memory"] = max_worker_memory
    _run_stages(work, [("extract", settings)], "rules", {}, force)


def _stage_command(name: str, doc: str, with_backend: bool) -> None:
    """Add ``abstab NAME WORK`` running one stage (with backend flags when it calls one)."""

    def command(work: Path, force: bool, backend: str | None = None,
                llm: dict[str, Any] | None = None) -> None:
        _run_stages(work, [(name, {})], backend or "rules", llm or {}, force)

    command = _handle_errors(command)
    command = executor_options(command)
    command = force_opt(command)
    if with_backend:
        command = backend_options(command)
    cli.command(name=name, help=doc)(work_arg(command))


@cli.command()
@click.argument("data", nargs=-1, required=True)
@click.option("-o", "--output", "work", required=True,
              type=click.Path(file_okay=False, path_type=Path), help="Workspace directory.")
@click.option("-s", "--source", default="wtq", show_default=True,
              help="The dataset DATA holds: wtq or tatqa.")
@click.option("--limit", type=click.IntRange(1), default=None,
              help="Source tables used (picked by a seeded hash; default: all).")
@click.option("--pdf/--no-pdf", "render_pdf", default=True, show_default=True,
              help="Render each synthetic document as a PDF.")
@force_opt
@executor_options
@_handle_errors
def ingest(data: tuple[str, ...], work: Path, source: str, limit: int | None,
           render_pdf: bool, force: bool) -> None:
    """Turn a table-QA dataset (DATA: its folder or files) into clear and abstracted synthetic
    documents with their items, gold by construction, in WORK/ingest."""
    _run_stages(work, [("ingest", {"inputs": list(data), "source": source, "limit": limit,
                                   "render_pdf": render_pdf})], "rules", {}, force)


_stage_command("controlled", "Re-check every ingested item's evidence; pass those that hold "
               "to assemble.", with_backend=False)
_stage_command("judge", "Label each table clear, abstract or not a table; find its abstract "
               "headers.", with_backend=True)
_stage_command("resolve", "Find what each abstract header means, with evidence from the "
               "document.", with_backend=True)
_stage_command("generate", "Generate QA items (document tables and text, plus controlled "
               "abstraction).", with_backend=True)
_stage_command("assemble", "Validate, deduplicate and split the items by document into the "
               "dataset.", with_backend=False)


@cli.command()
@click.option("-p", "--pipeline", required=True,
              help="Pipeline YAML file, or the name of a shipped pipeline.")
@click.option("-o", "--output", "work", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.argument("pdfs", nargs=-1)
@backend_options
@force_opt
@executor_options
@_handle_errors
def synth(pipeline: str, work: Path, pdfs: tuple[str, ...], backend: str | None,
          llm: dict[str, Any], force: bool) -> None:
    """Run a pipeline file's stages (extract → judge → resolve → generate → assemble, or
    ingest → controlled → assemble), each after the stages whose records it reads.

    PDFS, when given, replace the pipeline's inputs (for a dataset pipeline such as
    pipelines/wtq.yaml: the dataset's folder or file).
    """
    from abstab.api import synth as run_synth

    reports = run_synth(pipeline, work, pdfs, backend=backend, force=force,
                        executor=_executor(), on_stage=lambda r: _echo_report(r, work), **llm)
    if any(r.failures for r in reports):
        sys.exit(1)


@cli.command()
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option("-s", "--system", "system_names", multiple=True,
              shell_complete=_complete("systems"),
              help="System(s) to score; repeat or comma-separate (see `abstab systems list`); "
                   "also path/to/file.py:function or package.module:function (your own "
                   "function), or http with --url.  [default: table, rag, hybrid, oracle, "
                   "closed-book]")
@click.option("--predictions", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Score answers made elsewhere: a JSONL file of item_id, answer "
                                 "(and optionally abstained, evidence).")
@click.option("--name", default=None,
              help="Name of your own system (--predictions, -s http, -s FILE.py:function) in "
                   "the results and its folder.")
@click.option("--url", default=None, help="The service of -s http: each item is POSTed to it "
                                          "as JSON.")
@click.option("--answer-format", type=click.Choice(["json", "text"]), default="json",
              show_default=True,
              help="How LLM readers answer: json (structured output) or text (prose; the last "
                   "'Answer:' line is read).")
@click.option("-f", "--format", "kind", default=None,
              help="Dataset kind: workspace, release, tatqa, wtq (default: detected).")
@click.option("-o", "--output", "out", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Bench folder (default: WORK/bench for a workspace, else ./bench-<name>).")
@click.option("--split", default=None, help="Score one split only (train, validation, test).")
@click.option("--limit", type=click.IntRange(1), default=None,
              help="Score only the first N items (a quick look).")
@click.option("-k", "--top-k", "k", type=click.IntRange(1), default=5, show_default=True,
              help="Passages retrieved per item.")
@click.option("--retriever", default=None,
              shell_complete=_complete("abstab.retrieval:rankers"),
              help="bm25, dense or hybrid (default: hybrid with the embed extra, else bm25).")
@click.option("--plots/--no-plots", default=True, show_default=True,
              help="Write PNG plots (needs the plot extra).")
@click.option("--tables-from", "tables_from", multiple=True, metavar="ENGINE|DIR",
              help="Also score every system over a parser's tables: an extraction engine "
                   "(abstab engines list) run on each document's PDF, or a folder of tables "
                   "(DIR/<doc_id>/page-<N>.md|.html, DIR/<doc_id>.json from docling); "
                   "repeatable. The gold-table run is scored too, for the drop.")
@backend_options
@force_opt
@executor_options
@_handle_errors
def bench(dataset: Path, system_names: tuple[str, ...], predictions: Path | None,
          name: str | None, url: str | None, answer_format: str, kind: str | None,
          out: Path | None, split: str | None, limit: int | None, k: int,
          retriever: str | None, plots: bool, tables_from: tuple[str, ...],
          backend: str | None, llm: dict[str, Any], force: bool) -> None:
    """Score systems on DATASET and print the leaderboard.

    DATASET is an abstab workspace, a release folder, or an external dataset: TAT-QA
    (tatqa_dataset_*.json, *.shared.json) or WikiTableQuestions (questions*.tsv beside csv/).
    An interrupted run continues where it stopped.
    """
    from abstab.api import bench as run_bench
    from abstab.bench.run import leaderboard

    res = run_bench(dataset, system_names, predictions=predictions, name=name, url=url,
                    answer_format=answer_format, kind=kind, out=out, split=split, limit=limit,
                    k=k, retriever=retriever, plots=plots, backend=backend, force=force,
                    executor=_executor(), tables_from=tables_from, **llm)
    data, results, reports, out = res.data, res.results, res.reports, res.out
    failures = res.failures
    click.echo(f"dataset: {data.kind} ({len(data.items)} items)   backend: {res.backend}"
               + (f"   split: {split}" if split else "") + "   metric: correct")
    if data.skipped:
        click.echo(f"{len(data.skipped)} example(s) of the dataset could not be read; "
                   f"first: {data.skipped[0][0]}: {data.skipped[0][1]}")
    for variant in res.parsed:
        for note in variant.parsed.notes if variant.parsed else ():
            click.echo(f"note: {note}")
    for note in results["notes"]:
        click.echo(f"note: {note}")
    for r in reports:
        for line in r.lines:
            click.echo(f"{r.stage}: {line}")
    click.echo(leaderboard(results))
    click.echo(f"\npredictions and scores: {out}/<system>-{res.backend}/   "
               f"results: {out / 'results.json'}")
    if plots and not results.get("plots"):
        from abstab.bench.plots import PLOT_HINT

        click.echo(PLOT_HINT)
    if failures:
        click.echo(f"{failures} item(s) failed: see {out}/*/errors.jsonl")
        sys.exit(1)


@cli.command()
@work_arg
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Release folder to write.")
@click.option("--name", default=None,
              help="Dataset name on the card and in croissant.json (default: WORK's folder "
                   "name, with a warning).")
@click.option("--homepage", default=None, metavar="URL",
              help="The dataset's home page: on the card and Croissant's url.")
@click.option("--repo-id", default=None, metavar="OWNER/NAME",
              help="The Hugging Face dataset repository it will be published as (the card's "
                   "loading example; Croissant's url when --homepage is not given).")
@click.option("--citation", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CITATION.cff or .bib file to cite the dataset by (default: "
                   "WORK/CITATION.cff, else an entry made from --name).")
@click.option("--card-fragment", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FILE.md",
              help="Your own markdown, merged into the card under its summary (the release "
                   "still validates: checksums are written after).")
@click.option("--language", "languages", multiple=True, default=("en",), show_default=True,
              help="Language code of the documents and questions (ISO 639-1); repeatable.")
@click.option("--license", "licenses", multiple=True, metavar="GLOB=SPDX",
              help="License of the documents whose source path matches GLOB, e.g. "
                   "'*/govreports/*=CC-BY-4.0'; repeatable.")
@click.option("--pdfs/--no-pdfs", default=True, show_default=True,
              help="Copy the PDFs whose license allows it.")
@click.option("--figures/--no-figures", default=True, show_default=True,
              help="Draw PNG figures (needs matplotlib).")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@_handle_errors
def release(work: Path, output: Path, name: str | None, homepage: str | None,
            repo_id: str | None, citation: Path | None, card_fragment: Path | None,
            languages: tuple[str, ...], licenses: tuple[str, ...], pdfs: bool,
            figures: bool, force: bool) -> None:
    """Package the assembled items of WORK as a dataset release (Hugging Face datasets
    layout, card, schemas, Croissant, checksums, figures, browse.html), then validate it."""
    from abstab.release import RELEASE_NEEDS, require

    require("abstab release", RELEASE_NEEDS)
    from abstab.release.build import ReleaseSettings, build_release
    from abstab.release.validate import validate_release

    settings = ReleaseSettings(name=name, homepage=homepage, repo_id=repo_id,
                               citation=citation, card_fragment=card_fragment,
                               languages=list(languages), licenses=list(licenses), pdfs=pdfs,
                               figures=figures)
    rep = build_release(work, output, settings, force=force)
    for m in rep.messages:
        click.echo(m)
    rows = ", ".join(f"{sum(v.values())} {k}" for k, v in rep.counts.items())
    click.echo(f"released {rows} to {rep.path} ({rep.bytes / 1e6:.2f} MB, {rep.seconds:.1f}s)")
    check = validate_release(rep.path)
    for p in check.problems:
        click.echo(str(p))
    click.echo("validate: ok" if check.ok else f"validate: {len(check.problems)} problem(s)")
    if rep.failures or not check.ok:
        sys.exit(1)


@cli.command(name="validate")
@click.argument("release_dir", metavar="RELEASE",
                type=click.Path(file_okay=False, path_type=Path))
@_handle_errors
def validate_cmd(release_dir: Path) -> None:
    """Check a release: schema, checksums, splits by document, ids, answer grounding and
    card/data agreement. Exit 1 when anything is wrong."""
    from abstab.release import VALIDATE_NEEDS, require

    require("abstab validate", VALIDATE_NEEDS)
    from abstab.release.validate import validate_release

    rep = validate_release(release_dir)
    for p in rep.problems:
        click.echo(str(p))
    for n in rep.notes:
        click.echo(f"note: {n}")
    rows = ", ".join(f"{v} {k}" for k, v in rep.rows.items())
    if rep.ok:
        click.echo(f"{release_dir}: ok ({rows})")
    else:
        click.echo(f"{release_dir}: {len(rep.problems)} problem(s) ({rows})")
        sys.exit(1)


@cli.command()
@work_arg
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: a free one).")
@click.option("--reviewer", envvar="ABSTAB_REVIEWER", help="Who decides (default: the OS user).")
@click.option("--export", "export_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every unit to decide to FILE (JSON lines) instead of serving.")
@click.option("--import", "import_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Take the decisions of FILE (as --export wrote it, decided).")
@click.option("--report", is_flag=True, help="Score the judge, resolver and items against the "
              "decisions; Cohen's kappa between reviewers.")
@click.option("--json", "as_json", is_flag=True, help="With --report: one JSON object.")
@_handle_errors
def review(work: Path, port: int, reviewer: str | None, export_file: Path | None,
           import_file: Path | None, report: bool, as_json: bool) -> None:
    """Check and correct the machine's tables, abstract headers, meanings and items on a local
    page (127.0.0.1), by keyboard; decisions go to WORK/review/decisions.jsonl."""
    from abstab.review.command import run_review

    run_review(work, port=port, reviewer=reviewer, export=export_file, import_=import_file,
               report=report, as_json=as_json, echo=click.echo)


@cli.group()
def export() -> None:
    """Write workspace records in other tools' formats, or a dataset's items as inputs."""


@export.command(name="icdar")
@work_arg
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON file to write.")
@_handle_errors
def export_icdar(work: Path, output: Path) -> None:
    """Extracted tables in the ICDAR-2013 evaluation format (bbox in PyMuPDF coordinates)."""
    import json

    from abstab.export import icdar_predictions

    preds = icdar_predictions(work)
    output.write_text(json.dumps(preds, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"{len(preds)} table regions written to {output}")


@export.command(name="lm-eval")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the task (then: lm_eval --include_path OUTPUT --tasks abstab).")
@click.option("--split", default=None, help="Export one split only (train, validation, test).")
@_handle_errors
def export_lm_eval(dataset: Path, output: Path, split: str | None) -> None:
    """DATASET (a release or workspace) as an lm-evaluation-harness task scored by abstab's
    metrics."""
    from abstab.export import LM_EVAL_TASK, lm_eval_task

    n = lm_eval_task(dataset, output, split)
    click.echo(f"{n} items written to {output}: lm_eval --include_path {output} "
               f"--tasks {LM_EVAL_TASK} --model ...")


@export.command(name="items")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL file to write, one item per line.")
@click.option("-f", "--format", "kind", default=None,
              help="Dataset kind: workspace, release, tatqa, wtq (default: detected).")
@click.option("--split", default=None, help="Only this split (train, validation, test).")
@_handle_errors
def export_items(dataset: Path, output: Path, kind: str | None, split: str | None) -> None:
    """The inputs your own system needs: one JSON object per item, the same fields a
    `-s FILE.py:function` or `-s http` system receives (no gold answers)."""
    import json

    from abstab.export import item_inputs

    rows = item_inputs(dataset, kind, split)
    with output.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    click.echo(f"{len(rows)} items written to {output}")


def _list_command(group: click.Group, registry_name: str, what: str) -> None:
    @group.command(name="list", help=f"List the registered {what}.")
    def _list() -> None:
        from abstab import registry

        reg = getattr(registry, registry_name)
        for name in reg:
            click.echo(f"{name:<14} {reg.help(name)}")


for _name, _what in (("systems", "systems"), ("backends", "backends"),
                     ("engines", "extraction engines"), ("metrics", "metrics"),
                     ("stages", "stages"), ("executors", "executors")):
    _group = click.Group(name=_name, help=f"The registered {_what}.")
    cli.add_command(_group)
    _list_command(_group, _name, _what)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread: the same orderly stop as Ctrl-C, exit 143."""

    signum = 15


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated  # unwinds, so requests in flight, pools and local servers are stopped


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    cli()
