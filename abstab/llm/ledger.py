"""Per-run accounting of LLM calls: counts, tokens, latency percentiles and cost."""

from __future__ import annotations

import math
import threading
from typing import Any

from abstab.llm.settings import Prices


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) by linear interpolation, as numpy's default."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


class Ledger:
    """Thread-safe counters of one run of one backend.

    Args:
        backend: backend name, for the summary.
        model: model name, for the summary.
        prices: USD per 1M input/output tokens; without it the cost is ``None``.

    Counters:
        calls: HTTP requests sent (each retry and each repair is a request).
        cache_hits: requests answered from the cache (no HTTP).
        retries: requests re-sent after a transient error.
        failures: requests that ended in an error after their retries.
        repairs: repair requests sent after an invalid structured reply.
        invalid_outputs: items whose reply stayed invalid after the repair.
        prompt_tokens, completion_tokens: usage reported by the endpoint for sent requests.
    """

    def __init__(self, backend: str = "", model: str = "", prices: Prices | None = None):
        self.backend = backend
        self.model = model
        self.prices = prices
        self._lock = threading.Lock()
        self.calls = 0
        self.cache_hits = 0
        self.retries = 0
        self.failures = 0
        self.repairs = 0
        self.invalid_outputs = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self._latencies: list[float] = []

    def record_call(self, latency_s: float, prompt_tokens: int = 0,
                    completion_tokens: int = 0) -> None:
        """One request answered by the endpoint."""
        with self._lock:
            self.calls += 1
            self._latencies.append(latency_s)
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens

    def record_failed_attempt(self) -> None:
        """One request that ended in an HTTP or network error (it may be retried)."""
        with self._lock:
            self.calls += 1

    def record_cache_hit(self) -> None:
        with self._lock:
            self.cache_hits += 1

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def record_failure(self) -> None:
        """A request that failed for good (after its retries, or a non-retryable status)."""
        with self._lock:
            self.failures += 1

    def record_repair(self) -> None:
        with self._lock:
            self.repairs += 1

    def record_invalid_output(self) -> None:
        with self._lock:
            self.invalid_outputs += 1

    @property
    def cost_usd(self) -> float | None:
        """Cost of the sent requests, or ``None`` without a price table."""
        if self.prices is None:
            return None
        return (self.prompt_tokens * self.prices.input
                + self.completion_tokens * self.prices.output) / 1e6

    def summary(self) -> dict[str, Any]:
        """The ledger as a JSON-ready dict (``stats.json["llm"]``)."""
        with self._lock:
            lat = list(self._latencies)
            out: dict[str, Any] = {
                "backend": self.backend,
                "model": self.model,
                "calls": self.calls,
                "cache_hits": self.cache_hits,
                "retries": self.retries,
                "failures": self.failures,
                "repairs": self.repairs,
                "invalid_outputs": self.invalid_outputs,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
            }
        p50, p95 = percentile(lat, 50), percentile(lat, 95)
        out["latency_ms"] = {
            "p50": None if p50 is None else round(p50 * 1000, 1),
            "p95": None if p95 is None else round(p95 * 1000, 1),
            "max": round(max(lat) * 1000, 1) if lat else None,
        }
        cost = self.cost_usd
        out["cost_usd"] = None if cost is None else round(cost, 6)
        return out

    def format(self) -> str:
        """One or two lines for the end of a stage."""
        s = self.summary()
        line = (f"llm {s['backend']} {s['model']}: {s['calls']} calls, "
                f"{s['cache_hits']} cache hits, {s['retries']} retries, "
                f"{s['failures']} failed, {s['invalid_outputs']} invalid "
                f"({s['repairs']} repairs)")
        tokens = f"tokens {s['prompt_tokens']:,} in / {s['completion_tokens']:,} out"
        if s["latency_ms"]["p50"] is not None:
            tokens += (f"; latency p50 {s['latency_ms']['p50']:.0f} ms, "
                       f"p95 {s['latency_ms']['p95']:.0f} ms")
        if s["cost_usd"] is not None:
            tokens += f"; cost ${s['cost_usd']:.4f}"
        return f"{line}\n  {tokens}"
