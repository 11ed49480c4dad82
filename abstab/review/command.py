"""What ``abstab review WORK`` does with its flags (the click command in abstab.cli is thin)."""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Callable
from pathlib import Path

from abstab.decisions import decisions_path, read_decisions
from abstab.errors import ConfigError
from abstab.review.decisions import export_units, import_units
from abstab.review.report import build_report, format_report
from abstab.review.workspace import ReviewWorkspace


def default_reviewer() -> str:
    """The OS user's name (``reviewer`` where there is none)."""
    try:
        return getpass.getuser() or "reviewer"
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return "reviewer"


def check_reviewer(name: str) -> str:
    if not 1 <= len(name) <= 100 or re.search(r"[\x00-\x1f\x7f]", name):
        raise ConfigError(f"--reviewer {name!r}: give a name of 1 to 100 characters without "
                          f"control characters")
    return name


def run_review(work: Path, *, port: int, reviewer: str | None, export: Path | None,
               import_: Path | None, report: bool, as_json: bool,
               echo: Callable[[str], None]) -> None:
    """Serve the review page, or export, import or report (one of them)."""
    chosen = [flag for flag, on in (("--export", export), ("--import", import_),
                                    ("--report", report)) if on]
    if len(chosen) > 1:
        raise ConfigError(f"{' and '.join(chosen)} do different things: give one of them")
    if as_json and not report:
        raise ConfigError("--json goes with --report")
    who = check_reviewer(reviewer if reviewer is not None else default_reviewer())
    ws = ReviewWorkspace(work)
    if export is not None:
        n = export_units(ws, export)
        echo(f"wrote {n} units to {export}: set decision (accept, reject, edit) and value, then "
             f"`abstab review {work} --import {export}`")
    elif import_ is not None:
        result = import_units(ws, import_, who)
        echo(f"imported {result.decided} decision(s) by {who} into {decisions_path(work)} "
             f"({result.undecided} unit(s) left undecided)")
    elif report:
        rep = build_report(ws, read_decisions(decisions_path(work)))
        echo(json.dumps(rep, ensure_ascii=False) if as_json else format_report(rep))
    else:
        serve(work, port, who, echo)


def serve(work: Path, port: int, reviewer: str, echo: Callable[[str], None]) -> None:
    """Serve until Ctrl-C."""
    from abstab.review.server import make_server, url_of

    try:
        server = make_server(work, reviewer, port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): choose another "
                          f"--port, or --port 0 for a free one") from None
    echo(f"abstab review of {work} as {reviewer}: open {url_of(server)}  (Ctrl-C stops; "
         f"decisions go to {decisions_path(work)})")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        echo("stopped; every decision made is saved")
    finally:
        server.server_close()
