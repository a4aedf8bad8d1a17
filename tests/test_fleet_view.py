"""The live fleet view (tooling/fleet_view): its data layer against moto with exact values, its
server's token gate, and the page in a real browser (Debian's headless Chromium driven by
Playwright): every vehicle's row equals its DynamoDB item, and an alert put on the alert stream
shows in the feed within 2 s. Screenshots go to out/screenshots/.

The outputs are written here as the job writes them (jobs/outputs.py contracts); the job itself
is not run (`make run ARGS=--live` does that).
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from jobs.outputs import BY_VIEW
from tooling.fleet_view.data import AlertReader, DeadLetterCounter, Tables, Targets
from tooling.fleet_view.hub import Intervals, fleet_rows
from tooling.fleet_view.server import Served, build_hub, is_loopback
from tooling.local_aws import LocalResources, create_resources
from tooling.paths import PROJECT_DIR

SCREENSHOTS = PROJECT_DIR / "out" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
RES = LocalResources()
FLEET = "__fleet__"


# ---------------------------------------------------------------- the job's outputs, written as the job would
def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ddb_item(view: str, values: dict) -> dict:
    """A DynamoDB item of the output's contract (every column, numbers as N)."""
    types = dict(BY_VIEW[view].contract)
    assert set(values) == set(types), set(values) ^ set(types)
    return {k: ({"S": v} if types[k] == "STRING" else {"N": str(Decimal(str(v)))}) for k, v in values.items()}


def latest_values(vid: str, event_time: str, speed: float, gear: int, rpm: int, engine: float,
                  brakes: tuple, tires: tuple) -> dict:
    corners = ("front_left", "front_right", "rear_left", "rear_right")
    return {"vehicle_id": vid, "last_event_time": event_time, "speed": speed, "rpm": rpm, "gear": gear,
            "throttle": 0.8, "brakes": 0.0, "steering_angle": -0.1, "engine_temp": engine,
            **{f"brake_temp_{c}": b for c, b in zip(corners, brakes)},
            **{f"tire_temp_{c}": t for c, t in zip(corners, tires)},
            "fuel_consumption": 2.5, "lap_time": 80.0, "extra2": 200.0}


def window_values(vid: str, start: datetime, size_s: int, count: int, avg_speed: float, max_speed: float,
                  max_engine: float, active: int = 1) -> dict:
    return {"vehicle_id": vid, "window_start": iso(start), "window_end": iso(start + timedelta(seconds=size_s)),
            "record_count": count, "active_vehicles": active, "avg_speed": avg_speed, "max_speed": max_speed,
            "max_rpm": 15000, "avg_throttle": 0.7, "avg_engine_temp": max_engine - 5, "max_engine_temp": max_engine,
            "max_brake_temp": 400.0, "max_tire_temp": 90.0, "avg_extra2": 210.0}


def alert(vid: str, rule: str, channel: str, value: float, threshold: float, baseline, event_time: str,
          alert_id: str) -> dict:
    return {"alert_id": alert_id, "vehicle_id": vid, "rule": rule, "channel": channel, "value": value,
            "threshold": threshold, "baseline": baseline, "event_time": event_time, "detected_at": event_time}


class Fixture:
    """A small fleet on the stand-in: 3 vehicles' latest state, 5 windows each and the fleet's, one
    alert on the stream, two dead-letter objects (one GZIP)."""

    def __init__(self, moto, now: datetime | None = None):
        self.moto = moto
        create_resources(moto, RES)
        self.targets = Targets.local(RES, moto.region, moto.endpoint)
        self.ddb, self.kinesis, self.s3 = moto.client("dynamodb"), moto.client("kinesis"), moto.client("s3")
        now = now or datetime(2026, 11, 23, 12, 5, 0, 250000, tzinfo=timezone.utc)
        self.now = now
        t = now - timedelta(seconds=2)
        self.latest = [
            latest_values("veh-0001", iso(t), 131.46, 2, 13599, 96.1, (386.0, 374.1, 348.4, 362.5),
                          (82.3, 83.4, 83.8, 85.7)),
            latest_values("veh-0002", iso(t - timedelta(seconds=3)), 282.41, 6, 14864, 97.0,
                          (368.9, 327.2, 340.1, 318.0), (85.1, 83.8, 84.7, 85.5)),
            latest_values("veh-0003", iso(t - timedelta(seconds=1)), 305.0, 7, 16980, 131.5,
                          (512.25, 600.5, 499.0, 450.0), (101.0, 99.9, 120.75, 98.0)),
        ]
        for v in self.latest:
            self.ddb.put_item(TableName=self.targets.latest_table, Item=ddb_item("latest_state", v))
        first = now.replace(second=0, microsecond=0) - timedelta(seconds=50)
        self.windows = {}
        for n, vid in enumerate(["veh-0001", "veh-0002", "veh-0003", FLEET]):
            ws = [window_values(vid, first + timedelta(seconds=10 * k), 10, 20 + k + n, 200.0 + k + n,
                                250.5 + 2 * k + n, 100.0 + k + n / 2, 3 if vid == FLEET else 1) for k in range(5)]
            if vid == "veh-0002":
                ws = ws[:4]   # no reading in the newest window
            self.windows[vid] = ws
            for w in ws:
                self.ddb.put_item(TableName=self.targets.windows_table, Item=ddb_item("window_aggregates", w))
        self.alerts = [alert("veh-0003", "threshold", "engine", 131.5, 130.0, None, self.latest[2]["last_event_time"],
                             "a" * 32)]
        for a in self.alerts:
            self.put_alert(a)
        bucket, prefix = self.targets.dead_letter_bucket, self.targets.dead_letter_prefix
        self.s3.put_object(Bucket=bucket, Key=f"{prefix}2026/11/23/12/a-1.jsonl", Body=b"".join(
            json.dumps({"reason": r, "detail": "", "raw": "x", "rejected_at": iso(now)}).encode() + b"\n"
            for r in ("not_json", "late", "late")))
        self.s3.put_object(Bucket=bucket, Key=f"{prefix}2026/11/23/12/a-2.jsonl.gz", Body=gzip.compress(
            json.dumps({"reason": "duplicate"}).encode() + b"\n"))

    def put_alert(self, a: dict) -> None:
        self.kinesis.put_record(StreamARN=self.targets.alert_stream_arn, Data=json.dumps(a).encode(),
                                PartitionKey=a["vehicle_id"])


def expected_row(v: dict) -> dict:
    corners = ("front_left", "front_right", "rear_left", "rear_right")
    return {"vehicle_id": v["vehicle_id"], "last_event_time": v["last_event_time"], "speed": v["speed"],
            "gear": v["gear"], "rpm": v["rpm"], "engine_temp": v["engine_temp"],
            "brake_temp_max": max(v[f"brake_temp_{c}"] for c in corners),
            "tire_temp_max": max(v[f"tire_temp_{c}"] for c in corners)}


def point(w: dict) -> dict:
    keep = ("window_start", "window_end", "record_count", "avg_speed", "max_speed", "max_engine_temp")
    return {k: w[k] for k in keep}


# ---------------------------------------------------------------- the data layer against moto
@pytest.mark.integration
def test_tables_give_the_items_exactly(moto):
    f = Fixture(moto)
    tables = Tables(f.targets)
    assert tables.latest() == {v["vehicle_id"]: expected_row(v) for v in f.latest}
    assert tables.latest()["veh-0003"] == {
        "vehicle_id": "veh-0003", "last_event_time": "2026-11-23T12:04:57.250Z", "speed": 305, "gear": 7,
        "rpm": 16980, "engine_temp": 131.5, "brake_temp_max": 600.5, "tire_temp_max": 120.75}
    for vid, ws in f.windows.items():
        assert tables.windows(vid, 30) == [point(w) for w in ws], vid
        assert tables.windows(vid, 2) == [point(w) for w in ws[-2:]], vid   # the newest N, oldest first
    assert tables.newest_fleet_window() == "2026-11-23T12:04:50.000Z"
    assert tables.windows("veh-9999", 5) == []


@pytest.mark.integration
def test_alert_reader_from_trim_horizon_and_latest(moto):
    f = Fixture(moto)
    old = AlertReader(f.targets, "TRIM_HORIZON")
    new = AlertReader(f.targets, "LATEST")
    got = old.poll()
    assert [{k: v for k, v in a.items() if k != "arrived_at"} for a in got] == f.alerts
    assert all(abs(a["arrived_at"] - time.time()) < 60 for a in got)
    assert new.poll() == []
    assert old.poll() == []
    later = alert("veh-0001", "rate_of_change", "brake_front_left", 474.2, 150.0, 322.4, "2026-11-23T12:05:01.000Z",
                  "b" * 32)
    f.put_alert(later)
    f.kinesis.put_record(StreamARN=f.targets.alert_stream_arn, Data=b"not json", PartitionKey="x")
    strip = lambda alerts: [{k: v for k, v in a.items() if k != "arrived_at"} for a in alerts]  # noqa: E731
    assert strip(old.poll()) == [later] and strip(new.poll()) == [later]
    assert old.bad_records == new.bad_records == 1


@pytest.mark.integration
def test_dead_letters_counted_once_each_incrementally(moto):
    f = Fixture(moto)
    counter = DeadLetterCounter(f.targets)
    assert dict(counter.poll()) == {"not_json": 1, "late": 2, "duplicate": 1}
    assert dict(counter.poll()) == {"not_json": 1, "late": 2, "duplicate": 1}   # nothing read twice
    f.s3.put_object(Bucket=f.targets.dead_letter_bucket, Key=f"{f.targets.dead_letter_prefix}2026/11/23/13/b-1.jsonl",
                    Body=b'{"reason": "heartbeat"}\n{"reason": "late"}\n')
    f.s3.put_object(Bucket=f.targets.dead_letter_bucket, Key="fast_laps/elsewhere.csv", Body=b"a,b\n")
    assert dict(counter.poll()) == {"not_json": 1, "late": 3, "duplicate": 1, "heartbeat": 1}
    assert counter.objects == 3


@pytest.mark.integration
def test_hub_snapshot_and_changes(moto):
    f = Fixture(moto)
    hub = build_hub(f.targets, windows_n=3)
    hub.poll_once()
    seen = []
    snap = hub.subscribe(lambda e, d: seen.append((e, d)))
    assert [r["vehicle_id"] for r in snap["fleet"]] == ["veh-0001", "veh-0002", "veh-0003"]
    rows = {r["vehicle_id"]: r for r in snap["fleet"]}
    assert rows["veh-0001"] == {**expected_row(f.latest[0]), "readings_last_window": 24,
                                "last_window_start": "2026-11-23T12:04:50.000Z", "alert": None}
    assert rows["veh-0002"]["readings_last_window"] == 0           # no window item: no reading
    assert rows["veh-0003"]["alert"] == {"rule": "threshold", "channel": "engine",
                                         "event_time": "2026-11-23T12:04:57.250Z"}
    assert snap["windows"]["__fleet__"] == [point(w) for w in f.windows[FLEET][-3:]]
    assert snap["pipeline"]["dead_letters"] == {"duplicate": 1, "late": 2, "not_json": 1}
    assert [a["alert_id"] for a in snap["alerts"]] == ["a" * 32]

    # A new latest state and an alert: one event each, nothing for what did not change.
    v = {**f.latest[0], "speed": 140.0, "last_event_time": "2026-11-23T12:05:00.000Z"}
    f.ddb.put_item(TableName=f.targets.latest_table, Item=ddb_item("latest_state", v))
    f.put_alert(alert("veh-0001", "threshold", "speed", 345.0, 340.0, None, "2026-11-23T12:04:59.000Z", "c" * 32))
    hub._due = dict.fromkeys(hub._due, 0.0)
    hub.poll_once()
    kinds = [e for e, _ in seen]
    assert kinds.count("alert") == 1 and "fleet" in kinds and "windows" not in kinds
    assert [d for e, d in seen if e == "alert"][0]["alert_id"] == "c" * 32
    row = {r["vehicle_id"]: r for r in [d for e, d in seen if e == "fleet"][-1]}["veh-0001"]
    assert row["speed"] == 140 and row["alert"]["channel"] == "speed"


@pytest.mark.unit
def test_fleet_rows_active_alert_is_recent_in_event_time():
    latest = {"v": {"vehicle_id": "v", "last_event_time": "2026-11-23T12:02:00.000Z"}}
    old = {"vehicle_id": "v", "rule": "threshold", "channel": "engine", "event_time": "2026-11-23T12:00:59.999Z"}
    assert fleet_rows(latest, {}, [old], 60)[0]["alert"] is None
    recent = {**old, "event_time": "2026-11-23T12:01:00.000Z"}
    assert fleet_rows(latest, {}, [recent, old], 60)[0]["alert"]["event_time"] == "2026-11-23T12:01:00.000Z"
    assert fleet_rows(latest, {}, [], 60)[0]["readings_last_window"] is None


@pytest.mark.unit
def test_targets_file_rejects_unknown_keys(tmp_path):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"region": "eu-west-1", "latest_table": "l", "windows_table": "w",
                             "alert_stream_arn": "arn", "dead_letter_bucket": "b", "tables": 1}))
    with pytest.raises(ValueError, match="unknown keys"):
        Targets.from_file(p)


@pytest.mark.unit
def test_non_loopback_needs_a_token():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5")
    with pytest.raises(ValueError, match="needs a token"):
        Served(hub=None, host="0.0.0.0")
    from tooling.fleet_view.server import main

    with pytest.raises(SystemExit) as e:
        main(["--endpoint", "http://127.0.0.1:1", "--host", "0.0.0.0"])
    assert e.value.code == 2


@pytest.mark.integration
def test_token_gate(moto):
    f = Fixture(moto)
    hub = build_hub(f.targets)
    with Served(hub, port=0, token="s3cret") as served:
        base = f"http://127.0.0.1:{served.port}"
        for path in ("/", "/api/snapshot", "/static/app.js", "/?token=wrong"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(base + path, timeout=5)
            assert e.value.code == 401, path
        with urllib.request.urlopen(base + "/?token=s3cret", timeout=5) as r:
            assert r.status == 200 and "fleet_view_token=s3cret" in r.headers["set-cookie"]
        req = urllib.request.Request(base + "/api/snapshot", headers={"Cookie": "fleet_view_token=s3cret"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200


# ---------------------------------------------------------------- the page in a real browser
@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (apt-get install chromium) driven by Playwright. Missing: a skip for a
    developer, a failure under CI=true (.ci/run installs it), as for the connector jar."""
    missing = None
    if not shutil.which(CHROMIUM):
        missing = f"{CHROMIUM} missing: apt-get install -y chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = missing or "playwright missing: pip install -e '.[fleet-view]'"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            yield b
        finally:
            b.close()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    print(f"screenshot: {(SCREENSHOTS / name).relative_to(PROJECT_DIR)}")


@pytest.mark.browser
def test_page_shows_the_fleet_and_a_new_alert_within_2s(moto, browser):
    f = Fixture(moto, now=datetime.now(timezone.utc))
    hub = build_hub(f.targets, windows_n=30).start()
    try:
        with Served(hub, port=0) as served:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(served.url)
            page.wait_for_selector("body[data-ready=true]", timeout=10000)
            page.wait_for_selector("#connection.live", timeout=5000)
            expected = {v["vehicle_id"]: expected_row(v) for v in f.latest}
            rows = page.eval_on_selector_all("#fleet-table tbody tr", """trs => trs.map(tr => ({
                id: tr.dataset.vehicle,
                cells: Object.fromEntries([...tr.querySelectorAll('td')].map(td =>
                    [td.dataset.col, {value: td.dataset.value, text: td.textContent}]))}))""")
            assert [r["id"] for r in rows] == sorted(expected)
            for r in rows:
                want, cells = expected[r["id"]], r["cells"]
                for col in ("speed", "gear", "rpm", "engine_temp", "brake_temp_max", "tire_temp_max"):
                    assert float(cells[col]["value"]) == want[col], (r["id"], col)
                    digits = 0 if col in ("gear", "rpm") else 1
                    assert cells[col]["text"] == f"{want[col]:.{digits}f}", (r["id"], col)
            readings = {r["id"]: r["cells"]["readings_last_window"]["text"] for r in rows}
            assert readings == {"veh-0001": "24", "veh-0002": "0", "veh-0003": "26"}
            assert [r["id"] for r in rows if r["cells"]["alert"]["text"]] == ["veh-0003"]
            assert page.text_content("#dead-letters-total") == "4"
            assert page.eval_on_selector_all("#dead-letters .chip", "cs => cs.map(c => c.textContent)") == [
                "duplicate 1", "late 2", "not_json 1"]
            assert page.eval_on_selector_all("#fleet-speed polyline", "ps => ps.length") == 2
            assert page.eval_on_selector_all("#fleet-speed circle", "cs => cs.length") == 10   # 5 windows x 2
            # sortable: by speed, descending after the second click
            page.click("th[data-sort=speed]")
            page.click("th[data-sort=speed]")
            assert page.eval_on_selector_all("#fleet-table tbody tr", "trs => trs.map(t => t.dataset.vehicle)") == [
                "veh-0003", "veh-0002", "veh-0001"]
            _shot(page, "fleet-view-loaded.png")

            new = alert("veh-0001", "rate_of_change", "brake_front_left", 474.2, 150.0, 322.4,
                        iso(datetime.now(timezone.utc)), "d" * 32)
            sent = time.time()
            f.put_alert(new)
            page.wait_for_selector(f"#alert-feed li[data-alert-id='{'d' * 32}']", timeout=2000)
            seen = time.time()
            shown_ms = page.evaluate("window.lastAlertShownAt")
            latency = shown_ms / 1000 - sent
            print(f"alert push latency: {latency * 1000:.0f} ms from put_record to the feed "
                  f"(test saw it after {(seen - sent) * 1000:.0f} ms)")
            assert latency < 2.0
            shown = page.text_content("#alert-latency")
            print(f"the page's own figure (stream arrival to shown): {shown}")
            assert shown.endswith(" ms") and int(shown[:-3]) < 2000
            first = page.eval_on_selector("#alert-feed li", "li => li.textContent")
            assert "veh-0001" in first and "rate_of_change brake_front_left" in first and "474.2" in first \
                and "322.4" in first
            # the vehicle's badge follows the alert
            page.wait_for_selector("tr[data-vehicle=veh-0001] .alert-badge", timeout=2000)
            _shot(page, "fleet-view-alert.png")
            page.close()
    finally:
        hub.stop()


@pytest.mark.integration
def test_hub_thread_and_server_stop_cleanly(moto):
    f = Fixture(moto)
    hub = build_hub(f.targets).start()
    served = Served(hub, port=0).start()
    events = urllib.request.urlopen(f"http://127.0.0.1:{served.port}/events", timeout=5)
    assert events.readline().startswith(b"event: snapshot")
    t = time.monotonic()
    served.stop()
    hub.stop()
    assert time.monotonic() - t < 5
    assert not served._thread.is_alive() and not hub._thread.is_alive()
    events.close()


@pytest.mark.unit
def test_intervals_keep_within_kinesis_read_limits():
    # Five GetRecords per shard and second are shared by every consumer of the alert stream;
    # alerts still reach the page within a second.
    assert 1 / Intervals().alerts <= 2 and Intervals().alerts + Intervals().latest <= 1.0


@pytest.mark.unit
def test_live_sender_paces_by_event_time_and_lets_faults_through():
    import threading

    from tooling.fleet_view.live import at_event_time

    start = 1_700_000_000_000
    now = [100.0]
    sent = []

    def rec(ms, key="v"):
        return key, json.dumps({"vehicle_id": key, "event_time": iso(datetime.fromtimestamp(ms / 1000, timezone.utc))}
                               ).encode()

    records = [rec(start), rec(start + 500), (("x", b'{"truncated": ')), rec(start + 3_600_000, "wrong-clock"),
               rec(start + 1000), rec(start + 200, "late")]
    sleep = lambda s: now.__setitem__(0, now[0] + s)  # noqa: E731
    for key, _ in at_event_time(records, start, threading.Event(), clock=lambda: now[0], sleep=sleep):
        sent.append((key, round(now[0] - 100.0, 3)))
    assert sent == [("v", 0.0), ("v", 0.5), ("x", 0.5), ("wrong-clock", 0.5), ("v", 1.0), ("late", 1.0)]


@pytest.mark.unit
def test_read_only_policy_and_targets_output():
    """infra/fleet_view.tf: exactly the read calls the data layer makes, each on its resource, and
    an output with exactly the keys of Targets (what --config reads)."""
    from dataclasses import fields

    from tests.test_infra import INFRA, _one, _parse, _statements, data_sources

    doc = data_sources(INFRA, "aws_iam_policy_document")["fleet_view"]
    got = {st["sid"]: (sorted(st["actions"]), st["resources"]) for st in _statements(doc)}
    assert got == {
        "ReadOutputTables": (["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"],
                             ["${module.window_aggregates_table.arn}", "${module.latest_state_table.arn}"]),
        "ReadAlertStream": (["kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator",
                             "kinesis:ListShards"], ["${module.alert_stream.arn}"]),
        "ListDeadLetters": (["s3:ListBucket"], ["${module.dead_letter_bucket.arn}"]),
        "ReadDeadLetters": (["s3:GetObject"], ["${module.dead_letter_bucket.arn}/${var.dead_letter_prefix}*"]),
        "DecryptOutputs": (["kms:Decrypt"], ["${module.kms.key_arn}"]),
        "JobStatus": (["kinesisanalytics:DescribeApplication"], ["${module.flink_app.application_arn}"]),
        "ReadIncomingRecords": (["cloudwatch:GetMetricData"], ["*"]),
    }
    listing = next(st for st in _statements(doc) if st["sid"] == "ListDeadLetters")
    assert _one(listing["condition"])["values"] == ["${var.dead_letter_prefix}*"]
    outputs = _parse(INFRA / "fleet_view.tf")["output"]
    config = next(o["fleet_view_config"] for o in outputs if "fleet_view_config" in o)["value"]
    assert set(config) == {f.name for f in fields(Targets)} - {"endpoint"}
