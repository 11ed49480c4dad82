"""Expanding an abbreviated header with no document: ``lst_inspec_mnth`` → "last inspection month".

Only the table helps: the header's own shape, its sibling headers and its values. The method is
a noisy-channel guess. The header is split into tokens (separators, camelCase, digits); each
letter run may itself be several abbreviated words run together (``planprjdescr``), so it is
segmented by dynamic programming. Each piece ``t`` is explained by an English word ``w`` scored

    log P(w) + log P(t | w)

with ``P(w)`` from wordfreq (Zipf scale, log10 per billion words) and ``P(t | w)`` an abbreviation
model: ``t`` keeps ``w``'s first letter and a subsequence of the rest, dropping vowels and doubled
letters is cheap, dropping consonants is dear, cutting the tail is a flat price. A small table of
standard report abbreviations (``yr``, ``amt``, ``pct``…) gives conventional readings that the
model cannot infer (``no`` → number), and words that the sibling headers spell out in full, or
that name the kind of the column's values (a date column → "date"), get a boost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from abstab.core.words import COMMON_WORD_ZIPF, zipf

VOCAB_SIZE = 60000
"""How many of wordfreq's most frequent English words may be expansions."""

SPLIT_COST = 9.0
"""Price (log10) of reading a run of letters as one more word: in a unigram model each word
costs log10 of its probability, which is its Zipf value minus 9."""

IDENTITY_COST = {1: 3.0, 2: 1.5, 3: 1.2}
"""Price of reading a short token as itself; 2–3 letter "words" in headers are mostly cut-downs."""
IDENTITY_COST_LONG = 0.3

# Dropped letters inside a word: vowels are what abbreviations drop first.
_VOWELS = set("aeiou")
_SKIP_VOWEL, _SKIP_Y, _SKIP_CONSONANT, _SKIP_DOUBLE = 0.25, 0.5, 1.0, 0.1
_TRUNCATE = 0.5  # cutting the word's tail ("descr" ← "description") ...
_TRUNCATE_PER_LETTER = 0.05  # ... costs more the more is cut
_MAX_CANDIDATES = 400  # most frequent matching words scored per piece
_DICT_BONUS = 2.5  # a conventional abbreviation beats a merely possible one
_CONTEXT_BONUS = 1.5  # the word is spelled out in a sibling header
_VALUE_BONUS = 1.5  # the word names the kind of value the column holds
_WORD_ABBREVIATED = 1.5  # a token that is itself a common word is seldom a cut-down of another
_UNKNOWN = -12.0  # a piece nothing explains: kept as written, at a high price per letter

# Standard abbreviations of reports and data dictionaries (general usage, most likely first).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "no": ("number",), "num": ("number",), "nbr": ("number",), "nmbr": ("number",),
    "nm": ("name",), "nme": ("name",),
    "yr": ("year",), "yrs": ("years",), "mo": ("month",), "mos": ("months",),
    "mth": ("month",), "mnth": ("month",), "wk": ("week",), "wks": ("weeks",),
    "dy": ("day",), "hr": ("hour",), "hrs": ("hours",), "min": ("minimum", "minute"),
    "max": ("maximum",), "sec": ("second", "section"), "qtr": ("quarter",),
    "dt": ("date",), "dte": ("date",), "tm": ("time",), "ts": ("timestamp",),
    "amt": ("amount",), "qty": ("quantity",), "pct": ("percent",), "pc": ("percent",),
    "perc": ("percent",), "avg": ("average",), "tot": ("total",), "ttl": ("total",),
    "cnt": ("count",), "ct": ("count",), "val": ("value",), "bal": ("balance",),
    "est": ("estimated",), "approx": ("approximate",), "std": ("standard",),
    "addr": ("address",), "adr": ("address",), "st": ("street", "state", "status"),
    "ave": ("avenue",), "blvd": ("boulevard",), "rd": ("road",), "apt": ("apartment",),
    "bldg": ("building",), "fl": ("floor",), "rm": ("room",), "cty": ("city",),
    "cnty": ("county",), "co": ("county", "company"), "dist": ("district",),
    "nbhd": ("neighborhood",), "zip": ("zip",), "lat": ("latitude",),
    "lon": ("longitude",), "lng": ("longitude",), "long": ("longitude",),
    "loc": ("location",), "geo": ("geographic",), "reg": ("region",),
    "desc": ("description",), "descr": ("description",), "dscr": ("description",),
    "cd": ("code",), "id": ("id",), "ref": ("reference",), "cat": ("category",),
    "typ": ("type",), "tp": ("type",), "stat": ("status",), "stts": ("status",),
    "cls": ("class",), "grp": ("group",), "lvl": ("level",), "seq": ("sequence",),
    "info": ("information",), "msg": ("message",), "doc": ("document",),
    "dept": ("department",), "dpt": ("department",), "div": ("division",),
    "org": ("organization",), "agcy": ("agency",), "govt": ("government",),
    "admin": ("administration",), "mgmt": ("management",), "mgr": ("manager",),
    "dir": ("director",), "emp": ("employee",), "empl": ("employee",),
    "supv": ("supervisor",), "asst": ("assistant",), "svc": ("service",),
    "svcs": ("services",), "prog": ("program",), "proj": ("project",), "req": ("request",),
    "app": ("application",), "appl": ("application",), "lic": ("license",),
    "cert": ("certificate",), "insp": ("inspection",), "viol": ("violation",),
    "acct": ("account",), "rev": ("revenue",), "exp": ("expenditure", "expiration"),
    "fy": ("fiscal year",), "ytd": ("year to date",), "budg": ("budget",),
    "ph": ("phone",), "tel": ("telephone",), "eml": ("email",),
    "sch": ("school",), "schl": ("school",), "univ": ("university",), "edu": ("education",),
    "stu": ("student",), "hosp": ("hospital",), "med": ("medical",), "pop": ("population",),
    "resp": ("response",), "src": ("source",), "dest": ("destination",), "veh": ("vehicle",),
    "ppl": ("people",), "pos": ("position",), "misc": ("miscellaneous",),
    "char": ("character",), "pkg": ("package",), "comm": ("community",),
    "intl": ("international",), "natl": ("national",), "dev": ("development",),
    "hh": ("household",), "ind": ("indicator",), "flg": ("flag",), "rt": ("rate",),
    "rte": ("rate",), "grad": ("graduation",), "enrl": ("enrollment",), "stud": ("student",),
    "stdnt": ("student",), "tchr": ("teacher",), "acad": ("academic",), "elem": ("elementary",),
    "n": ("north",), "s": ("south",), "e": ("east",), "w": ("west",),
}

# Function words never stand for a header token ("cd" is not "could"). Prepositions that name
# a time or place ("after", "over", "between") can, and are left out of this list.
_FUNCTION_WORDS = frozenset([
    "a", "about", "again", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because",
    "been", "being", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "each",
    "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here",
    "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it",
    "its", "itself", "just", "me", "more", "most", "my", "myself", "nor", "not", "now", "of",
    "off", "on", "once", "only", "or", "our", "ours", "ourselves", "out", "own", "same", "she",
    "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "to", "too", "up", "very",
    "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why",
    "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "ive", "im",
    "dont", "didnt", "doesnt", "isnt", "wasnt", "cant", "wont", "shouldnt", "couldnt",
    "wouldnt", "youre", "theyre", "thats", "whats", "lets", "also", "yes", "yeah", "oh", "ok",
    "okay", "hey"
])

# Kinds of values and the header words that name them.
_VALUE_KINDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T][\d:.]+)?$|^\d{1,2}/\d{1,2}/\d{2,4}( [\d:]+( ?[AP]M)?)?$",
                re.IGNORECASE), ("date", "day")),
    (re.compile(r"^\d{4}-\d{1,2}$|^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*$", re.IGNORECASE),
     ("month",)),
    (re.compile(r"^(19|20)\d\d$"), ("year",)),
    (re.compile(r"^\d{1,2}:\d{2}(:\d{2})?( ?[AP]M)?$", re.IGNORECASE), ("time", "hour")),
    (re.compile(r"^\(?\d{3}\)?[ .-]\d{3}-\d{4}$"), ("phone", "telephone")),
    (re.compile(r"^-?\d{1,3}\.\d{4,}$"), ("latitude", "longitude")),
    (re.compile(r"^\d{5}(-\d{4})?$"), ("zip",)),
    (re.compile(r"^(?:A[KLRZS]|C[AOT]|D[CE]|F[LM]|G[AU]|HI|I[ADLN]|K[SY]|LA|M[ADEINOPST]|"
                r"N[CDEHJMVY]|O[HKR]|P[AR]|RI|S[CD]|T[NX]|UT|V[AIT]|W[AIVY])$"), ("state",)),
    (re.compile(r"^-?[\d,]*\.?\d+\s*%$"), ("percent", "percentage", "rate")),
    (re.compile(r"^\$\s?-?[\d,]+(\.\d+)?$"), ("amount", "cost", "value", "price")),
    (re.compile(r"^\d+ [A-Za-z0-9 ]+ (st|ave|blvd|rd|dr|way|street|avenue)\.?$", re.IGNORECASE),
     ("address", "street")),
)

_ORDINAL_WORDS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
                  "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
                  "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth")
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s_\-./:]+")
_CHUNKS = re.compile(r"\d+(?:st|nd|rd|th|ST|ND|RD|TH)(?![a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Reading:
    """One way to read a piece of a header: its expansion and log10 score."""

    text: str
    score: float


@lru_cache(maxsize=1)
def _vocab_by_initial() -> dict[str, str]:
    """The candidate words grouped by first letter, newline-joined for one regex scan each."""
    from wordfreq import top_n_list

    groups: dict[str, list[str]] = {}
    for w in top_n_list("en", VOCAB_SIZE):
        if len(w) >= 2 and w.isascii() and w.isalpha() and w not in _FUNCTION_WORDS:
            groups.setdefault(w[0], []).append(w)
    return {k: "\n".join(v) for k, v in groups.items()}


def tokenize(header: str) -> list[str]:
    """Split a header at separators, camelCase humps and letter/digit boundaries.

    >>> tokenize("lst_inspec_mnth"), tokenize("mnthRprtd"), tokenize("Pc2005")
    (['lst', 'inspec', 'mnth'], ['mnth', 'Rprtd'], ['Pc', '2005'])
    """
    out: list[str] = []
    for part in _SEPARATORS.split(header):
        out.extend(_CHUNKS.findall(part))
    return out


def _skip_cost(word: str, i: int) -> float:
    ch = word[i]
    if i > 0 and word[i - 1] == ch:
        return _SKIP_DOUBLE
    if ch in _VOWELS:
        return _SKIP_VOWEL
    return _SKIP_Y if ch == "y" else _SKIP_CONSONANT


def abbreviation_cost(abbr: str, word: str) -> float | None:
    """-log10 P(abbr | word): the cheapest way to drop letters of ``word`` to get ``abbr``.

    The first letter must be kept; letters dropped inside the word cost by kind, a dropped tail
    costs a flat ``_TRUNCATE``. None when ``abbr`` is not such a reduction of ``word``.
    """
    if not abbr or not word or abbr[0] != word[0] or len(abbr) > len(word):
        return None
    n = len(word)
    inf = float("inf")
    # best[j]: cheapest cost with the current abbreviation letter matched at word[j].
    best = [inf] * n
    best[0] = 0.0
    for ch in abbr[1:]:
        nxt = [inf] * n
        for j in range(n):
            if best[j] == inf:
                continue
            skipped = 0.0
            for k in range(j + 1, n):
                if word[k] == ch and best[j] + skipped < nxt[k]:
                    nxt[k] = best[j] + skipped
                skipped += _skip_cost(word, k)
        best = nxt
    total = min((c + (_TRUNCATE + _TRUNCATE_PER_LETTER * (n - 1 - j) if j < n - 1 else 0.0)
                 for j, c in enumerate(best) if c < inf), default=inf)
    return None if total == inf else total


@lru_cache(maxsize=200000)
def word_readings(piece: str, whole: bool = True, k: int = 8) -> tuple[Reading, ...]:
    """The ``k`` best single-word readings of a lower-case letter run, best first.

    A function word reads as itself only when it is a ``whole`` token (``nature_of_use``), not a
    piece cut out of a longer run.
    """
    readings: dict[str, float] = {}
    n = len(piece)
    # An abbreviation writers would not confuse with a word: a token that is a common word
    # itself ("count", "unit") is read as another word only at an extra price.
    extra = _WORD_ABBREVIATED if n >= 4 and zipf(piece) >= COMMON_WORD_ZIPF + 0.5 else 0.0
    if zipf(piece) > 0 and (whole or piece not in _FUNCTION_WORDS):
        readings[piece] = zipf(piece) - IDENTITY_COST.get(n, IDENTITY_COST_LONG)
    for rank, exp in enumerate(ABBREVIATIONS.get(piece, ())):
        freq = max(zipf(w) for w in exp.split())
        readings[exp] = max(readings.get(exp, -99.0), freq + _DICT_BONUS - 0.5 * rank)
    group = _vocab_by_initial().get(piece[0])
    if group and n >= 2:
        body = "".join(rf"[^\n]*?{re.escape(c)}" for c in piece[1:])
        pattern = re.compile(rf"^{re.escape(piece[0])}{body}[^\n]*$", re.MULTILINE)
        # The vocabulary is in frequency order, so the first matches are the likeliest words.
        floor = -99.0  # the k-th best score so far: rarer words cannot beat it
        for i, m in enumerate(pattern.finditer(group)):
            w = m.group(0)
            if i == _MAX_CANDIDATES or zipf(w) <= floor:
                break
            if w == piece or len(w) > 3 * n + 4:
                continue
            cost = abbreviation_cost(piece, w)
            if cost is not None:
                score = zipf(w) - cost - extra
                if score > readings.get(w, -99.0):
                    readings[w] = score
                    if len(readings) >= k:
                        floor = sorted(readings.values(), reverse=True)[k - 1]
    ranked = sorted(readings.items(), key=lambda kv: -kv[1])[:k]
    return tuple(Reading(t, s) for t, s in ranked)


@lru_cache(maxsize=50000)
def segment(run: str, k: int = 8) -> tuple[Reading, ...]:
    """Readings of a lower-case letter run as one or more abbreviated words, best first."""
    n = len(run)
    # beams[i]: the best readings of run[:i] as (score, words).
    beams: list[list[tuple[float, tuple[str, ...]]]] = [[] for _ in range(n + 1)]
    beams[0] = [(0.0, ())]
    for end in range(1, n + 1):
        cands: list[tuple[float, tuple[str, ...]]] = []
        for start in range(max(0, end - 14), end):
            if not beams[start]:
                continue
            piece = run[start:end]
            if len(piece) == 1 and n > 1:
                continue  # single letters inside a run are too ambiguous to read alone
            readings = word_readings(piece, len(piece) == n) or (Reading(piece, _UNKNOWN - len(piece)),)
            extra = SPLIT_COST if start > 0 else 0.0
            # The whole run keeps all its readings, for the context to choose among; the
            # pieces of a split keep their three best, which bounds the search.
            for sc, words in beams[start][:3]:
                for r in readings if len(piece) == n else readings[:3]:
                    cands.append((sc + r.score - extra, words + (r.text,)))
        cands.sort(key=lambda c: -c[0])
        beams[end] = cands[:k]
    return tuple(Reading(" ".join(w), s) for s, w in beams[n])


def value_words(values: tuple[str, ...] | list[str]) -> set[str]:
    """The header words that name the kind of all ``values`` (dates → "date", "day")."""
    words: set[str] = set()
    vals = [v.strip() for v in values if v and v.strip()]
    for pattern, names in _VALUE_KINDS:
        if vals and all(pattern.match(v) for v in vals):
            words.update(names)
    return words


def _context_words(siblings: tuple[str, ...]) -> set[str]:
    words: set[str] = set()
    for s in siblings:
        for tok in tokenize(s):
            t = tok.lower()
            if len(t) >= 4 and t.isalpha() and zipf(t) >= 3.0:
                words.add(t)
    return words


def _token_readings(token: str, context: set[str], kinds: set[str], k: int) -> list[Reading]:
    ordinal = _ORDINAL.match(token)
    if ordinal:
        i = int(ordinal.group(1))
        return [Reading(_ORDINAL_WORDS[i] if i < len(_ORDINAL_WORDS) else token.lower(), 0.0)]
    if not token.isalpha():
        return [Reading(token.lower(), 0.0)]
    low = token.lower()
    readings = []
    for r in segment(low):  # readings best first; the bonuses may reorder them
        words = r.text.split()
        bonus = sum(_CONTEXT_BONUS for w in words if w in context and w != low)
        bonus += sum(_VALUE_BONUS for w in words
                     if w in kinds or (w.endswith("s") and w[:-1] in kinds))
        readings.append(Reading(r.text, r.score + bonus))
    readings.sort(key=lambda r: -r.score)
    return readings[:k]


def expand_header(header: str, siblings: tuple[str, ...] | list[str] = (),
                  values: tuple[str, ...] | list[str] = (), k: int = 5) -> list[str]:
    """Ranked guesses (lower case) at what an abbreviated header stands for.

    Args:
        header: the header as written, e.g. ``"lst_inspec_mnth"``.
        siblings: the table's other headers; words they spell out are preferred.
        values: some of the column's values; their kind (dates, years, phones…) favours the
            word that names it.
        k: how many guesses to return.

    Returns:
        Up to ``k`` expansions, best first; ``[]`` for a header with no letters or digits.
    """
    tokens = tokenize(header)
    if not tokens:
        return []
    context = _context_words(tuple(s for s in siblings if s != header))
    kinds = value_words(tuple(values))
    # Tokens are read independently; a beam keeps the k best combined readings.
    beam: list[tuple[float, str]] = [(0.0, "")]
    for tok in tokens:
        readings = _token_readings(tok, context, kinds, k)
        beam = sorted(((sc + r.score, f"{text} {r.text}".strip()) for sc, text in beam
                       for r in readings), key=lambda c: -c[0])[:k]
    out: list[str] = []
    for _, text in beam:
        if text not in out:
            out.append(text)
    return out
