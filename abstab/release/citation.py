"""How to cite a release: from ``--citation FILE`` (CITATION.cff or BibTeX), the workspace's
CITATION.cff, or, failing both, a BibTeX entry made from the release's name and address.

The card prints the BibTeX; Croissant's ``citeAs`` holds the same text.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from abstab.errors import ConfigError

CFF_NAME = "CITATION.cff"


@dataclass
class Citation:
    bibtex: str
    source: str  # where it came from, for the card: a file name or "generated"
    contact: list[str]  # names (and emails) the CITATION.cff lists under contact or authors


def _person(p: dict[str, Any]) -> str:
    if p.get("family-names"):
        return f"{p['family-names']}, {p.get('given-names', '')}".strip(", ")
    return str(p.get("name", "")).strip()


def _key(title: str, year: str) -> str:
    return (re.sub(r"[^a-z0-9]+", "", title.lower())[:24] or "dataset") + year


def _bibtex(kind: str, fields: dict[str, str]) -> str:
    def esc(v: str) -> str:
        return v.replace("{", "\\{").replace("}", "\\}")

    key = _key(fields.get("title", ""), fields.get("year", ""))
    body = ",\n".join(f"  {k} = {{{esc(v)}}}" for k, v in fields.items() if v)
    return f"@{kind}{{{key},\n{body}\n}}"


def from_cff(path: Path) -> Citation:
    """A CITATION.cff as BibTeX (its ``preferred-citation`` when it has one).

    Raises:
        ConfigError: the file is not YAML or has no title.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a readable CITATION.cff ({exc}); fix it or pass "
                          "--citation another file") from None
    if not isinstance(data, dict) or not data.get("title"):
        raise ConfigError(f"{path}: a CITATION.cff needs a `title:` (see citation-file-format."
                          "github.io); fix it or pass --citation another file")
    preferred = data.get("preferred-citation")
    ref: dict[str, Any] = preferred if isinstance(preferred, dict) else data
    authors = [a for a in ref.get("authors") or data.get("authors") or [] if isinstance(a, dict)]
    date = str(ref.get("date-released") or data.get("date-released") or "")
    year = str(ref.get("year") or date[:4] or _dt.date.today().year)
    kind = "article" if ref.get("type") == "article" else "misc"
    fields = {"title": str(ref.get("title") or data["title"]),
              "author": " and ".join(n for n in map(_person, authors) if n),
              "year": year, "journal": str(ref.get("journal", "")),
              "version": str(ref.get("version") or data.get("version") or ""),
              "doi": str(ref.get("doi") or data.get("doi") or ""),
              "url": str(ref.get("url") or data.get("url") or data.get("repository-code") or "")}
    people = [p for p in data.get("contact") or authors if isinstance(p, dict)]
    contact = [_person(p) + (f" <{p['email']}>" if p.get("email") else "") for p in people]
    return Citation(_bibtex(kind, fields), path.name, [c for c in contact if c.strip()])


def load_citation(path: Path | None, work: Path, name: str, url: str | None,
                  version: str) -> Citation:
    """The release's citation: ``path`` (CITATION.cff or a .bib file), else WORK/CITATION.cff,
    else a ``@misc`` entry for the dataset itself.

    Raises:
        ConfigError: ``path`` is missing, or is neither a CITATION.cff nor BibTeX.
    """
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"--citation {path}: no such file; pass a CITATION.cff or a "
                              ".bib file")
        if path.suffix.lower() == ".cff":
            return from_cff(path)
        text = path.read_text(encoding="utf-8").strip()
        if not text.startswith("@"):
            raise ConfigError(f"--citation {path}: neither a CITATION.cff (by its .cff suffix) "
                              "nor BibTeX (an entry starting with @); pass one of those")
        return Citation(text, path.name, [])
    cff = Path(work) / CFF_NAME
    if cff.is_file():
        return from_cff(cff)
    year = str(_dt.date.today().year)
    return Citation(_bibtex("misc", {"title": name, "year": year, "url": url or "",
                                     "note": f"made with abstab {version}"}), "generated", [])
