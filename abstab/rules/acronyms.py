"""Acronyms in running text: every short form, and the long form the text defines for it.

``find_acronyms(text)`` returns one :class:`AcronymPair` per short-form mention, with character
offsets into ``text``. A pair carries a long form when the text defines it:

- ``long form (SF)`` — the Schwartz–Hearst order (``mean time between failures (MTBF)``);
- ``SF (long form)`` — the reverse order (``MTBF (mean time between failures)``);
- ``SF: long form`` — legend style (``SF = …``, ``SF - …``, ``[SF] …``, or ``SF long form`` at
  the start of a clause), the words' initials spelling the short form;
- ``long form … SF`` — no parentheses, but a phrase earlier in the sentence whose word initials
  spell the short form exactly (``the question answering task … a QA system``).

Short forms without any definition (``the CNN baseline``) are returned too, with ``long=None``:
tokens with two or more capitals (``MTBF``, ``VTEp``, ``mAP``), a capital and a digit (``3D``,
``C4``), plural ``s`` (``CNNs``) and hyphenated codes (``LTE-A``); roman numerals, CamelCase
names (``GitHub``) and ordinary words written in capitals (``TRUE``; word frequency from
wordfreq) are not short forms.

Long forms are found by aligning the short form's letters with the candidate words
(:func:`align_long_form`): each letter is taken from a word's start or from inside a word the
way Schwartz & Hearst (2003) allow, and among the alignments the one that takes most letters at
word starts and skips fewest content words wins. The search window is Schwartz–Hearst's
``min(|SF| + 5, 2·|SF|)`` words, not crossing a sentence end, a semicolon or a parenthesis.

``rank_expansions(sentence, short, candidates)`` orders a dictionary's expansions of a short form
by how well each fits the sentence (embedding similarity plus word overlap) — the acronym
disambiguation step.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from abstab.core.normalize import squash

__all__ = [
    "AcronymPair",
    "align_long_form",
    "find_acronyms",
    "is_short_form",
    "rank_expansions",
]

# --------------------------------------------------------------------------- short forms

_EDGE_PUNCT = "()[]{},;:!?\"'“”‘’«»"
# Roman numerals as papers use them (II, IV, XII); CC, DC, MI, CL are acronyms far more often.
_ROMAN = re.compile(r"^(?=[IVX]{2,}$)X{0,3}(?:IX|IV|V?I{0,3})$")
# CamelCase names: every capital opens a run of two or more lower-case letters (GitHub,
# TensorFlow, WaveNet). Acronyms put capitals side by side (GloVe is the exception we accept).
_CAMEL_NAME = re.compile(r"^(?:[A-Z][a-z]{2,}|[A-Z][a-z])(?:[A-Z][a-z]{2,})+$")
_SHORT_BODY = re.compile(r"^[^\W_](?:[\w.&/+\-]*[^\W_])?$")
_NUMBER_WORDS = {"1": ("one", "first", "single", "uni", "mono"),
                 "2": ("two", "second", "double", "dual", "bi"),
                 "3": ("three", "third", "tri"), "4": ("four", "quad"),
                 "5": ("five", "fifth", "penta"), "6": ("six", "sixth", "hexa")}
COMMON_CAPS_ZIPF = 4.5
"""An all-capitals token of four or more letters whose lower-case form is at least this
frequent in English (wordfreq Zipf scale) is an emphasised word (TRUE, POWER), not an acronym."""
_STOP = frozenset(
    ["a", "an", "the", "of", "and", "or", "for", "to", "in", "on", "at", "by", "with", "from", "via", "as", "into", "over", "under", "between", "among", "using", "based", "its", "their", "this", "that", "these", "those", "is", "are", "be"])


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word.lower(), "en"))


def is_short_form(token: str) -> bool:
    """Does ``token`` (one whitespace-free word, punctuation stripped) look like a short form?"""
    if not _SHORT_BODY.match(token):
        return False
    alnum = [c for c in token if c.isalnum()]
    if not 2 <= len(alnum) <= 10:
        return False
    upper = sum(c.isupper() for c in alnum)
    digits = sum(c.isdigit() for c in alnum)
    letters = sum(c.isalpha() for c in alnum)
    if letters == 0 or (digits and "." in token):  # 1.51X, v2.0: numbers, not names
        return False
    if upper < 2 and not (upper == 1 and digits >= 1 and len(alnum) <= 4):
        return False
    if _ROMAN.match(token) or _CAMEL_NAME.match(token):
        return False
    # Lower-case letters may trail (CNNs, VTEp) or sit between capitals (mAP, GloVe), but a
    # word that is mostly lower case is a name, not an abbreviation.
    if letters - upper > upper + 1:
        return False
    # An ordinary word in capitals (TRUE, POWER) is emphasis, not an acronym.
    return not (token.isupper() and letters >= 4 and token.isalpha()
                and _zipf(token) >= COMMON_CAPS_ZIPF)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class AcronymPair:
    """One short-form mention and, when the text defines it, its long form.

    Offsets are character offsets into the searched text (``end`` exclusive). ``pattern`` is
    ``long_short`` (``long (SF)``), ``short_long`` (``SF (long)``), ``legend`` (``SF: long``),
    ``initials`` (a phrase earlier in the sentence spelled by the initials, no parentheses) or
    ``undefined``.
    """

    short: str
    start: int
    end: int
    long: str | None = None
    long_start: int | None = None
    long_end: int | None = None
    pattern: str = "undefined"


@dataclass(frozen=True)
class _Tok:
    text: str  # the word without edge punctuation
    start: int
    end: int
    raw: str  # the whitespace-delimited chunk


def _tokens(text: str) -> list[_Tok]:
    """Whitespace chunks split further at brackets and hyphens between words, with offsets;
    punctuation-only chunks are kept (they bound windows)."""
    out: list[_Tok] = []
    for m in re.finditer(r"[()\[\]]|[^\s()\[\]]+", text):
        raw = m.group()
        s, e = m.start(), m.end()
        core = raw
        while core and core[0] in _EDGE_PUNCT:
            core, s = core[1:], s + 1
        while core and (core[-1] in _EDGE_PUNCT or (core[-1] == "." and not _is_abbrev_dot(core))):
            core, e = core[:-1], e - 1
        out.append(_Tok(core, s, e, raw))
    return _join_hyphenated(out)


def _join_hyphenated(tokens: list[_Tok]) -> list[_Tok]:
    """``CV - QKD`` (a tokeniser split the hyphen off) is one short form, as ``CV-QKD`` is."""
    out: list[_Tok] = []
    k = 0
    while k < len(tokens):
        if (k + 2 < len(tokens) and tokens[k + 1].raw == "-" and tokens[k].raw == tokens[k].text
                and tokens[k + 2].text and _has_code_char(tokens[k].text)
                and _has_code_char(tokens[k + 2].text)):
            joined = f"{tokens[k].text}-{tokens[k + 2].text}"
            if is_short_form(joined):
                out.append(_Tok(joined, tokens[k].start, tokens[k + 2].end, joined))
                k += 3
                continue
        out.append(tokens[k])
        k += 1
    return out


def _has_code_char(word: str) -> bool:
    return any(c.isupper() or c.isdigit() for c in word)


def _is_abbrev_dot(core: str) -> bool:
    # "U.S." keeps its final dot; "MTBF." at a sentence end does not.
    return bool(re.fullmatch(r"(?:[A-Za-z]\.){2,}", core))


def _words(tok: _Tok) -> list[tuple[str, int]]:
    """The alphanumeric parts of a token (``hand-crafted`` → hand, crafted) with offsets."""
    return [(m.group(), tok.start + m.start()) for m in re.finditer(r"[^\W_]+", tok.text)]


# --------------------------------------------------------------------------- long forms


def _short_letters(short: str, keep_case: bool = False) -> str:
    """The characters of ``short`` a long form must spell: alphanumerics, lower-cased, without
    a plural ``s`` (CNNs → cnn)."""
    core = short
    if len(core) > 2 and core.endswith("s") and core[:-1].isupper():
        core = core[:-1]
    return "".join(c if keep_case else c.lower() for c in core if c.isalnum())


def alignment_scores(short: str, words: Sequence[str], *, strict: bool = False) -> dict[int, float]:
    """Scores of aligning ``short``'s letters with ``words[first:]``, for every workable ``first``.

    Every letter must be found, in order, and the long form runs to the last word; the first
    letter sits at the start of ``words[first]``. A word gives one or more letters: its initial
    first, then letters further inside it (``TensorFlow`` → T, F; ``multiplexing`` → m, x), a
    letter at a capital, a digit or after a hyphen scoring like an initial. Words giving no
    letter are allowed (``of``, ``the``, and, at a higher cost, content words). With ``strict``
    only stop words may give no letter and letters inside a word must sit at a capital — the
    test for long forms without parentheses.
    """
    letters = _short_letters(short)
    if not letters or not words:
        return {}
    low = [w.lower() for w in words]
    cased = _short_letters(short, keep_case=True)
    n, m = len(low), len(letters)
    memo: dict[tuple[int, int], float | None] = {}

    def best(j: int, k: int) -> float | None:
        # Best score for letters[k:] taken from words[j:], every word up to the end consumed.
        if k == m:
            return 0.0 if j == n else None
        if j == n or n - j > 3 * (m - k) + 3:
            return None
        key = (j, k)
        if key in memo:
            return memo[key]
        w, lw = words[j], low[j]
        options: list[float] = []
        if k > 0:  # words inside the long form may give no letter
            skip = best(j + 1, k)
            if skip is not None:
                if lw in _STOP:
                    options.append(skip - 0.2)
                elif not strict:
                    options.append(skip - 1.5)
        if letters[k].isdigit() and lw.startswith(_NUMBER_WORDS.get(letters[k], ())):
            # "3D" ↔ "three-dimensional", "3GPP" ↔ "Third Generation …".
            rest = best(j + 1, k + 1)
            if rest is not None:
                options.append(1.0 + rest)
        if lw[0] == letters[k] and not (strict and lw in _STOP and not cased[k].islower()):
            # A stop word's initial counts for less: "Office of the …" before "of the …".
            # Without parentheses, only a lower-case letter may come from one (LtRL, BoW).
            pos, t, here = 0, 1, (0.5 if lw in _STOP else 1.0)
            while True:
                rest = best(j + 1, k + t)
                if rest is not None:
                    options.append(here + rest)
                if k + t >= m:
                    break
                nxt = lw.find(letters[k + t], pos + 1)
                if nxt < 0:
                    break
                boundary = w[nxt].isupper() or w[nxt].isdigit() or w[nxt - 1] in "-/"
                if strict and not boundary:
                    break
                here += 0.6 if boundary else -0.4
                pos, t = nxt, t + 1
        memo[key] = max(options) if options else None
        return memo[key]

    out = {}
    for first in range(n):
        s = best(first, 0)
        if s is not None:
            out[first] = s
    return out


def align_long_form(short: str, words: Sequence[str], *, strict: bool = False
                    ) -> tuple[int, float] | None:
    """The best long form for ``short`` among the suffixes of ``words``.

    Returns:
        ``(first, score)``: the long form is ``words[first:]``; ``None`` when no suffix spells
        the short form. Among alignments the highest score wins; each extra word costs 0.01 so
        that the shorter of two equal alignments is chosen.
    """
    scores = alignment_scores(short, words, strict=strict)
    if not scores:
        return None
    n = len(words)
    first = max(scores, key=lambda f: (scores[f] - 0.01 * (n - f), f))
    return first, scores[first]


def _window_size(short: str) -> int:
    n = len(_short_letters(short))
    return min(n + 5, 2 * n)


_HARD_STOP = {".", ";", ":", "(", ")", "[", "]", "?", "!", "=", "—"}
_JOINERS = {"-", "/", "–"}


def _long_before(tokens: list[_Tok], paren: int, short: str, strict: bool = False
                 ) -> tuple[int, int, float] | None:
    """The long form ending right before ``tokens[paren]`` (an opening parenthesis)."""
    limit = _window_size(short)
    words: list[tuple[str, int]] = []  # (word, start offset)
    joined: list[bool] = []  # is the word hyphen-joined to the one before it?
    commas: list[int] = []  # commas right before the word
    j = paren - 1
    ntok = 0
    while j >= 0 and ntok < limit:
        tok = tokens[j]
        if tok.raw in _JOINERS:  # "hand - crafted" tokenised apart
            if joined:
                joined[0] = True
            j -= 1
            continue
        if tok.raw == "," and words:  # "belief, desire, intention (BDI)": at a cost
            commas[0] += 1
            j -= 1
            continue
        if tok.raw in _HARD_STOP or not tok.text:
            break
        parts = _words(tok)
        if not parts:
            break
        if j != paren - 1 and tok.raw[-1:] in ".;:!?" and tok.raw != tok.text:
            break  # the token ends a clause: the long form cannot start in it
        if tok.raw.endswith(",") and words:
            commas[0] += 1
        words[:0] = parts
        joined[:0] = [False] + [tok.text[p[1] - tok.start - 1] in "-/" for p in parts[1:]]
        commas[:0] = [0] * len(parts)
        ntok += 1
        j -= 1
    if not words:
        return None
    scores = alignment_scores(short, [w for w, _ in words], strict=strict)
    # A long form does not start inside a hyphenated word ("Non-negative", not "negative"),
    # and each comma it spans costs COMMA_COST.
    scores = {f: v - COMMA_COST * sum(commas[f + 1:]) for f, v in scores.items() if not joined[f]}
    if not scores:
        return None
    n = len(words)
    first = max(scores, key=lambda f: (scores[f] - 0.01 * (n - f), f))
    return words[first][1], tokens[paren - 1].end, scores[first]


COMMA_COST = 0.8
"""Score lost per comma a ``long (SF)`` long form spans (lists are rarely one long form)."""


def _long_after(tokens: list[_Tok], i: int) -> tuple[int, int] | None:
    """A legend-style long form right after the short form ``tokens[i]``: ``SF: long``,
    ``SF = long``, ``SF - long``, ``[SF] long``, or ``SF long`` at the start of a clause."""
    short = tokens[i].text
    prev = tokens[i - 1].raw if i > 0 else ""
    k = i + 1
    if prev == "[" and k < len(tokens) and tokens[k].raw == "]" or k < len(tokens) and tokens[k].raw in {":", "=", "-", "–", "—"}:
        k += 1
    elif tokens[i].raw.endswith(":"):
        pass
    elif not (i == 0 or prev in {",", ";", "(", "."} or prev.endswith((",", ";", "."))):
        return None
    words: list[tuple[str, int, int]] = []
    limit = _window_size(short)
    closed = False  # did the phrase end at punctuation or the end of the text?
    while len(words) < limit:
        if k >= len(tokens):
            closed = True
            break
        tok = tokens[k]
        if tok.raw in _JOINERS:
            k += 1
            continue
        if not tok.text or tok.raw in _HARD_STOP:
            closed = True
            break
        words.extend((w, s, s + len(w)) for w, s in _words(tok))
        if tok.raw != tok.text:  # trailing punctuation ends the phrase
            closed = True
            break
        k += 1
    if words and words[0][0].lower() in {"a", "an", "the"}:
        words = words[1:]
    for end in range(2, len(words) + 1):
        if words[end - 1][0].lower() in _STOP:
            continue
        if alignment_scores(short, [w for w, _, _ in words[:end]], strict=True).get(0) is not None:
            # A legend entry runs to its punctuation: one head word may follow the letters
            # ("FC: fully connected layer.").
            if closed and end == len(words) - 1 and words[-1][0].lower() not in _STOP:
                end += 1
            return words[0][1], words[end - 1][2]
    return None


def _long_inside(tokens: list[_Tok], open_i: int, close_i: int, short: str) -> tuple[int, int, float] | None:
    """The long form filling the parentheses ``tokens[open_i+1:close_i]`` after a short form."""
    inner = tokens[open_i + 1:close_i]
    words: list[tuple[str, int]] = []
    for tok in inner:
        words.extend(_words(tok))
    if len(words) < 2 or len(words) > _window_size(short) + 2:
        return None
    # The parentheses must hold the long form and nothing else.
    score = alignment_scores(short, [w for w, _ in words]).get(0)
    if score is None:
        return None
    first = inner[0]
    last = inner[-1]
    return first.start, last.end, score


def _matching_close(tokens: list[_Tok], open_i: int) -> int | None:
    depth = 0
    for j in range(open_i, len(tokens)):
        if tokens[j].raw in {"(", "["}:
            depth += 1
        elif tokens[j].raw in {")", "]"}:
            depth -= 1
            if depth == 0:
                return j
    return None


FUNCTION_WORD_ZIPF = 5.9
"""Words at least this frequent (also, should, than, new) do not make up an undefined long form
found by initials alone."""
MIN_LONG_SCORE = 0.0
"""Alignments scoring below this (too many skipped content words, letters buried inside words)
are not definitions."""


def find_acronyms(text: str) -> list[AcronymPair]:
    """Every short-form mention in ``text``, with the long form where the text defines it.

    Args:
        text: running text (a sentence, a paragraph or a whole document).

    Returns:
        Pairs in text order, one per short-form mention; offsets index ``text``.
    """
    tokens = _tokens(text)
    pairs: dict[int, AcronymPair] = {}  # by short-form token index
    taken: list[tuple[int, int]] = []  # long-form spans already claimed

    def claim(i: int, pair: AcronymPair) -> None:
        pairs[i] = pair
        if pair.long_start is not None and pair.long_end is not None:
            taken.append((pair.long_start, pair.long_end))

    for i, tok in enumerate(tokens):
        if tok.raw not in {"(", "["}:
            continue
        close = _matching_close(tokens, i)
        # long form (SF ...): the first word inside the brackets is the short form.
        if i + 1 < len(tokens) and tokens[i + 1].text and (close is None or close > i + 1):
            sf = tokens[i + 1]
            sf_text = sf.text
            only = close == i + 2 or (
                i + 2 < len(tokens) and tokens[i + 2].raw in {";", ","} or sf.raw.endswith((";", ",")))
            if (is_short_form(sf_text) or _loose_short_form(sf_text)) and only:
                # Lower-case short forms (ppm) need every letter at a word's start.
                got = _long_before(tokens, i, sf_text, strict=not any(c.isupper() for c in sf_text))
                if got is not None and got[2] >= MIN_LONG_SCORE:
                    s, e, _ = got
                    claim(i + 1, AcronymPair(sf_text, sf.start, sf.end, squash(text[s:e]),
                                             s, e, "long_short"))
                    continue
        # SF (long form): the word before the brackets is the short form.
        if i > 0 and close is not None and is_short_form(tokens[i - 1].text) and i - 1 not in pairs:
            got = _long_inside(tokens, i, close, tokens[i - 1].text)
            if got is not None and got[2] >= MIN_LONG_SCORE:
                s, e, _ = got
                sf = tokens[i - 1]
                claim(i - 1, AcronymPair(sf.text, sf.start, sf.end, squash(text[s:e]),
                                         s, e, "short_long"))

    for i, tok in enumerate(tokens):
        if i in pairs or not is_short_form(tok.text):
            continue
        span = _long_after(tokens, i)
        if span is not None:
            s, e = span
            claim(i, AcronymPair(tok.text, tok.start, tok.end, squash(text[s:e]), s, e,
                                 "legend"))
            continue
        span = _long_by_initials(tokens, i, taken)
        if span is not None:
            s, e = span
            claim(i, AcronymPair(tok.text, tok.start, tok.end, squash(text[s:e]), s, e,
                                 "initials"))
        else:
            pairs[i] = AcronymPair(tok.text, tok.start, tok.end)
    return [pairs[i] for i in sorted(pairs)]


def _loose_short_form(token: str) -> bool:
    """Inside ``long (…)`` the bar is lower: one capital is enough (``Conv``, ``T``), or a
    short lower-case word (``ppm``) whose letters a strict alignment must then find."""
    return bool(_SHORT_BODY.match(token)) and len(token) <= 10 and (
        any(c.isupper() for c in token) or (token.isalpha() and 2 <= len(token) <= 5))


def _runs(tokens: list[_Tok], i: int) -> list[list[tuple[str, int, int]]]:
    """Runs of words before ``tokens[i]``, split at punctuation and brackets and stopping at
    the sentence start; nearest run first."""
    j = i - 1
    run: list[tuple[str, int, int]] = []
    runs: list[list[tuple[str, int, int]]] = []
    while j >= 0:
        tok = tokens[j]
        if tok.raw in _JOINERS:
            j -= 1
            continue
        ends_sentence = tok.raw in {".", "?", "!"} or (
            tok.raw.endswith((".", "?", "!")) and tok.raw != tok.text)
        if tok.raw in _HARD_STOP or tok.raw == "," or not tok.text or ends_sentence:
            if run:
                runs.append(run)
            run = []
            if ends_sentence:
                break
            j -= 1
            continue
        if tok.raw != tok.text and tok.raw[-1:] in ",;:":  # "York, NY": the comma splits
            if run:
                runs.append(run)
            run = []
        run = [(w, s, s + len(w)) for w, s in _words(tok)] + run
        j -= 1
    if run:
        runs.append(run)
    return runs


def _long_by_initials(tokens: list[_Tok], i: int, taken: list[tuple[int, int]]
                      ) -> tuple[int, int] | None:
    """A phrase before ``tokens[i]`` in the same sentence whose word initials spell it (``the
    question answering task … a QA system``). Phrases after the short form are not searched:
    on the SDU data they were wrong (or unmarked) twice as often as right."""
    short = tokens[i].text
    letters = _short_letters(short)
    if len(letters) < 2 or not letters.isalpha():
        return None

    def accept(words: list[str], run: list[tuple[str, int, int]], first: int, end: int
               ) -> tuple[int, int] | None:
        if end - first < len(letters) - 1 or words[first].lower() in _STOP:
            return None
        s, e = run[first][1], run[end - 1][2]
        if is_short_form(words[first]) or any(a < e and s < b for a, b in taken):
            return None
        # "also important", "schemes go": function words are not part of a term.
        if any(_zipf(w) >= FUNCTION_WORD_ZIPF and w.lower() not in _STOP
               for w in words[first:end]):
            return None
        return s, e

    for run in _runs(tokens, i):
        words = [w for w, _, _ in run]
        for end in range(len(words), 0, -1):
            if words[end - 1].lower() in _STOP:
                continue
            got = align_long_form(short, words[:end], strict=True)
            if got is not None and (span := accept(words, run, got[0], end)):
                return span
    return None


# --------------------------------------------------------------------------- disambiguation

_WORD = re.compile(r"[^\W_]+")


def _content(text: str) -> set[str]:
    import simplemma

    out = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOP or len(w) < 2:
            continue
        out.add(simplemma.lemmatize(w, lang="en"))
    return out


def overlap_scores(sentence: str, candidates: Sequence[str]) -> list[float]:
    """Share of each candidate's content words (lemmatised) that occur in the sentence."""
    ctx = _content(sentence)
    out = []
    for c in candidates:
        words = _content(c)
        out.append(len(words & ctx) / len(words) if words else 0.0)
    return out


EMBED_WEIGHT = 1.0
OVERLAP_WEIGHT = 0.25
PRIOR_WEIGHT = 0.1
"""Weights of :func:`rank_expansions`, chosen by 5-fold cross-validation on the shared SDU
disambiguation split (every fold chose these same values; see benchmarks/RESULTS.md)."""


def rank_expansions(sentence: str, short: str, candidates: Sequence[str], *,
                    prior: Sequence[float] | None = None, sentence_vector=None,
                    candidate_vectors=None) -> list[tuple[str, float]]:
    """The candidate expansions of ``short`` ordered by how well they fit ``sentence``.

    Score = cosine similarity of the sentence and the expansion (bundled all-MiniLM-L6-v2,
    :mod:`abstab.embed`) + ``OVERLAP_WEIGHT`` × the share of the expansion's content words the
    sentence uses + ``PRIOR_WEIGHT`` × ``prior`` (e.g. 1 for a dictionary's usual sense).

    Args:
        sentence: the context in which ``short`` occurs.
        short: the short form (kept for callers' logs; the scores do not use its letters).
        candidates: expansions to choose from.
        prior: one weight in [0, 1] per candidate, or ``None``.
        sentence_vector, candidate_vectors: precomputed embeddings, to batch the encoding.

    Returns:
        ``(expansion, score)`` pairs, best first (ties keep the candidates' order).
    """
    if not candidates:
        return []
    if prior is not None and len(prior) != len(candidates):
        raise ValueError(f"prior has {len(prior)} weights for {len(candidates)} candidates of "
                         f"{short!r}; pass one per candidate")
    from abstab import embed

    lex = overlap_scores(sentence, candidates)
    if sentence_vector is None:
        sentence_vector = embed.encode([sentence])[0]
    if candidate_vectors is None:
        candidate_vectors = embed.encode(list(candidates))
    sims = candidate_vectors @ sentence_vector
    pri = list(prior) if prior is not None else [0.0] * len(candidates)
    scored = [(c, EMBED_WEIGHT * float(s) + OVERLAP_WEIGHT * lx + PRIOR_WEIGHT * pr)
              for c, s, lx, pr in zip(candidates, sims, lex, pri, strict=True)]
    return sorted(scored, key=lambda cs: -cs[1])
