"""Characters and visual lines of a page, read once from PyMuPDF's ``rawdict``.

Every later step (table cells, blocks, notes) reads text from here, never from PyMuPDF's own
table text: PyMuPDF 2.0 orders the characters of a cell by glyph height and garbles numbers
(``4.5`` → ``'45\\n.'``). Here a line is rebuilt from its characters sorted left to right on a
shared baseline, spaces are put back from the gaps, and raised small characters (footnote
markers) are kept in the text as Unicode superscripts (``24.91²``, ``Rev.¹``), so that a marker
never fuses with the number it annotates.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from abstab.core.normalize import squash

SUPERSCRIPTS = str.maketrans(
    "0123456789+-−=()abcdefghijklmnoprstuvwxyz",
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ",
)
"""Plain → superscript form for the characters Unicode has one for."""

_SUP_CHARS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"
UNSUPERSCRIPT = str.maketrans(_SUP_CHARS, "0123456789+-=()abcdefghijklmnoprstuvwxyz")
"""Superscript → plain form (for matching a note marker against a header)."""

_RULE_CHARS = set("-_=─━‒–—")
_LEADER_CHARS = set(".·…")
_SPLIT_DECIMAL = re.compile(r"^[-−–(]?[\d,]*\d\. \d+\)?%?$")
_ORDINAL = re.compile(r"^(st|nd|rd|th|er|e|ème|o|a)$")
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)


class Char:
    """One glyph: its box, text, size, style (bold, monospaced) and baseline."""

    __slots__ = ("bold", "c", "frag", "mono", "ox", "oy", "size", "x0", "x1", "y0", "y1")

    def __init__(self, x0: float, y0: float, x1: float, y1: float, c: str, size: float,
                 bold: bool, ox: float, oy: float, frag: int, mono: bool = False):
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        self.c = c
        self.size = size
        self.bold = bold
        self.ox, self.oy = ox, oy
        self.frag = frag
        self.mono = mono

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        """A point inside the glyph's body: a third of the size above the baseline."""
        return self.oy - self.size * 0.3


@dataclass
class Fragment:
    """One PyMuPDF ``rawdict`` line: characters on one baseline within one block."""

    index: int
    block: int
    horizontal: bool
    chars: list[Char]
    bbox: tuple[float, float, float, float]


@dataclass
class Line:
    """A visual line: fragments sharing a baseline, merged and ordered left to right."""

    chars: list[Char]
    text: str
    bbox: tuple[float, float, float, float]
    size: float
    bold: float  # share of bold non-space characters
    block: int = -1
    fragments: list[int] = field(default_factory=list)
    marker_sup: bool = False  # the line starts with a superscript run (a footnote marker)

    @property
    def x0(self) -> float:
        return self.bbox[0]

    @property
    def y0(self) -> float:
        return self.bbox[1]

    @property
    def x1(self) -> float:
        return self.bbox[2]

    @property
    def y1(self) -> float:
        return self.bbox[3]

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


@dataclass
class PageText:
    """All text of one page: fragments (with their characters) and the page size."""

    number: int  # 1-based
    width: float
    height: float
    fragments: list[Fragment]
    image_area: float = 0.0  # share of the page covered by images

    @property
    def chars(self) -> Iterable[Char]:
        for f in self.fragments:
            yield from f.chars

    @property
    def vertical(self) -> set[int]:
        """Indices of the fragments whose text is not horizontal."""
        return {f.index for f in self.fragments if not f.horizontal}

    @property
    def n_chars(self) -> int:
        return sum(1 for f in self.fragments for c in f.chars if not c.c.isspace())

    @property
    def decoration(self) -> set[int]:
        """ids of the characters that only draw: rules typed as text (``-------``) and leader
        dots (``Total .......... 12``). They are not the text of any cell."""
        cached = self.__dict__.get("_decoration")
        if cached is None:
            cached = set()
            led: set[int] = set()
            for f in self.fragments:
                ink = [c for c in f.chars if not c.c.isspace()]
                if len(ink) >= 4 and all(c.c in _RULE_CHARS for c in ink):
                    cached.update(id(c) for c in ink)
                    continue
                run: list[Char] = []
                last: Char | None = None  # the last ink before the run
                for c in f.chars:
                    if c.c in _LEADER_CHARS:
                        run.append(c)
                    elif not c.c.isspace():
                        if len(run) >= 4:
                            cached.update(id(x) for x in run)
                            if last is not None:
                                led.add(id(last))
                        run = []
                        last = c
                if len(run) >= 4:
                    cached.update(id(x) for x in run)
                    if last is not None:
                        led.add(id(last))
            self.__dict__["_decoration"] = cached
            self.__dict__["_led"] = led
        return cached

    @property
    def led(self) -> set[int]:
        """ids of the characters that leader dots follow (the end of ``Total`` in ``Total
        .......... 12``): a label a leader ends is complete."""
        self.decoration  # noqa: B018 - computed with it
        return self.__dict__["_led"]  # type: ignore[no-any-return]


def read_page(page: Any, number: int) -> PageText:
    """Read a PyMuPDF page's characters (one ``rawdict`` call), and on a page with almost no
    text its image coverage (:func:`image_area`, to tell a scanned page)."""
    import pymupdf

    from abstab.extract.pdf import SCANNED_MAX_CHARS

    # no TEXT_PRESERVE_IMAGES: ``rawdict`` would decode every image into its block (a 20000 x
    # 20000 image inside a 400 KB file is 400 MB decoded and more as PNG)
    flags = (pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_PRESERVE_LIGATURES
             | pymupdf.TEXT_MEDIABOX_CLIP)
    raw = page.get_text("rawdict", flags=flags)
    rect = page.rect
    # text comes in unrotated page space; tables and the reader use the page as displayed
    rot = page.rotation_matrix if page.rotation else None
    fragments: list[Fragment] = []
    seen: dict[tuple[str, int, int], list[Char]] = {}
    for bno, block in enumerate(raw["blocks"]):
        if block.get("type") == 1:
            continue
        for line in block.get("lines", ()):
            dx, dy = line["dir"]
            lbox = tuple(line["bbox"])
            if rot is not None:
                dx, dy = rot.a * dx + rot.c * dy, rot.b * dx + rot.d * dy
                lbox = _transform(lbox, rot)
            horizontal = abs(dy) < 1e-3 and dx > 0
            idx = len(fragments)
            chars: list[Char] = []
            for span in line["spans"]:
                size = float(span["size"])
                bold = bool(span["flags"] & 16) or bool(_BOLD_FONT.search(span["font"]))
                mono = bool(span["flags"] & 8)
                for ch in span["chars"]:
                    x0, y0, x1, y1 = ch["bbox"]
                    ox, oy = ch["origin"]
                    if rot is not None:
                        x0, y0, x1, y1 = _transform((x0, y0, x1, y1), rot)
                        ox, oy = rot.a * ox + rot.c * oy + rot.e, rot.b * ox + rot.d * oy + rot.f
                    char = Char(x0, y0, x1, y1, ch["c"], size, bold, ox, oy, idx, mono)
                    if not char.c.isspace() and _overprint(char, seen):
                        continue
                    chars.append(char)
            if not chars:
                continue
            if horizontal:
                chars.sort(key=lambda c: c.x0)
            fragments.append(Fragment(idx, bno, horizontal, chars, lbox))
    fragments = _drop_overprinted_spaces(fragments)
    # fragment indices must match positions after skipping empty lines
    for i, f in enumerate(fragments):
        if f.index != i:
            for c in f.chars:
                c.frag = i
            f.index = i
    text = PageText(number, rect.width, rect.height, fragments)
    if text.n_chars < SCANNED_MAX_CHARS:
        text.image_area = image_area(page)
    return text


def _drop_overprinted_spaces(fragments: list[Fragment]) -> list[Fragment]:
    """``fragments`` without the space glyphs drawn inside another glyph's box.

    A page printing its text twice may print ``1 9`` and then ``1.9`` over it: once the
    second ``1`` and ``9`` are dropped as overprints, the first pass's space would stand before
    the dot (``1 .9``); a ligature may carry a space inside its own box (``Deﬁ cit``)."""
    ink: dict[int, list[Char]] = {}
    for f in fragments:
        for c in f.chars:
            if not c.c.isspace():
                ink.setdefault(int(c.oy), []).append(c)

    def covered(sp: Char) -> bool:
        tol = 0.15 * max(sp.size, 1.0)
        return any(abs(o.oy - sp.oy) <= tol and o.x0 - tol <= sp.x0 and sp.x1 <= o.x1 + tol
                   for dy in (-1, 0, 1) for o in ink.get(int(sp.oy) + dy, ()))

    out = []
    for f in fragments:
        if any(c.c.isspace() for c in f.chars):
            f.chars = [c for c in f.chars if not (c.c.isspace() and covered(c))]
        if f.chars:
            out.append(f)
    return out


def _overprint(char: Char, seen: dict[tuple[str, int, int], list[Char]]) -> bool:
    """Whether the same glyph was already drawn at (nearly) the same place, and note it.

    Some generators print text twice (a shadow, a fake bold offset by a fraction of a point);
    read as two glyphs, ``RR2Y`` becomes ``RRRR22YY`` and no cell text is right."""
    tol = 0.15 * max(char.size, 1.0)
    kx, ky = int(char.x0), int(char.oy)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for other in seen.get((char.c, kx + dx, ky + dy), ()):
                if abs(other.x0 - char.x0) <= tol and abs(other.oy - char.oy) <= tol \
                        and abs(other.size - char.size) <= tol:
                    return True
    seen.setdefault((char.c, kx, ky), []).append(char)
    return False


def image_area(page: Any) -> float:
    """Share of the page covered by images, from where they are drawn (PyMuPDF
    ``get_image_info`` without hashes reads their placement and size; it decodes no pixel)."""
    rect = page.rect
    page_area = max(rect.width * rect.height, 1.0)
    area = 0.0
    for info in page.get_image_info():
        x0, y0, x1, y1 = info["bbox"]
        area += max(0.0, x1 - x0) * max(0.0, y1 - y0) / page_area
    return min(area, 1.0)


def _transform(box: Sequence[float], m: Any) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    xs = [m.a * x + m.c * y + m.e for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    ys = [m.b * x + m.d * y + m.f for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    return min(xs), min(ys), max(xs), max(ys)


# ----------------------------------------------------------------------------- lines


def _vrange(chars: Sequence[Char]) -> tuple[float, float]:
    size = max(c.size for c in chars)
    base = max(c.oy for c in chars if c.size >= size * 0.85)
    return base - 0.75 * size, base + 0.25 * size


def group_lines(chars: Sequence[Char], vertical: Container[int] = ()) -> list[list[Char]]:
    """Group characters into visual lines (top to bottom), each sorted left to right.

    Characters are first grouped by their PyMuPDF line, then lines whose vertical extents
    overlap by half the smaller one (a raised footnote marker, a split span) are merged.
    Characters of the fragments in ``vertical`` (rotated text) keep one line per fragment.
    """
    if not chars:
        return []
    by_frag: dict[int, list[Char]] = {}
    for c in chars:
        by_frag.setdefault(c.frag, []).append(c)
    groups: list[list[Any]] = []
    rotated: list[list[Char]] = []
    for k, v in by_frag.items():
        if k in vertical:
            rotated.append(v)
            continue
        lo, hi = _vrange(v)
        groups.append([lo, hi, min(c.x0 for c in v), v])
    groups.sort(key=lambda g: (g[0] + g[1]) / 2)
    merged: list[list[Any]] = []
    for g in groups:
        for m in reversed(merged[-3:]):
            overlap = min(m[1], g[1]) - max(m[0], g[0])
            if overlap >= 0.5 * min(m[1] - m[0], g[1] - g[0]):
                m[3] = m[3] + g[3]
                m[0], m[1] = min(m[0], g[0]), max(m[1], g[1])
                break
        else:
            merged.append(g)
    out = []
    for m in merged:
        out.append(sorted(m[3], key=lambda c: c.x0))
    out.sort(key=lambda cs: _vrange(cs)[0])
    return out + rotated


def _dominant(chars: Sequence[Char]) -> tuple[float, float]:
    """Dominant font size and its baseline in a line."""
    sizes = Counter(round(c.size, 1) for c in chars if not c.c.isspace())
    if not sizes:
        return chars[0].size, chars[0].oy
    size = sizes.most_common(1)[0][0]
    bases = sorted(c.oy for c in chars if abs(c.size - size) < 0.15 and not c.c.isspace())
    return size, bases[len(bases) // 2]


def line_text(chars: Sequence[Char]) -> tuple[str, bool]:
    """The text of one visual line; also whether it starts with a superscript run.

    Spaces come from space glyphs or from gaps wider than a quarter of the font size.
    Raised small characters become Unicode superscripts; lowered ones (CO₂) stay plain.
    """
    size, base = _dominant(chars)
    parts: list[str] = []
    prev: Char | None = None
    pending_space = False
    sup_run: list[str] = []
    starts_sup = False
    first = True

    def flush_sup() -> None:
        nonlocal sup_run
        if not sup_run:
            return
        run = "".join(sup_run)
        last = parts[-1][-1:] if parts else ""
        if last.isdigit() and _ORDINAL.match(run):
            parts.append(run)  # 1st, 2nd: ordinal suffix, not a marker
        elif len(run) <= 3 or all(ch in "*†‡§" for ch in run):
            parts.append(run.translate(SUPERSCRIPTS))
        else:
            parts.append(run)
        sup_run = []

    for c in chars:
        if c.c.isspace() or not c.c:
            pending_space = True
            continue
        is_sup = c.size <= size * 0.85 and c.oy < base - 0.18 * size
        gap = c.x0 - prev.x1 if prev is not None else 0.0
        if prev is not None and (pending_space or gap > 0.25 * min(size, c.size) + 0.1):
            flush_sup()
            parts.append(" ")
        if is_sup:
            if first:
                starts_sup = True
            sup_run.append(c.c)
        else:
            flush_sup()
            parts.append(c.c)
        first = False
        pending_space = False
        prev = c
    flush_sup()
    text = squash("".join(parts))
    if _SPLIT_DECIMAL.match(text):
        text = text.replace(". ", ".")  # "11,062. 6": a space set before the decimals
    return text, starts_sup


def make_line(chars: Sequence[Char]) -> Line | None:
    """A :class:`Line` from one visual line's characters (None if it is only whitespace)."""
    ink = [c for c in chars if not c.c.isspace()]
    if not ink:
        return None
    text, sup = line_text(chars)
    if not text:
        return None
    size, _ = _dominant(chars)
    bbox = (min(c.x0 for c in ink), min(c.y0 for c in ink),
            max(c.x1 for c in ink), max(c.y1 for c in ink))
    bold = sum(1 for c in ink if c.bold) / len(ink)
    frags = sorted({c.frag for c in ink})
    return Line(list(chars), text, bbox, size, bold, fragments=frags, marker_sup=sup)


_LINE_END_DASHES = "-‐‑–"  # a word or range broken after its dash: "separa-|tely", "1991–|92"


def join_lines(texts: Sequence[str]) -> str:
    """Join wrapped lines into one string: a space between them, none after a dash that ends
    a word or number ("well-" + "known", "1991–" + "92": the line broke after the dash)."""
    out = ""
    for t in texts:
        t = t.strip()
        if not t:
            continue
        if not out:
            out = t
        elif (out[-1] in _LINE_END_DASHES and len(out) > 1
              and (out[-2].isalpha() and t[:1].isalpha()
                   or out[-2].isdigit() and t[:1].isdigit())):
            out += t
        else:
            out += " " + t
    return out


def unsup(text: str) -> str:
    return text.translate(UNSUPERSCRIPT)
