"""Which license each document of a release is under, and whether it may be redistributed.

A document's license comes from, in order: a ``license`` the record itself carries (sources
that know their license set it), the user's ``--license GLOB=SPDX`` rules, then the shipped
table of known sources (``licenses.yaml``). A document whose license is unknown or forbids
redistribution is left out of the release, with a message saying how to declare it.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePath
from typing import Any

import yaml

from abstab.errors import ConfigError


@dataclass(frozen=True)
class License:
    spdx: str
    redistribute: bool
    hf: str  # the Hugging Face card's license id
    url: str | None


@dataclass(frozen=True)
class SourceRule:
    name: str
    patterns: tuple[str, ...]
    license: str
    note: str = ""

    def matches(self, source: str) -> bool:
        path = source.replace("\\", "/").lower()
        return any(fnmatch.fnmatchcase(path, p.lower()) for p in self.patterns)


@dataclass(frozen=True)
class Licensed:
    """The outcome for one document: its source name and license, or why it is left out."""

    source: str
    license: License | None
    note: str = ""
    problem: str | None = None


@cache
def _table() -> dict[str, Any]:
    text = resources.files("abstab.release").joinpath("licenses.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def known_licenses() -> dict[str, License]:
    return {k: License(k, bool(v["redistribute"]), v["hf"], v.get("url"))
            for k, v in _table()["licenses"].items()}


def normalize_license(name: str, known: dict[str, License]) -> str:
    """``CC BY-SA 4.0`` (as a SOURCES.md writes it) → ``CC-BY-SA-4.0`` (its SPDX id)."""
    key = re.sub(r"[\s_]+", "-", name.strip()).upper()
    return next((k for k in known if k.upper() == key), name)


def _rule(entry: dict[str, Any]) -> SourceRule:
    match = entry["match"]
    return SourceRule(entry["name"], tuple([match] if isinstance(match, str) else match),
                      entry["license"], entry.get("note", ""))


def parse_license_option(option: str) -> SourceRule:
    """``GLOB=SPDX`` (from ``--license``) → a rule; the source is named after the glob."""
    glob, sep, spdx = option.rpartition("=")
    if not sep or not glob or not spdx:
        raise ConfigError(f"--license {option!r}: expected GLOB=SPDX, e.g. "
                          "--license '*/govreports/*=CC-BY-4.0'")
    known = known_licenses()
    if spdx not in known:
        raise ConfigError(f"--license {option!r}: unknown license {spdx!r}; known: "
                          f"{', '.join(sorted(known))}")
    name = PurePath(glob.strip("*/")).name or glob
    return SourceRule(name.strip("*") or glob, (glob,), spdx, "declared with --license")


class LicenseResolver:
    """Finds each document's source and license (see the module docstring).

    Args:
        options: the user's ``GLOB=SPDX`` rules, tried first.
    """

    def __init__(self, options: list[str] | tuple[str, ...] = ()):
        self.licenses = known_licenses()
        self.rules = [parse_license_option(o) for o in options] + [
            _rule(e) for e in _table()["sources"]]

    def resolve(self, source_path: str, record_license: str | None = None,
                record_source: str | None = None) -> Licensed:
        """Args: the document's source path; the license and dataset name its items' records
        carry (items made from an external dataset), if any."""
        if record_license:
            lic = self.licenses.get(normalize_license(record_license, self.licenses))
            name = record_source or next((r.name for r in self.rules if r.matches(source_path)),
                                         PurePath(source_path).parent.name or "source")
            if lic is None:
                return Licensed(name, None, problem=(
                    f"its record says license {record_license!r}, which abstab does not know; "
                    "add it to abstab/release/licenses.yaml if it allows redistribution"))
            return self._allowed(name, lic, f"license stated by the {name} records")
        for rule in self.rules:
            if rule.matches(source_path):
                return self._allowed(rule.name, self.licenses[rule.license], rule.note)
        return Licensed(PurePath(source_path).parent.name or "source", None, problem=(
            "its license is unknown; declare it with --license 'GLOB=SPDX' (for example "
            f"--license '*/{PurePath(source_path).parent.name or 'corpus'}/*=CC-BY-4.0') "
            "if its license allows redistribution"))

    @staticmethod
    def _allowed(name: str, lic: License, note: str) -> Licensed:
        if not lic.redistribute:
            return Licensed(name, lic, note, problem=(
                f"its license {lic.spdx} does not allow redistribution"))
        return Licensed(name, lic, note)
