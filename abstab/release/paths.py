"""Paths inside a release: the only names a release writes or a validator follows.

Record ids become file names (``pdfs/<doc_id>.pdf``) and release files name other files
(``SHA256SUMS``, the documents' ``pdf`` column, Croissant ``contentUrl``). All of them are data
that may be hostile, so each is checked here before it is joined to a folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath


def relative_inside(entry: str) -> str | None:
    """``entry`` as a normalised POSIX path relative to the release root, or None when it is
    absolute, has a drive or a backslash, is empty, or climbs out with ``..``."""
    if not entry or "\\" in entry or "\x00" in entry:
        return None
    path = PurePosixPath(entry)
    if path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
        return None
    rel = path.as_posix()
    return None if rel == "." else rel


def regular_files(root: Path) -> tuple[set[str], list[str]]:
    """The regular files under ``root`` reached without following a symbolic link, as
    relative POSIX paths; and the symbolic links found (files and folders, not followed)."""
    files: set[str] = set()
    links: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        for name in sorted(dirnames + filenames):
            p = base / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                links.append(rel)
            elif name in filenames and p.is_file():
                files.add(rel)
    return files, sorted(links)


def sha256_file(path: Path) -> str:
    """The file's sha256, read in chunks: memory stays flat whatever the file's size."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
