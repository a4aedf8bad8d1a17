"""The simulator: deterministic, valid, honest ground truth, and producers that lose nothing.

The ground-truth checks run the generated stream through a small reference of the job's
validation, dedup, lateness and alert rules (written from the spec, independent of the
generator), so a manifest that disagrees with the data fails here, not in a benchmark.
"""
from __future__ import annotations

import base64
import json
import math
import re
import threading
from collections import Counter, defaultdict, deque
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.config import Config

from simulator import (
    GARBAGE_KEY,
    MAX_BATCH_BYTES,
    RATE,
    RULE_WINDOW_S,
    TEMP_CHANNELS,
    THRESHOLD,
    WATERMARK_S,
    FleetConfig,
    KinesisProducer,
    channel_group,
    clean_records,
    generate,
    parse_event_time,
    read_jsonl,
    write_jsonl,
)
from simulator.__main__ import main as cli_main
from simulator.physics import GEAR_TOP_KMH, SHIFT_RPM, gear_rpm
from simulator.sinks import paced

# ---- a reference of the job's rules ----------------------------------------------------------------
TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
VID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
CORNERS = ("front_left", "front_right", "rear_left", "rear_right")
_TEMP = (-50, 1500)
SCHEMA = {  # path -> (type, low, high); None = object
    "vehicle_id": (str, None, None), "event_time": (str, None, None), "speed": (float, 0, 500),
    "rpm": (int, 0, 25000), "gear": (int, 0, 8), "throttle": (float, 0, 1), "brakes": (float, 0, 1),
    "steering_angle": (float, -1, 1), "suspension": None, "suspension.ride_height": (float, None, None),
    "suspension.damper_settings": None, **{f"suspension.damper_settings.{c}": (float, None, None) for c in CORNERS},
    "temperatures": None, "temperatures.engine": (float, *_TEMP), "temperatures.brakes": None,
    **{f"temperatures.brakes.{c}": (float, *_TEMP) for c in CORNERS}, "temperatures.tires": None,
    **{f"temperatures.tires.{c}": (float, *_TEMP) for c in CORNERS}, "pressures": None,
    "pressures.engine": (float, None, None), "pressures.brakes": None,
    **{f"pressures.brakes.{c}": (int, None, None) for c in CORNERS}, "pressures.tires": None,
    **{f"pressures.tires.{c}": (float, None, None) for c in CORNERS},
    "fuel_consumption": (float, 0, 100), "lap_time": (float, 0, 3600),
}


def _reject_constant(name):
    raise ValueError(name)  # NaN / Infinity are not JSON


def get(record, path):
    for part in path.split("."):
        record = record[part]
    return record


def dead_letter_reason(data: bytes) -> str | None:
    """The job's validation, from the spec: a reason code, or None for a valid record."""
    try:
        record = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        return "not_json"
    if not isinstance(record, dict):
        return "not_object"
    for path, spec in SCHEMA.items():
        *parents, leaf = path.split(".")
        parent = get(record, ".".join(parents)) if parents else record
        if not isinstance(parent, dict):
            return "wrong_type"
        if leaf not in parent:
            return "missing_field"
        value = parent[leaf]
        if spec is None:
            if not isinstance(value, dict):
                return "wrong_type"
            continue
        typ, low, high = spec
        ok = type(value) is typ or (typ is float and type(value) is int)  # JSON has one number type
        if not ok or (typ is float and not math.isfinite(value)):
            return "wrong_type"
        if low is not None and not (low <= value <= high) or path == "lap_time" and value <= 0:
            return "out_of_range"
    if not TIME_RE.fullmatch(record["event_time"]):
        return "bad_event_time"
    assert VID_RE.fullmatch(record["vehicle_id"])
    return None


def run_job_rules(records):
    """Outcome per record ('ok' or a dead-letter reason), and the accepted ones: (ms, record, index)."""
    outcomes, accepted, seen, max_ms = [], [], set(), -math.inf
    for i, (_, data) in enumerate(records):
        reason = dead_letter_reason(data)
        if reason is None:
            record = json.loads(data)
            ms = parse_event_time(record["event_time"])
            key = (record["vehicle_id"], ms)
            # the job's default job.max-future-skew.s, against the stream so far
            if max_ms > -math.inf and ms - max_ms > 120_000:
                reason = "future_event_time"
            elif key in seen:
                reason = "duplicate"
            elif ms < max_ms - WATERMARK_S * 1000:
                reason = "late"
            else:
                seen.add(key)
                max_ms = max(max_ms, ms)
                accepted.append((ms, record, i))
        outcomes.append(reason or "ok")
    return outcomes, accepted


def channel_series(accepted):
    series = defaultdict(list)
    for ms, record, _ in sorted(accepted, key=lambda a: a[0]):
        for channel in TEMP_CHANNELS + ("speed", "rpm"):
            series[record["vehicle_id"], channel].append((ms, get(record, channel)))
    return series


def max_rise(points) -> float:
    """Largest v2 - v1 with t1 <= t2 <= t1 + window (monotonic-deque sliding minimum)."""
    best, window = 0.0, deque()
    for ms, v in points:
        while window and window[0][0] < ms - RULE_WINDOW_S * 1000:
            window.popleft()
        if window:
            best = max(best, v - window[0][1])
        while window and window[-1][1] >= v:
            window.pop()
        window.append((ms, v))
    return best


def alerts(series):
    """{(vehicle, channel): [(ms, 'rate_of_change' | 'threshold')]} by the job's default rules."""
    found = defaultdict(list)
    for (vid, channel), points in series.items():
        group = channel_group(channel)
        window = deque()
        for ms, v in points:
            if v > THRESHOLD[group]:
                found[vid, channel].append((ms, "threshold"))
            if group in RATE:
                while window and window[0][0] < ms - RULE_WINDOW_S * 1000:
                    window.popleft()
                if window and v - window[0][1] > RATE[group]:
                    found[vid, channel].append((ms, "rate_of_change"))
                while window and window[-1][1] >= v:
                    window.pop()
                window.append((ms, v))
    return found


def span(entry):
    return parse_event_time(entry["start"]), parse_event_time(entry["end"])


# ---- shared data ----------------------------------------------------------------------------------
FAULTY = FleetConfig(vehicles=12, hz=2, duration=1500, seed=3, malformed_rate=0.01, duplicate_rate=0.005,
                     out_of_order_rate=0.005, late_rate=0.003, ramp_rate=12, spike_rate=12, drift_rate=8,
                     silence_rate=6)


@pytest.fixture(scope="module", params=[FAULTY, replace(FAULTY, hz=0.5, vehicles=20, seed=4),
                                        replace(FAULTY, hz=10, vehicles=6, duration=900, seed=5, drift_rate=16)],
                ids=lambda c: f"{c.hz:g}Hz")
def faulty(request):
    sim = generate(request.param)
    records = list(sim)
    outcomes, accepted = run_job_rules(records)
    return sim, records, outcomes, accepted, channel_series(accepted)


@pytest.fixture(scope="module")
def clean():
    records = clean_records(FAULTY)
    return records, run_job_rules(records)


# ---- data -----------------------------------------------------------------------------------------
@pytest.mark.unit
def test_same_seed_same_bytes_and_manifest_other_seed_differs():
    config = FleetConfig(vehicles=4, duration=120, malformed_rate=0.05, duplicate_rate=0.02, spike_rate=60)
    a, b = generate(config), generate(config)
    assert list(a) == list(b) and a.manifest == b.manifest and a.manifest
    c = list(generate(config, seed=config.seed + 1))
    assert c != list(a) and len({p for _, p in c} & {p for _, p in a}) < len(c) // 100


@pytest.mark.unit
def test_clean_records_are_valid_unique_in_order_and_on_schedule(clean):
    records, (outcomes, accepted) = clean
    assert len(records) == FAULTY.vehicles * FAULTY.ticks and set(outcomes) == {"ok"}
    per_vehicle = defaultdict(list)
    for (key, data), (ms, record, _) in zip(records, accepted):
        assert key == record["vehicle_id"] and b"\n" not in data and data.isascii()
        assert type(record["rpm"]) is type(record["gear"]) is int
        assert all(type(v) is int for v in record["pressures"]["brakes"].values())
        assert all(type(get(record, p)) is float for p, s in SCHEMA.items() if s and s[0] is float)
        per_vehicle[key].append((ms, record))
    for rows in per_vehicle.values():
        gaps = {b[0] - a[0] for a, b in zip(rows, rows[1:])}
        assert gaps <= {499, 500, 501}  # 2 Hz, event times rounded to the millisecond
        assert rows[0][0] >= parse_event_time(FAULTY.start)


@pytest.mark.unit
def test_clean_records_are_physically_plausible(clean):
    _, (_, accepted) = clean
    rows = [r for _, r, _ in accepted]
    assert 80 <= min(r["speed"] for r in rows) and max(r["speed"] for r in rows) <= 330
    assert max(r["rpm"] for r in rows) <= 15000 and {r["gear"] for r in rows} <= set(range(1, 9))
    consistent = sum(gear_rpm(r["speed"])[0] == r["gear"] for r in rows)
    assert consistent >= 0.999 * len(rows)
    assert all(abs(r["rpm"] - SHIFT_RPM * r["speed"] / GEAR_TOP_KMH[r["gear"]]) <= 2 for r in rows)
    assert not any(r["throttle"] > 0 and r["brakes"] > 0 for r in rows)
    assert all(90 <= r["temperatures"]["engine"] <= 120 and 70 <= r["temperatures"]["tires"]["rear_left"] <= 120
               and 200 <= r["temperatures"]["brakes"]["front_left"] <= 900 for r in rows)
    assert all(1.5 <= r["fuel_consumption"] <= 4 and 70 <= r["lap_time"] <= 90 for r in rows)
    by_vehicle = defaultdict(list)
    for r in rows:
        by_vehicle[r["vehicle_id"]].append(r)
    for vrows in by_vehicle.values():  # continuity: about 4 g braking, 1.5 g accelerating at most
        assert all(-80 <= b["speed"] - a["speed"] <= 32 for a, b in zip(vrows, vrows[1:]))
        assert len({r["lap_time"] for r in vrows}) > 5  # laps complete and differ


@pytest.mark.unit
def test_clean_records_trip_no_rule(clean):
    _, (_, accepted) = clean
    series = channel_series(accepted)
    assert not alerts(series)
    for (_, channel), points in series.items():  # and not even close: well under half the rate
        group = channel_group(channel)
        if group in RATE:
            assert max_rise(points) < 0.5 * RATE[group]


# ---- faults and the manifest ----------------------------------------------------------------------
@pytest.mark.unit
def test_every_fault_kind_is_produced_and_classified_as_the_manifest_says(faulty):
    sim, records, outcomes, _, _ = faulty
    indexed = {e["index"]: e for e in sim.manifest if "index" in e}
    assert len(indexed) == sum("index" in e for e in sim.manifest)
    for i, outcome in enumerate(outcomes):
        expected = indexed[i]["expected"] if i in indexed else "none"
        assert (outcome if outcome == "ok" else f"dead_letter:{outcome}") == expected.replace("none", "ok"), (
            i, records[i], indexed.get(i))
    kinds = Counter(e["kind"] for e in sim.manifest)
    ooo = ("out_of_order",) if sim.config.hz >= 1 else ()  # below 2/3 Hz one tick is already too late for that
    assert all(kinds[k] for k in ("ramp", "drift", "spike", "silence")), kinds
    assert all(kinds[k] >= 3 for k in ("malformed", "duplicate", "late") + ooo), kinds
    reasons = {e["expected"] for e in sim.manifest}
    assert {f"dead_letter:{r}" for r in ("not_json", "not_object", "missing_field", "wrong_type", "out_of_range",
                                         "bad_event_time", "late", "duplicate")} <= reasons
    details = Counter(e.get("detail") for e in sim.manifest)
    assert details["truncated"] and details["binary"] and details["text"]
    for e in sim.manifest:
        key, data = records[e["index"]] if "index" in e else (None, b"")
        if e.get("detail") == "binary":
            assert key == GARBAGE_KEY and b"\n" not in data and b"\r" not in data
    assert sim.counts["records"] == len(records)


@pytest.mark.unit
def test_the_jobs_own_parser_agrees_with_the_manifest(faulty):
    """Cross-check against udfs.telemetry (the job's validation), where it is importable."""
    parse_record = pytest.importorskip("udfs.telemetry").parse_record
    _, records, outcomes, _, _ = faulty
    for (_, data), outcome in zip(records, outcomes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None  # what the job sees for bytes that are not UTF-8
        # The parser alone cannot see what needs the stream (watermark, state, the stream's clock).
        stream_only = ("duplicate", "late", "future_event_time")
        assert (parse_record(text)[0] or "ok") == (outcome if outcome not in stream_only else "ok"), data


# ---- the record contract (udfs/telemetry_record.schema.json, API Gateway's model) ---------------------
def _record_contract():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a dev dependency")
    from udfs.telemetry import RECORD_SCHEMA

    return jsonschema.Draft4Validator(RECORD_SCHEMA)


@pytest.mark.unit
def test_clean_records_satisfy_the_record_contract():
    contract = _record_contract()
    records = clean_records(FleetConfig(vehicles=12, hz=2, duration=300, seed=3))
    assert len(records) == 7200
    bad = [data for _, data in records if not contract.is_valid(json.loads(data))]
    assert not bad, [e.message for e in contract.iter_errors(json.loads(bad[0]))]


@pytest.mark.unit
def test_records_the_manifest_marks_malformed_break_the_record_contract_and_no_others_do(faulty):
    sim, records, _, _, _ = faulty
    contract = _record_contract()
    malformed = {e["index"]: e for e in sim.manifest if e["kind"] == "malformed"}
    judged = Counter()
    for i, entry in malformed.items():
        try:
            obj = json.loads(records[i][1])
        except ValueError:  # not UTF-8 or not JSON: API Gateway refuses such a body before any model applies
            judged["not_json"] += 1
            continue
        if entry["expected"] == "dead_letter:future_event_time":
            assert contract.is_valid(obj), entry  # well-formed; only the stream's clock tells it is ahead
            judged["future"] += 1
        else:
            assert not contract.is_valid(obj), entry
            judged["invalid"] += 1
    assert judged["not_json"] and judged["invalid"], judged
    # Everything else (readings, duplicates, late and out-of-order copies) is a well-formed record.
    for i in range(0, len(records), 7):
        if i not in malformed:
            assert contract.is_valid(json.loads(records[i][1])), records[i]


@pytest.mark.unit
def test_out_of_order_records_really_are_out_of_order_but_within_the_watermark(faulty):
    sim, _, _, accepted, _ = faulty  # accepted: in arrival order, so they passed the watermark
    newest, behind = {}, set()
    for ms, record, i in accepted:
        vid = record["vehicle_id"]
        if ms < newest.get(vid, -1):
            behind.add(i)
        newest[vid] = max(ms, newest.get(vid, -1))
    assert {e["index"] for e in sim.manifest if e["kind"] == "out_of_order"} <= behind


@pytest.mark.unit
def test_scenarios_in_the_manifest_are_true_in_the_data(faulty):
    sim, _, _, accepted, series = faulty
    for e in sim.manifest:
        start, end = span(e)
        if e["kind"] == "silence":
            assert not any(start <= ms <= end and r["vehicle_id"] == e["vehicle_id"] for ms, r, _ in accepted)
            continue
        if e["kind"] not in ("ramp", "drift", "spike"):
            continue
        group = channel_group(e["channel"])
        points = [(ms, v) for ms, v in series[e["vehicle_id"], e["channel"]] if start <= ms <= end]
        peak = max(v for _, v in points)
        if e["kind"] == "ramp":
            assert max_rise(points) > 2 * RATE[group] and peak < THRESHOLD[group], e
        elif e["kind"] == "drift":
            assert max_rise(points) < 0.8 * RATE[group] and peak < THRESHOLD[group], e
            assert points[-1][1] - points[0][1] > -RATE[group] and peak - points[0][1] > RATE[group] / 2, e
        elif e["expected"] == "alert:threshold":
            assert peak > THRESHOLD[group], e


@pytest.mark.unit
def test_manifest_gives_full_recall_and_precision_for_the_reference_rules(faulty):
    sim, _, _, _, series = faulty
    fired = alerts(series)
    windows = defaultdict(list)
    for e in sim.manifest:
        if e["expected"].startswith("alert:") or e["expected"] == "no_alert":
            windows[e["vehicle_id"], e["channel"]].append((*span(e), e["expected"]))
    for key, found in fired.items():  # precision: every alert is explained by the manifest
        for ms, rule in found:
            assert any(a <= ms <= b and expected == f"alert:{rule}" for a, b, expected in windows[key]), (key, ms, rule)
    for key, spans in windows.items():  # recall: every promised alert fires, drifts stay quiet
        for a, b, expected in spans:
            hits = {rule for ms, rule in fired.get(key, ()) if a <= ms <= b}
            assert (f"alert:{expected[6:]}" in {f"alert:{h}" for h in hits}) if expected != "no_alert" else not hits


# ---- outputs --------------------------------------------------------------------------------------
@pytest.mark.unit
def test_jsonl_file_round_trips_every_byte(tmp_path, faulty):
    _, records, _, _, _ = faulty
    path = tmp_path / "out.jsonl"
    assert write_jsonl(records, str(path)) == len(records)
    assert path.read_bytes().count(b"\n") == len(records)
    assert list(read_jsonl(str(path))) == records
    with pytest.raises(ValueError, match="newline"):
        write_jsonl([("k", b'{"a":\n1}')], str(path))


@pytest.mark.unit
def test_cli_writes_records_and_manifest(tmp_path, capsys):
    out, manifest = tmp_path / "o.jsonl", tmp_path / "m.jsonl"
    assert cli_main(["--vehicles", "3", "--duration", "300", "--out", str(out), "--manifest", str(manifest),
                     "--spike-rate", "60", "--fault-rate", "0.02"]) == 0
    sim = generate(FleetConfig(vehicles=3, duration=300, spike_rate=60, malformed_rate=0.02))
    assert out.read_bytes() == b"".join(p + b"\n" for _, p in sim)
    assert [json.loads(line) for line in manifest.read_text().splitlines()] == sim.manifest
    assert "done:" in capsys.readouterr().err
    assert cli_main(["--clean", "--records", "100", "--vehicles", "10", "--out", str(out)]) == 0
    assert len(out.read_bytes().splitlines()) == 100


class FakeKinesisClient:
    """Accepts everything; records each PutRecords call."""

    def __init__(self):
        self.calls = []

    def put_records(self, Records, **target):
        self.calls.append((target, Records))
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "s"} for _ in Records]}


@pytest.mark.unit
def test_batches_stay_within_put_records_limits_and_oversized_records_fail_loudly():
    client = FakeKinesisClient()
    small = [(f"k{i}", b"x" * 100) for i in range(1201)]
    big = [(f"b{i}", b"y" * (400 * 1024)) for i in range(30)]
    oversized = [("huge", b"z" * (1024 * 1024))]  # data plus key is over 1 MiB
    summary = KinesisProducer(client, stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/s").send(
        small + oversized + big)
    assert summary.sent == 1231 and summary.failed == 1 and summary.failures[0][:2] == ("huge", "RecordTooLarge")
    assert [len(r) for _, r in client.calls] == [500, 500, 201 + 12, 12, 6]  # 12 x 400 KiB fill 5 MiB
    assert all(len(r) <= 500 and sum(len(e["Data"]) + len(e["PartitionKey"]) for e in r) <= MAX_BATCH_BYTES
               for _, r in client.calls)
    assert [e for _, r in client.calls for e in r] == [{"Data": d, "PartitionKey": k} for k, d in small + big]
    assert {tuple(t) for t, _ in client.calls} == {("StreamARN",)}


class FakeKinesis(BaseHTTPRequestHandler):
    """Just enough of the Kinesis JSON API: PutRecords fails the entries `failing(call, i)` says."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        assert self.headers["X-Amz-Target"] == "Kinesis_20131202.PutRecords"
        call = len(server.calls)
        server.calls.append([(e["PartitionKey"], base64.b64decode(e["Data"])) for e in body["Records"]])
        if server.reject(call):  # the whole request throttled, as a 400 with the error type in the body
            return self._answer(400, {"__type": "ProvisionedThroughputExceededException", "message": "Rate exceeded"})
        throttled = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded for shard"}
        results = [throttled if server.failing(call, i, e) else {"SequenceNumber": f"{call}{i:05d}", "ShardId": "s-0"}
                   for i, e in enumerate(body["Records"])]
        self._answer(200, {"FailedRecordCount": sum("ErrorCode" in r for r in results), "Records": results})

    def _answer(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_kinesis():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKinesis)
    server.calls, server.reject = [], lambda call: False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{server.server_port}", region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=Config(retries={"total_max_attempts": 1}))  # the producer's retries only
    yield server, client
    server.shutdown()
    server.server_close()


@pytest.mark.integration
def test_only_failed_entries_are_retried_and_throttling_is_counted(fake_kinesis):
    server, client = fake_kinesis
    server.failing = lambda call, i, entry: call == 0 and i % 3 == 1  # the first call loses every third entry
    records = list(generate(FleetConfig(vehicles=5, duration=60, malformed_rate=0.05)))[:600]
    sleeps = []
    summary = KinesisProducer(client, "telemetry", sleep=sleeps.append).send(records)
    first, retry = server.calls[0], server.calls[1]
    assert first == records[:500] and retry == records[1:500:3]
    assert server.calls[2] == records[500:] and len(server.calls) == 3
    assert (summary.sent, summary.failed, summary.retried, summary.throttled, summary.requests) == (600, 0, 167, 167, 3)
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.1  # jittered backoff before the retry


@pytest.mark.integration
def test_entries_failing_every_attempt_are_reported_not_dropped(fake_kinesis):
    server, client = fake_kinesis
    server.failing = lambda call, i, entry: entry["PartitionKey"] == "veh-0002"
    records = clean_records(vehicles=3, duration=5)
    sleeps = []
    summary = KinesisProducer(client, "telemetry", max_attempts=4, sleep=sleeps.append).send(records)
    assert summary.sent == 20 and summary.failed == 10 and summary.throttled == 40 and summary.retried == 30
    assert {k for k, _, _ in summary.failures} == {"veh-0002"} and len(sleeps) == 3
    assert all(s <= 0.05 * 2 ** (n + 1) for n, s in enumerate(sleeps))  # exponential caps: 0.1, 0.2, 0.4


@pytest.mark.integration
def test_a_throttled_request_is_retried_whole(fake_kinesis):
    server, client = fake_kinesis
    server.reject, server.failing = (lambda call: call == 0), (lambda call, i, entry: False)
    records = clean_records(vehicles=4, duration=10)
    summary = KinesisProducer(client, "telemetry", sleep=lambda s: None).send(records)
    assert server.calls == [records, records]
    assert (summary.sent, summary.failed, summary.retried, summary.throttled, summary.requests) == (80, 0, 80, 1, 2)


@pytest.mark.unit
def test_paced_sending_is_steady_and_batches_do_not_linger():
    now = [0.0]
    clock, sleep = (lambda: now[0]), (lambda s: now.__setitem__(0, now[0] + s))
    sent_at = []
    for _ in paced(range(1000), 200, clock, sleep):
        sent_at.append(now[0])
        now[0] += 0.001  # the work of sending
    assert all(i / 200 <= t <= i / 200 + 0.001 + 1e-9 for i, t in enumerate(sent_at))  # no drift, no bursts
    client = FakeKinesisClient()
    records = clean_records(vehicles=10, duration=20)
    summary = KinesisProducer(client, "s", clock=clock, sleep=sleep).send(records, rate=100)
    assert summary.sent == len(records) == 400 and {len(r) for _, r in client.calls} == {20}  # 0.2 s x 100/s


# ---- against moto -----------------------------------------------------------------------------------
def read_stream(client, name):
    """Every record of every shard, in shard order."""
    out = {}
    for shard in client.list_shards(StreamName=name)["Shards"]:
        it = client.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        rows = out[shard["ShardId"]] = []
        while it:
            page = client.get_records(ShardIterator=it, Limit=1000)
            rows += [(r["PartitionKey"], r["Data"]) for r in page["Records"]]
            it = page.get("NextShardIterator") if page["Records"] else None
    return out


@pytest.mark.integration
def test_every_record_arrives_in_kinesis_exactly_as_generated(moto):
    client = moto.client("kinesis")
    client.create_stream(StreamName="telemetry", ShardCount=2)
    client.get_waiter("stream_exists").wait(StreamName="telemetry", WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    arn = client.describe_stream_summary(StreamName="telemetry")["StreamDescriptionSummary"]["StreamARN"]
    records = list(generate(FleetConfig(vehicles=6, duration=100, malformed_rate=0.05, duplicate_rate=0.02)))
    summary = KinesisProducer(client, stream_arn=arn).send(records)
    assert (summary.sent, summary.failed, summary.retried) == (len(records), 0, 0)
    shards = read_stream(client, "telemetry")
    assert len(shards) == 2 and all(shards.values())
    assert Counter(r for rows in shards.values() for r in rows) == Counter(records)
    for rows in shards.values():  # per partition key, the shard keeps the send order
        for key in {k for k, _ in rows}:
            assert [r for r in rows if r[0] == key] == [r for r in records if r[0] == key]


@pytest.mark.integration
def test_cli_sends_to_kinesis(moto, monkeypatch, tmp_path, capsys):
    for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(var, value)
    client = moto.client("kinesis")
    client.create_stream(StreamName="telemetry", ShardCount=1)
    client.get_waiter("stream_exists").wait(StreamName="telemetry", WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    assert cli_main(["--vehicles", "3", "--duration", "30", "--fault-rate", "0.05", "--stream-name", "telemetry",
                     "--endpoint-url", moto.endpoint, "--region", moto.region, "--rate", "0"]) == 0
    assert read_stream(client, "telemetry")["shardId-000000000000"] == list(
        generate(FleetConfig(vehicles=3, duration=30, malformed_rate=0.05)))
    assert "sent=" in capsys.readouterr().err


@pytest.mark.unit
def test_ground_truth_assumes_the_jobs_default_rules():
    # The simulator reads the job's defaults with one value per channel group: every channel of
    # a group must share it, or the ground truth would be wrong for some of them.
    from jobs.config import SCHEMA
    from simulator import DEAD_LETTER_REASONS
    from tooling.scoring import job_channel
    from udfs.telemetry import REASONS

    defaults = {(k.group, k.name): k.default for k in SCHEMA}
    for ch in TEMP_CHANNELS:
        job = job_channel(ch)
        assert RATE[channel_group(ch)] == defaults[("rules", f"rate.{job}.rise")], ch
        assert RULE_WINDOW_S == defaults[("rules", f"rate.{job}.window.s")], ch
        assert THRESHOLD[channel_group(ch)] == defaults[("rules", f"threshold.{job}")], ch
    for ch in ("speed", "rpm"):
        assert THRESHOLD[ch] == defaults[("rules", f"threshold.{ch}")]
    assert WATERMARK_S * 1000 == defaults[("job", "watermark.out-of-orderness.ms")]
    # heartbeats are sent by whoever runs the job (the local run's end markers), never injected;
    # a parser mismatch is a bug in the job, which no record can ask for
    assert set(DEAD_LETTER_REASONS) == (set(REASONS) | {"duplicate"}) - {"heartbeat", "parser_mismatch"}


@pytest.mark.unit
def test_health_needs_few_late_and_no_parser_mismatch():
    from tooling.scoring import health, health_line

    ok = health(1000, {"late": 10, "future_event_time": 2, "heartbeat": 1})
    assert ok == {"late": 10, "late_share": 0.01, "future_event_time": 2, "future_share": 0.002,
                  "parser_mismatch": 0, "healthy": True}
    assert health_line(ok) == "health: late 10 (1.00%), future_event_time 2 (0.20%) -> healthy"
    assert not health(1000, {"late": 11})["healthy"]
    both = health(1000, {"late": 11, "parser_mismatch": 1})
    assert not both["healthy"]
    assert health_line(both) == ("health: late 11 (1.10%), future_event_time 0 (0.00%) -> WARNING: more than 1% of "
                                 "the records are late; 1 parser_mismatch dead letters, a bug in the job "
                                 "(docs/deploy-and-operate.md)")
    assert not health(1000, {"parser_mismatch": 1})["healthy"]
    assert health(0, {})["healthy"]
