"""Settings of the extract stage: one dataclass, validated on creation."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from abstab.errors import ConfigError

LAYOUT_MODES = ("never", "auto", "always")


@dataclass
class ExtractSettings:
    """How PDFs are turned into Document and Table records.

    Args:
        engine: table engine, a name in ``abstab.registry.engines``: ``auto`` (default: ruled
            tables from vector lines, the others from text alignment), ``pymupdf``,
            ``camelot-lattice``, ``camelot-stream``.
        layout: when the ``auto`` and ``pymupdf`` engines run PyMuPDF's layout model (it finds
            tables without ruling lines but costs 1-3 s a page): ``never``; ``auto`` (default:
            only on pages whose text is laid out in aligned numeric columns that no table
            found so far covers); ``always``.
        min_rows: tables with fewer rows (header included) are dropped.
        min_cols: tables with fewer columns are dropped.
        max_empty_ratio: tables with a larger share of empty cells are dropped (charts, frames).
        max_header_rows: the most rows a header may have.
        merge_continued: merge a table continued at the top of the next page into one record.
        nearby_words: word budget of ``Table.nearby_text`` (paragraphs before and after).
        margin: top/bottom share of the page searched for running headers, footers, page numbers.
        running_share: a margin line repeated on at least this share of pages is running text.
        max_pages: read only the first N pages (None: all).
        max_drawings: vector paths a page may have before only rule-like ones are kept (and,
            if those are still more, its drawings are ignored); bounds time and memory on
            pages of charts and maps.
    """

    engine: str = "auto"
    layout: str = "auto"
    min_rows: int = 2
    min_cols: int = 2
    max_empty_ratio: float = 0.85
    max_header_rows: int = 6
    merge_continued: bool = True
    nearby_words: int = 300
    margin: float = 0.1
    running_share: float = 0.5
    max_pages: int | None = None
    max_drawings: int = 5000

    def __post_init__(self) -> None:
        from abstab.registry import engines

        self.engine = engines.canonical(self.engine)  # raises UnknownNameError with a hint
        if self.layout not in LAYOUT_MODES:
            raise ConfigError(
                f"extract setting layout={self.layout!r} is not valid; use one of "
                f"{', '.join(LAYOUT_MODES)}"
            )
        for name, least in (("min_rows", 1), ("min_cols", 1), ("max_header_rows", 1),
                            ("nearby_words", 0), ("max_drawings", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ConfigError(
                    f"extract setting {name}={value!r} must be an integer >= {least}")
        for name, lo, hi in (("max_empty_ratio", 0.0, 1.0), ("margin", 0.0, 0.5),
                             ("running_share", 0.0, 1.0)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) \
                    or not lo <= value <= hi:
                raise ConfigError(
                    f"extract setting {name}={value!r} must be a number in [{lo}, {hi}]"
                )
        if not isinstance(self.merge_continued, bool):
            raise ConfigError(
                f"extract setting merge_continued={self.merge_continued!r} must be true or false"
            )
        if self.max_pages is not None and (
            not isinstance(self.max_pages, int) or isinstance(self.max_pages, bool)
            or self.max_pages < 1
        ):
            raise ConfigError(
                f"extract setting max_pages={self.max_pages!r} must be a positive integer or null"
            )

    @classmethod
    def resolve(cls, settings: ExtractSettings | dict[str, Any] | None = None) -> ExtractSettings:
        """Settings from an instance, a dict (e.g. a pipeline file's ``extract:`` section) or None.

        Raises:
            ConfigError: an unknown key or a bad value, naming the allowed ones.
        """
        if settings is None:
            return cls()
        if isinstance(settings, cls):
            return settings
        if isinstance(settings, dict):
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(settings) - known)
            if unknown:
                raise ConfigError(
                    f"unknown extract setting(s) {', '.join(map(repr, unknown))}; "
                    f"known: {', '.join(sorted(known))}"
                )
            return cls(**settings)
        raise ConfigError(
            f"extract settings must be a mapping or ExtractSettings, not {type(settings).__name__}"
        )
