"""Prometheus metrics: what the running bot counts, in its own registry, served at /metrics.

The rest of the code calls the few methods below (never prometheus_client itself), so what is
measured and how it is named lives in this one file. One `Metrics` per running app: two apps in
one process (tests) never mix their counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import exposition as _exposition

CONTENT_TYPE = _exposition.CONTENT_TYPE_LATEST
"""The Content-Type of `render()`'s text (Prometheus text format 0.0.4)."""

HANDLING_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
FIRST_TOKEN_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
TOKENS_PER_SECOND_BUCKETS = (1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)
WORK_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


@dataclass(frozen=True)
class LLMSlots:
    """One Ollama endpoint's request slots at this moment."""

    endpoint: str
    limit: int
    busy: int
    waiting: int


@dataclass(frozen=True)
class GPUReading:
    index: int
    name: str
    memory_used_bytes: int
    memory_total_bytes: int
    utilisation_pct: int


class Metrics:
    """Counters and histograms updated as things happen; gauges set just before each scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._messages = Counter(
            "gepeto_messages",
            "Messages handled, by channel, route (command, fast, llm, ...) and outcome.",
            ["channel", "route", "outcome"],
            registry=r,
        )
        self._handling = Histogram(
            "gepeto_message_handling_seconds",
            "Time from taking a message to its outcome (replies queued).",
            ["channel", "route"],
            buckets=HANDLING_BUCKETS,
            registry=r,
        )
        self._tools = Counter(
            "gepeto_tool_calls",
            "Tool calls through run_action, by tool and status (done, denied, failed, ...).",
            ["tool", "status"],
            registry=r,
        )
        self._first_token = Histogram(
            "gepeto_llm_first_token_seconds",
            "Time from sending a request to Ollama to its first streamed piece, per model.",
            ["model"],
            buckets=FIRST_TOKEN_BUCKETS,
            registry=r,
        )
        self._speed = Histogram(
            "gepeto_llm_tokens_per_second",
            "Generation speed Ollama reported for each answer, per model.",
            ["model"],
            buckets=TOKENS_PER_SECOND_BUCKETS,
            registry=r,
        )
        self._tokens = Counter(
            "gepeto_llm_generated_tokens",
            "Tokens Ollama generated, per model.",
            ["model"],
            registry=r,
        )
        self._firings = Counter(
            "gepeto_job_firings",
            "Scheduled firings (reminders, nags, ...) by skill, kind, timing (due, late, "
            "missed) and result (done, failed).",
            ["skill", "kind", "timing", "result"],
            registry=r,
        )
        self._work = Histogram(
            "gepeto_work_seconds",
            "Time CPU-heavy work took in the worker pool, by kind (transcribe, ocr, chart, ...).",
            ["kind"],
            buckets=WORK_BUCKETS,
            registry=r,
        )
        self._inbox = Gauge(
            "gepeto_inbox_unfinished", "Messages stored but not yet handled.", registry=r
        )
        self._outbox = Gauge(
            "gepeto_outbox_pending", "Replies and pushes waiting for delivery.", registry=r
        )
        self._slots = Gauge(
            "gepeto_llm_slots",
            "Parallel requests each Ollama endpoint takes.",
            ["endpoint"],
            registry=r,
        )
        self._slots_busy = Gauge(
            "gepeto_llm_slots_busy",
            "Requests running on each Ollama endpoint.",
            ["endpoint"],
            registry=r,
        )
        self._slots_waiting = Gauge(
            "gepeto_llm_slots_waiting",
            "Requests queued for a slot on each Ollama endpoint.",
            ["endpoint"],
            registry=r,
        )
        self._connected = Gauge(
            "gepeto_channel_connected",
            "1 while a chat channel is connected to its server.",
            ["channel"],
            registry=r,
        )
        self._gpu_used = Gauge(
            "gepeto_gpu_memory_used_bytes",
            "GPU memory in use (NVML).",
            ["gpu", "name"],
            registry=r,
        )
        self._gpu_total = Gauge(
            "gepeto_gpu_memory_total_bytes",
            "GPU memory in all (NVML).",
            ["gpu", "name"],
            registry=r,
        )
        self._gpu_load = Gauge(
            "gepeto_gpu_utilisation_ratio",
            "Share of time the GPU was busy over NVML's last sample period.",
            ["gpu", "name"],
            registry=r,
        )
        self._vault_notes = Gauge(
            "gepeto_vault_indexed_notes", "Notes in the vault's search index.", registry=r
        )
        self._vault_passages = Gauge(
            "gepeto_vault_indexed_passages", "Passages in the vault's search index.", registry=r
        )
        self._vault_synced = Gauge(
            "gepeto_vault_last_sync_timestamp_seconds",
            "When the search index last caught up with the vault (Unix time).",
            registry=r,
        )

    # ── as things happen ─────────────────────────────────────────────────────────────────────

    def message_handled(self, channel: str, route: str, outcome: str, seconds: float) -> None:
        self._messages.labels(channel, route, outcome).inc()
        self._handling.labels(channel, route).observe(seconds)

    def tool_called(self, tool: str, status: str) -> None:
        self._tools.labels(tool, status).inc()

    def llm_answered(
        self, model: str, first_token_s: float | None, tokens: int, generating_s: float
    ) -> None:
        """One streamed answer: its wait for the first piece, and Ollama's own token count."""
        if first_token_s is not None:
            self._first_token.labels(model).observe(first_token_s)
        if tokens > 0:
            self._tokens.labels(model).inc(tokens)
            if generating_s > 0:
                self._speed.labels(model).observe(tokens / generating_s)

    def job_fired(self, skill: str, kind: str, timing: str, result: str) -> None:
        self._firings.labels(skill, kind, timing, result).inc()

    def work_done(self, kind: str, seconds: float) -> None:
        self._work.labels(kind).observe(seconds)

    def vault_synced(self, notes: int, passages: int, at: datetime) -> None:
        self._vault_notes.set(notes)
        self._vault_passages.set(passages)
        self._vault_synced.set(at.timestamp())

    # ── just before a scrape ─────────────────────────────────────────────────────────────────

    def set_queues(self, inbox: int, outbox: int, slots: Iterable[LLMSlots]) -> None:
        self._inbox.set(inbox)
        self._outbox.set(outbox)
        for gauge in (self._slots, self._slots_busy, self._slots_waiting):
            gauge.clear()
        for endpoint in slots:
            self._slots.labels(endpoint.endpoint).set(endpoint.limit)
            self._slots_busy.labels(endpoint.endpoint).set(endpoint.busy)
            self._slots_waiting.labels(endpoint.endpoint).set(endpoint.waiting)

    def set_channels(self, connected: dict[str, bool]) -> None:
        self._connected.clear()
        for channel, up in connected.items():
            self._connected.labels(channel).set(1 if up else 0)

    def set_gpus(self, gpus: Iterable[GPUReading]) -> None:
        for gauge in (self._gpu_used, self._gpu_total, self._gpu_load):
            gauge.clear()
        for gpu in gpus:
            labels = (str(gpu.index), gpu.name)
            self._gpu_used.labels(*labels).set(gpu.memory_used_bytes)
            self._gpu_total.labels(*labels).set(gpu.memory_total_bytes)
            self._gpu_load.labels(*labels).set(gpu.utilisation_pct / 100.0)

    def render(self) -> bytes:
        """Everything in the Prometheus text format."""
        return generate_latest(self.registry)


def outcome_of(route: str, statuses: Iterable[str], replied: bool) -> str:
    """One word for how a message went: failed, denied, asked, replied or silent."""
    seen = set(statuses)
    if route == "error" or "failed" in seen:
        return "failed"
    if route == "refused" or "denied" in seen:
        return "denied"
    if "needs_confirmation" in seen:
        return "asked"
    return "replied" if replied else "silent"
