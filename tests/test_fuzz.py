"""Bad input, generated: the parse path never crashes and every record gets a verdict.

Property-based (hypothesis, no example database: each run draws anew; a failure prints the
smallest input that broke it). The parser (udfs/telemetry.py) is the Python the job runs per
record; the source's Java copy of the record contract (TelemetryContract, fed through the gateway)
must agree with it on whether a record has a usable event time, for any input.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures import line, record
from udfs.telemetry import FIELDS, REASONS, parse_record

FUZZ = settings(max_examples=400, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)

FIELD_PATHS = ["vehicle_id", "event_time", "speed", "rpm", "gear", "throttle", "brakes", "steering_angle",
               "temperatures", "temperatures.engine", "temperatures.brakes.front_left", "temperatures.tires",
               "fuel_consumption", "lap_time", "suspension", "pressures"]


@st.composite
def mutated_records(draw) -> str:
    """A valid record with some fields replaced by any JSON value, removed, or wrapped deep."""
    r = record(draw(st.text(min_size=1, max_size=20)), draw(st.floats(0, 86400 * 365)))
    for path in draw(st.lists(st.sampled_from(FIELD_PATHS), max_size=3, unique=True)):
        *parents, leaf = path.split(".")
        node = r
        for p in parents:
            node = node.get(p) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        action = draw(st.sampled_from(["replace", "remove", "nest"]))
        if action == "replace":
            node[leaf] = draw(json_values)
        elif action == "remove":
            node.pop(leaf, None)
        else:
            for _ in range(draw(st.integers(1, 50))):
                node[leaf] = [node.get(leaf)]
    return json.dumps(r, allow_nan=True, ensure_ascii=draw(st.booleans()))


def _verdict_ok(payload: str) -> tuple:
    parsed = parse_record(payload)
    assert len(parsed) == len(FIELDS)
    assert parsed[0] is None or parsed[0] in REASONS, parsed[:2]
    return parsed


@pytest.mark.unit
@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_never_crash_the_parser(data):
    _verdict_ok(data.decode("utf-8", "replace"))


@pytest.mark.unit
@FUZZ
@given(mutated_records())
def test_mutated_records_get_a_verdict(payload):
    parsed = _verdict_ok(payload)
    if parsed[0] is None:
        row = dict(zip(FIELDS, parsed))
        assert isinstance(row["speed"], float) and isinstance(row["vehicle_id"], str) and row["vehicle_id"]


@pytest.mark.unit
@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_odd_unicode_vehicle_ids_get_a_verdict(vehicle):
    _verdict_ok(line(record(vehicle, 10)))


@pytest.mark.unit
@pytest.mark.parametrize("depth", [100, 1_000, 100_000])
def test_deep_nesting_gets_a_verdict(depth):
    nested = "[" * depth + "]" * depth
    too_deep = ("not_json", "payload nests deeper than the parser reads (about 1000 levels)")
    assert _verdict_ok(nested)[:2] == too_deep if depth >= 1000 else _verdict_ok(nested)[0] == "not_object"
    r = line(record("v", 10)).replace('"speed": 150.0', f'"speed": {nested}')
    assert _verdict_ok(r)[:2] == too_deep if depth >= 1000 else _verdict_ok(r)[0] == "wrong_type"


@pytest.mark.unit
def test_a_record_near_kinesis_one_mib_limit_gets_a_verdict():
    r = record("v", 10)
    r["padding"] = "x" * (1024 * 1024 - len(line(r)) - 20)
    payload = line(r)
    assert 1024 * 1024 - 40 < len(payload) <= 1024 * 1024
    assert _verdict_ok(payload)[0] is None           # unknown fields are allowed


@pytest.fixture(scope="module")
def java_contract():
    from pyflink.java_gateway import get_gateway

    from jobs.telemetry_job import create_table_env
    from tooling.paths import HELPERS_JAR
    from udfs.telemetry import contract_json

    create_table_env(jars=(HELPERS_JAR,))        # loads the helpers into the gateway
    return get_gateway().jvm.io.telemetry.flink.TelemetryContract(contract_json())


@pytest.mark.sql
@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(payload=st.one_of(mutated_records(), st.binary(max_size=500).map(lambda b: b.decode("utf-8", "replace"))))
def test_the_source_and_the_parser_agree_on_any_input(java_contract, payload):
    """The source's Java contract gives an event time exactly when the parser accepts the record
    (or it is a heartbeat): a record the parser rejects never moves a watermark."""
    from udfs.telemetry import HEARTBEAT, event_ms

    parsed = parse_record(payload)
    accepted = parsed[0] is None or parsed[0] == HEARTBEAT
    java = java_contract.validEventTime(payload)
    assert (java is not None) == accepted, parsed[:2]
    if accepted:
        assert java == event_ms(payload)


def _java_row(row) -> tuple | None:
    """A GenericRowData from the gateway as the parser's tuple (StringData -> str)."""
    if row is None:
        return None
    values = (row.getField(i) for i in range(row.getArity()))
    return tuple(v if v is None or isinstance(v, (int, float)) else v.toString() for v in values)


# Each number column, with spellings of an in-range value that JSON allows: an integer column as
# an integral float (3.0, 3E0) or an exponent, a float column as an integer literal or with more
# digits than a double keeps; and values just outside the range.
NUMBER_COLUMNS = {"speed": ("speed",), "rpm": ("rpm",), "gear": ("gear",), "throttle": ("throttle",),
                  "engine": ("temperatures", "engine"), "fuel": ("fuel_consumption",), "lap": ("lap_time",),
                  "brake": ("temperatures", "brakes", "front_left"),
                  "tire": ("temperatures", "tires", "rear_right")}
SPELLINGS = ["0", "-0", "-0.0", "3", "3.0", "3E0", "3e+0", "30E-1", "1E2", "1.5", "0.1", "1e-320",
             "212.01000000000000000001", "199.99999999999999999", "4.9E-324", "25000", "25000.0000000001",
             "17823", "1.7823e4", "-1", "1e400", "9007199254740993", "99999999999999999999"]


@st.composite
def respelled_records(draw) -> str:
    """A valid record with one number written another way (the text spliced in, as a producer
    might write it)."""
    r = record(draw(st.sampled_from(["veh-1", "a", "x" * 64])), draw(st.floats(0, 86400 * 365)))
    path = NUMBER_COLUMNS[draw(st.sampled_from(sorted(NUMBER_COLUMNS)))]
    node = r
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = "@@"
    return line(r).replace('"@@"', draw(st.sampled_from(SPELLINGS)))


@pytest.mark.sql
@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(payload=st.one_of(respelled_records(), mutated_records(),
                         st.binary(max_size=500).map(lambda b: b.decode("utf-8", "replace"))))
def test_valid_reading_is_the_parsers_row_for_any_input(java_contract, payload):
    """valid_reading (Java, sql/10_staging_checked.sql) gives exactly the parser's row, value for
    value and type for type, when the parser finds a valid reading, and nothing otherwise: the
    parser then says why. Numbers: an integral float in an integer column is that integer, an
    integer literal in a float column that float."""
    parsed = parse_record(payload)
    java = _java_row(java_contract.reading(payload + " "))   # trailing whitespace: same JSON, parsed afresh
    # As on the Kinesis path: the source's check first, whose tree the row then reuses.
    java_contract.validEventTime(payload)
    assert _java_row(java_contract.reading(payload)) == java
    if parsed[0] is not None:
        assert java is None, parsed[:2]
        return
    assert java == parsed
    assert [type(v) for v in java] == [type(v) for v in parsed]


@pytest.mark.sql
def test_year_zero_is_no_event_time_for_either(java_contract):
    """Java's calendar has a year 0, Python's starts at year 1: the parser rejects it, so the
    source must not take its event time (it would move a watermark) nor valid_reading its row."""
    payload = line(record("veh-1", 0)).replace("2026-11-23", "0000-11-23")
    assert '"0000-11-23T' in payload
    assert parse_record(payload)[:2] == ("bad_event_time", "event_time is not a valid calendar time")
    assert java_contract.validEventTime(payload) is None
    assert java_contract.reading(payload) is None
    assert _java_row(java_contract.reading(line(record("veh-1", 0)))) == parse_record(line(record("veh-1", 0)))


def _corpus(seed: int = 5) -> list[tuple[str, bytes]]:
    """Bad input of every kind found above, with valid records between, one event time each."""
    import random

    rng = random.Random(seed)
    odd = [None, True, "x", -1e308, float("inf"), float("nan"), [], {}, "\U0001f4a5", 2 ** 70, "", "\u0000"]
    corpus, t = [], 0.0

    def next_record(vehicle: str = "veh-fuzz") -> dict:
        nonlocal t
        t += 0.5
        return record(vehicle, t)

    for i in range(240):
        kind = i % 6
        if kind == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
        elif kind == 1:
            r = next_record()
            *parents, leaf = rng.choice(FIELD_PATHS).split(".")
            node = r
            for part in parents:
                node = node[part]
            node[leaf] = rng.choice(odd)
            data = json.dumps(r).encode()
        elif kind == 2:
            depth = rng.choice([10, 500, 5000])
            r = line(next_record()).replace('"gear": 5', '"gear": ' + "[" * depth + "]" * depth)
            data = r.encode()
        elif kind == 3:
            vehicle = rng.choice(["véhicule-1", "车辆", "\u202eveh", "veh\u0000", "veh-\U0001f697", "a" * 65])
            data = json.dumps(next_record(vehicle), ensure_ascii=False).encode() + rng.choice([b"", b"\xed\xa0\x80"])
        else:
            data = line(next_record(f"veh-{i % 7}")).encode()
        corpus.append((f"fuzz-{i}", data))
    big = next_record("veh-big")
    big["padding"] = "x" * (1000 * 1024 - len(line(big)) - 20)
    corpus.append(("big-valid", line(big).encode()))
    big_bad = next_record("veh-big")
    big_bad["padding"], big_bad["speed"] = "x" * (1000 * 1024 - len(line(big_bad)) - 20), "fast"
    corpus.append(("big-broken", line(big_bad).encode()))
    return corpus


@pytest.mark.integration
@pytest.mark.usefixtures("connector_jar")
def test_bad_input_through_the_job_is_all_accounted_for(moto_server):
    """The corpus through Kinesis and the real job (Java source contract, Python parser, sinks):
    the job keeps running, and every record is a window's valid reading or a dead letter with the
    parser's reason; the 1,000 KiB records too (dead letters cut long payloads to fit Firehose)."""
    from collections import Counter

    from tests.backlog import run_backlog

    corpus = _corpus()
    verdicts = Counter(parse_record(data.decode("utf-8", "replace"))[0] for _, data in corpus)
    assert verdicts[None] >= 80 and len(verdicts) >= 5, verdicts
    run = run_backlog(moto_server, corpus, parallelism=2)
    assert run["notes"]["job failures"] == []
    assert run["valid"] == verdicts.pop(None)
    assert run["reasons"] == verdicts + Counter(heartbeat=4), run["reasons"]   # + the 4 end markers
    assert run["valid"] + sum(run["reasons"].values()) == run["read"]


@pytest.mark.sql
@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(ms=st.one_of(st.integers(-62135596800000, 253402300799999),
                    st.sampled_from([0, -1, 1, 999, 1000, -30610224000001, -30610224000000, 253402300799999,
                                     1795435200250, 951782400000, 4107542399999])))
def test_archive_arrival_time_is_utc_text_for_any_time(java_contract, ms):
    """archive_line writes the arrival time digit by digit for years 1000-9999 (the formatter
    otherwise): the same text as a calendar gives, leap days, the epoch and negative times too."""
    from datetime import datetime, timedelta, timezone

    from pyflink.java_gateway import get_gateway

    t = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
    want = f"{t.year:04d}-{t:%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z"
    line = get_gateway().jvm.io.telemetry.flink.ArchiveLine().eval(f"shard-0 {ms} 1", "x")
    assert json.loads(line)["arrival_time"] == want
