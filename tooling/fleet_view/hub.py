"""One poller per server: reads the data layer on its own schedule, keeps the current view, and
hands each change to every connected browser (no browser causes an AWS call).

Schedules (seconds, `Intervals`): alerts 0.5 (two GetRecords per shard and second, within
Kinesis' five), latest state 0.5, the fleet's newest window 0.5 and every vehicle's windows when
it moved (and every `windows_full`), pipeline (job status, records/s, dead letters) 2.
An event is published only when what it carries changed.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from udfs.telemetry import FLEET_ID

from .data import AlertReader, DeadLetterCounter, Tables


@dataclass(frozen=True)
class Intervals:
    alerts: float = 0.5
    latest: float = 0.5
    windows: float = 0.5
    windows_full: float = 10.0
    pipeline: float = 2.0


def parse_time(text: str | None) -> float | None:
    """An event_time ('2026-11-23T12:00:00.250Z') as epoch seconds."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def fleet_rows(latest: dict[str, dict], windows: dict[str, list[dict]], alerts: list[dict],
               active_s: float) -> list[dict]:
    """The fleet table: each vehicle's latest reading, its readings in the fleet's newest closed
    window, and its active alert (the newest alert within active_s of event time before its
    latest reading)."""
    fleet = windows.get(FLEET_ID) or []
    newest = fleet[-1]["window_start"] if fleet else None
    rows = []
    for vid, row in latest.items():
        count = next((w["record_count"] for w in windows.get(vid, []) if w["window_start"] == newest), 0)
        last = parse_time(row.get("last_event_time"))
        active = None
        for a in alerts:  # newest first
            t = parse_time(a.get("event_time"))
            if a.get("vehicle_id") == vid and t is not None and last is not None and t >= last - active_s:
                active = {"rule": a.get("rule"), "channel": a.get("channel"), "event_time": a.get("event_time")}
                break
        rows.append({**row, "readings_last_window": count if newest else None, "last_window_start": newest,
                     "alert": active})
    return rows


class Hub:
    """The current view and its subscribers. `subscribe(callback)` gets (event, data) for every
    change, from the poller thread; callbacks must not block."""

    def __init__(self, tables: Tables, alerts: AlertReader, dead_letters: DeadLetterCounter,
                 job_status: Callable[[], dict] | None = None, windows_n: int = 30, alerts_kept: int = 200,
                 active_alert_s: float = 60.0, intervals: Intervals = Intervals(), source: str = ""):
        self.tables, self.alert_reader, self.dead_letters, self.job_status = tables, alerts, dead_letters, job_status
        self.windows_n, self.active_alert_s, self.iv = windows_n, active_alert_s, intervals
        self.latest: dict[str, dict] = {}
        self.windows: dict[str, list[dict]] = {}
        self.alerts: deque[dict] = deque(maxlen=alerts_kept)   # newest first
        self.pipeline: dict = {"job": None, "records_per_s": None, "dead_letters": {}, "errors": {}, "source": source}
        self.fleet: list[dict] = []
        self._subs: list[Callable[[str, object], None]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._newest_fleet_window: str | None = None
        self._due = {k: 0.0 for k in ("alerts", "latest", "windows", "windows_full", "pipeline")}

    # ------------------------------------------------------------------ subscribers
    def subscribe(self, callback: Callable[[str, object], None]) -> dict:
        """Adds a subscriber and returns the snapshot it starts from (atomically: no change is
        lost or doubled between the two)."""
        with self._lock:
            self._subs.append(callback)
            return self.snapshot()

    def unsubscribe(self, callback) -> None:
        with self._lock:
            if callback in self._subs:
                self._subs.remove(callback)

    def close_streams(self) -> None:
        with self._lock:
            self._publish(None, None)

    def snapshot(self) -> dict:
        return {"fleet": self.fleet, "windows": self.windows, "alerts": list(self.alerts),
                "pipeline": self.pipeline, "windows_n": self.windows_n, "server_time": time.time()}

    def _publish(self, event: str, data) -> None:
        # under self._lock
        for cb in list(self._subs):
            cb(event, data)

    # ------------------------------------------------------------------ polling
    def start(self) -> "Hub":
        self.poll_once()
        self._thread = threading.Thread(target=self._run, name="fleet-view-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(0.1)

    def poll_once(self) -> None:
        now = time.monotonic()
        for name, step in (("alerts", self._poll_alerts), ("latest", self._poll_latest),
                           ("windows", self._poll_windows), ("pipeline", self._poll_pipeline)):
            if now < self._due[name]:
                continue
            self._due[name] = now + getattr(self.iv, name)
            try:
                step()
                error = None
            except Exception as e:  # an AWS hiccup must not end the page; it is shown in the strip
                error = f"{type(e).__name__}: {e}"[:300]
            if self.pipeline["errors"].get(name) != error:
                with self._lock:
                    errors = {k: v for k, v in self.pipeline["errors"].items() if k != name}
                    if error:
                        errors[name] = error
                    self.pipeline = {**self.pipeline, "errors": errors}
                    self._publish("pipeline", self.pipeline)

    def _poll_alerts(self) -> None:
        new = self.alert_reader.poll()
        if not new:
            return
        received = time.time()
        with self._lock:
            for a in new:
                a = {**a, "received_at": received}
                self.alerts.appendleft(a)
                self._publish("alert", a)
            self._refresh_fleet()

    def _poll_latest(self) -> None:
        latest = self.tables.latest()
        if latest != self.latest:
            with self._lock:
                self.latest = latest
                self._refresh_fleet()

    def _poll_windows(self) -> None:
        newest = self.tables.newest_fleet_window()
        now = time.monotonic()
        full_due = now >= self._due["windows_full"]
        # Vehicles' windows land with the fleet's (one sink flush); the next poll after a move
        # reads them again for stragglers.
        moved = newest != self._newest_fleet_window
        if not (moved or full_due or getattr(self, "_straggler", False)):
            return
        self._straggler = moved
        self._newest_fleet_window = newest
        if full_due:
            self._due["windows_full"] = now + self.iv.windows_full
        ids = [FLEET_ID, *self.latest]
        windows = {vid: w for vid in ids if (w := self.tables.windows(vid, self.windows_n))}
        if windows != self.windows:
            with self._lock:
                changed = {vid: w for vid, w in windows.items() if self.windows.get(vid) != w}
                self.windows = windows
                self._publish("windows", changed)
                self._refresh_fleet()

    def _poll_pipeline(self) -> None:
        status = self.job_status() if self.job_status else None
        letters = dict(sorted(self.dead_letters.poll().items()))
        pipeline = {**self.pipeline, "job": status and status.get("state"), "dead_letters": letters,
                    "records_per_s": status and status.get("records_per_s"),
                    "bad_alert_records": self.alert_reader.bad_records}
        if pipeline != self.pipeline:
            with self._lock:
                self.pipeline = pipeline
                self._publish("pipeline", pipeline)

    def _refresh_fleet(self) -> None:
        # under self._lock
        rows = fleet_rows(self.latest, self.windows, list(self.alerts), self.active_alert_s)
        if rows != self.fleet:
            self.fleet = rows
            self._publish("fleet", rows)
