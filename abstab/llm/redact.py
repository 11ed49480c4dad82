"""Keeping credentials out of everything abstab writes or prints.

A key can reach abstab three ways: ``--api-key``/``OPENAI_API_KEY``, the endpoint URL
(``http://user:KEY@host/v1``, ``?api-key=KEY``), and an endpoint that echoes the request's
``Authorization`` header in its error body. :func:`public_url` gives the URL without its
credentials (for cache keys, cached requests and messages); a :class:`Redactor` masks the known
secrets, in plain and HTTP Basic form, plus anything shaped like a credential, in any text.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
# Query parameters that carry credentials (Azure's api-key, Google's key, signed URLs' sig...).
_SECRET_PARAM = re.compile(
    r"(?i)^(api[-_]?key|key|token|access[-_]?token|auth|authorization|password|secret|sig|"
    r"signature|code)$")
# Credential shapes in free text: an Authorization value, a key=value or "key": "value" pair.
_PATTERNS = [
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=:-]{4,}"), rf"\1\2{MASK}"),
    (re.compile(r"(?i)\b((?:x-)?api[-_]?key|access[-_]?token|authorization|password|secret)"
                r"(\\?[\"']?\s*[:=]\s*\\?[\"']?)(?!(?:bearer|basic|token)\s)[^\s\"'\\&,;}]{4,}"),
     rf"\1\2{MASK}"),
    (re.compile(r"(?i)([?&](?:key|token|sig|signature|code)=)[^&\s\"']+"), rf"\1{MASK}"),
]
# Shorter strings are not treated as secrets: masking "k" would garble every message.
_MIN_SECRET = 6
_NOT_SECRETS = {"no-key"}


def public_url(url: str) -> str:
    """``url`` without user, password and credential query values (their values become ``***``).

    Two URLs that differ only in their credentials give the same string, so a cache keyed on it
    does not change when the key does.
    """
    parts = urlsplit(url)
    if not (parts.username or parts.password or parts.query):
        return url
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    query = urlencode([(k, MASK if _SECRET_PARAM.match(k) else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str) -> list[str]:
    """The credentials inside ``url``: user, password, their Basic-auth form, secret params."""
    parts = urlsplit(url)
    found = [v for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if _SECRET_PARAM.match(k)]
    if parts.username or parts.password:
        user, password = parts.username or "", parts.password or ""
        found += [user, password, base64.b64encode(f"{user}:{password}".encode()).decode()]
    return found


class Redactor:
    """Masks the given secrets and credential-shaped text in any string.

    Args:
        secrets: exact strings to mask (keys, URL credentials); short ones are ignored.
    """

    def __init__(self, secrets: Iterable[str | None] = ()):
        kept = {s for s in secrets if s and len(s) >= _MIN_SECRET and s not in _NOT_SECRETS}
        self.secrets = sorted(kept, key=len, reverse=True)  # longest first: no partial leftovers

    def __call__(self, text: str) -> str:
        """``text`` with every known secret and credential-shaped value replaced by ``***``."""
        text = self.exact(text)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text

    def exact(self, text: str) -> str:
        """``text`` with the known secrets masked, and nothing else (for model replies, where
        a ``password: ...`` cell is data)."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text
