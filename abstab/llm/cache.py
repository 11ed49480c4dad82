"""A persistent response cache in SQLite, safe for threads and for several processes.

The key is the sha256 of the sorted-key JSON of the whole request: endpoint identity, model,
messages, sampling parameters, response format with its schema, and the prompt template hash.
Two models, two endpoints or two prompt versions never share an entry. The endpoint is named
without its credentials: a new key does not empty the cache, and no key is stored.

A file that is not a usable SQLite database (damaged, or not SQLite at all) stops the run with a
:class:`~abstab.llm.errors.CacheError` naming it and the fix.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self, TypeVar

from abstab.llm.errors import CacheError

T = TypeVar("T")

_MIGRATIONS = [
    """
    CREATE TABLE IF NOT EXISTS responses (
        key TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        request TEXT NOT NULL,
        response TEXT NOT NULL,
        created REAL NOT NULL
    )
    """,
]


def request_key(request: dict[str, Any]) -> str:
    """The cache key of a request: sha256 of its canonical (sorted-key) JSON."""
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """Request → response store.

    Args:
        path: the SQLite file; its directory is created.

    One connection is shared by the threads of a process behind a lock; WAL journaling and a
    busy timeout let several processes use the same file.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        with self._usable():
            self._conn = sqlite3.connect(
                str(self.path), timeout=30.0, check_same_thread=False, isolation_level=None
            )
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._migrate()
            except BaseException:
                self._conn.close()
                self._conn = None
                raise

    @contextmanager
    def _usable(self) -> Iterator[None]:
        """Turn SQLite's errors about the file into a message naming it and the fix."""
        try:
            yield
        except sqlite3.DatabaseError as exc:  # OperationalError (locked, unreadable) included
            raise CacheError(
                f"LLM response cache {self.path} cannot be used ({exc}): delete the file (it "
                "holds only cached replies), or run with --no-cache or --cache OTHER.sqlite"
            ) from None

    def _query(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock, self._usable():
            return fn(self._db())

    def _migrate(self) -> None:
        assert self._conn is not None
        with self._lock:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            for i, sql in enumerate(_MIGRATIONS[version:], start=version + 1):
                self._conn.execute(sql)
                self._conn.execute(f"PRAGMA user_version={i}")

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"response cache {self.path} is closed")
        return self._conn

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response for ``key``, or ``None`` (also for an entry that is not a JSON
        object: the request is then sent again)."""
        row = self._query(lambda db: db.execute(
            "SELECT response FROM responses WHERE key = ?", (key,)).fetchone())
        if not row:
            return None
        try:
            value = json.loads(row[0])
        except (TypeError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, request: dict[str, Any], response: dict[str, Any]) -> None:
        """Store ``response`` for ``key`` (the last write wins)."""
        row = (key, str(request.get("model", "")),
               json.dumps(request, sort_keys=True, ensure_ascii=False),
               json.dumps(response, ensure_ascii=False), time.time())
        self._query(lambda db: db.execute(
            "INSERT OR REPLACE INTO responses (key, model, request, response, created) "
            "VALUES (?, ?, ?, ?, ?)", row))

    def delete(self, key: str) -> None:
        """Forget the response for ``key``, if any."""
        self._query(lambda db: db.execute("DELETE FROM responses WHERE key = ?", (key,)))

    def __len__(self) -> int:
        return int(self._query(
            lambda db: db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]))

    def close(self) -> None:
        """Close the connection; further use raises."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
