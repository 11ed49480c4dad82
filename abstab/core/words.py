"""Words: how common an English word is, and the content words of a question or header.

Shared by header classification and expansion (:mod:`abstab.core.headers`,
:mod:`abstab.core.expand`), the question generators and the rules reader, which must agree on
what an ordinary word is and which words carry content.
"""

from __future__ import annotations

import re
from functools import lru_cache

COMMON_WORD_ZIPF = 3.0
"""A token at or above this Zipf frequency is an ordinary word (wordfreq scale)."""

BLANK = "___"
"""The gap of a fill-in-the-blank question, as generators write it and readers find it."""

_STOPWORDS = {
    "what", "which", "who", "is", "are", "was", "were", "the", "a", "an", "of", "for", "in", "on",
    "at", "to", "by", "and", "or", "value", "values", "did", "does", "do", "how", "much", "many",
    "according", "report", "document", "table", "its", "their", "with", "from", "as", "be",
}


LABEL_NOUNS = frozenset([
    "no", "nos", "number", "num", "#", "id", "code", "codes", "zip", "fips", "serial", "item",
    "year", "yr", "page", "pages", "line", "rank", "ranking", "ref", "reference", "sl",
    "sr", "sno", "index", "key", "identifier", "isbn", "issn", "phone", "tel", "fax",
])
"""Nouns that, ending a column header ("Item No.", "Case number", "ZIP code", "Year"), make
its values labels that name rows (identifiers, codes, years), not quantities to add or rank."""

QUANTITY_WORDS = frozenset([
    "total", "totals", "average", "mean", "median", "sum", "net", "gross", "change", "share",
    "percent", "percentage", "count", "amount", "of", "per",
])
"""Words that keep a header a quantity although it ends in a label noun ("Total number",
"Number of cases", "Change per year")."""


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word.lower(), "en"))


@lru_cache(maxsize=65536)
def in_dictionary(word: str) -> bool:
    """Is ``word`` (any case) an English dictionary word? simplemma's lexicon lists words and
    their forms ("oat", "canola", "soybeans"), not acronyms ("SSA", "NYMEX")."""
    import simplemma

    return bool(simplemma.is_known(word.lower(), lang="en"))


@lru_cache(maxsize=65536)
def _lemma(word: str) -> str:
    import simplemma

    return str(simplemma.lemmatize(word.lower(), lang="en"))


def content_words(text: str) -> set[str]:
    words = re.findall(r"[^\W_]+", text.lower())
    return {_lemma(w) for w in words if w not in _STOPWORDS}
