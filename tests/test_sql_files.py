"""The analysts' SQL files and the connector declarations, without running Flink."""
from __future__ import annotations

import base64
import re

import pytest

from jobs import sql_files
from jobs.config import document, interval_literal, parse
from jobs.io import AwsIO, sink_ddl
from jobs.outputs import BY_VIEW, OUTPUTS
from tests.fixtures import T0, line, record
from tests.test_config import minimal
from tooling.file_io import FileIO

pytestmark = pytest.mark.unit


_LAYERS = {"staging": 1, "analytics": 2, "output": 3}


def _views() -> dict[str, tuple[str, str, str]]:
    """view -> (file name, header, body without comments), one view per file."""
    out = {}
    for path in sorted(sql_files.SQL_DIR.glob("*.sql")):
        text = path.read_text()
        header = text.split("CREATE", 1)[0]
        body = sql_files._strip_comments(text)
        created = re.findall(r"CREATE TEMPORARY VIEW (\w+)", body)
        assert len(created) == 1, f"{path.name}: one view per file, found {created}"
        out[created[0]] = (path.name, header, body)
    return out


def test_files_are_layered_one_view_each_named_like_the_file():
    views = _views()
    assert views
    for view, (name, header, _) in views.items():
        m = re.fullmatch(r"([1-9])\d_(staging|analytics|output)_([a-z_]+)\.sql", name)
        assert m, name
        assert int(m.group(1)) == _LAYERS[m.group(2)], f"{name}: the first digit is the layer"
        assert view in (m.group(3), f"telemetry_{m.group(3)}"), f"{name} defines {view}"
        for part in ("One row:", "Event time:", "Read by:"):
            assert part in header, f"{name} header lacks '{part}'"
    # Outputs are exactly the views the sinks read, and only outputs feed a sink.
    outputs = {view for view, (name, _, _) in views.items() if "_output_" in name}
    assert outputs == {o.view for o in OUTPUTS}


def test_read_by_headers_match_the_from_clauses():
    views = _views()
    for view, (name, header, _) in views.items():
        said = header.split("Read by:", 1)[1]
        named = set(re.findall(r"\d\d_[a-z_]+\.sql", said))
        readers = {other for v, (other, _, body) in views.items()
                   if v != view and re.search(rf"\b(FROM|JOIN|TABLE)\s+{view}\b", body, re.IGNORECASE)}
        assert named == readers, f"{name}: 'Read by' says {sorted(named)}, the FROM clauses say {sorted(readers)}"
        if "_output_" in name:
            assert "sink" in said and not readers, f"{name}: an output is read by its sink only"


def test_no_connector_options_in_business_sql():
    for path in sql_files.SQL_DIR.glob("*.sql"):
        text = path.read_text().lower()
        assert "'connector'" not in text and "create table" not in text.replace("temporary view", ""), path.name


def test_every_placeholder_is_a_config_key():
    values = parse(document(minimal())).placeholders()
    statements = sql_files.statements(values)
    assert all("{{" not in s for _, s in statements)
    assert any("INTERVAL '0 00:01:00.000' DAY TO SECOND(3)" in s for _, s in statements)


@pytest.mark.parametrize("ms, literal", [
    (0, "INTERVAL '0 00:00:00.000' DAY TO SECOND(3)"),
    (2_500, "INTERVAL '0 00:00:02.500' DAY TO SECOND(3)"),
    (120_000, "INTERVAL '0 00:02:00.000' DAY TO SECOND(3)"),
    (3_600_000, "INTERVAL '0 01:00:00.000' DAY TO SECOND(3)"),
    (86_400_000 + 3_723_004, "INTERVAL '1 01:02:03.004' DAY TO SECOND(3)"),
])
def test_interval_literal(ms, literal):
    assert interval_literal(ms) == literal


def test_duration_keys_give_number_and_interval_placeholders():
    values = parse(document(minimal(**{"job/window.size.s": "300", "job/watermark.out-of-orderness.ms": "120000"}))) \
        .placeholders()
    assert values["job.window.size.s"] == "300"
    assert values["job.window.size"] == "INTERVAL '0 00:05:00.000' DAY TO SECOND(3)"
    assert values["job.watermark.out-of-orderness"] == "INTERVAL '0 00:02:00.000' DAY TO SECOND(3)"
    assert values["rules.alert.cooldown"] == "INTERVAL '0 00:01:00.000' DAY TO SECOND(3)"


def test_unknown_placeholder_names_file_and_key(tmp_path):
    (tmp_path / "10_staging_x.sql").write_text("SELECT {{rules.threshold.engin}};\n")
    unknown = r"10_staging_x.sql: unknown placeholder \{\{rules.threshold.engin\}\}"
    with pytest.raises(sql_files.SqlFileError, match=unknown):
        sql_files.statements({"rules.threshold.engine": "1.0E0"}, tmp_path)


def test_statement_split_keeps_comments_out_and_strings_in(tmp_path):
    (tmp_path / "10_a.sql").write_text("-- header; with a semicolon\nSELECT '--not a comment';\n\nSELECT 2;")
    assert [s for _, s in sql_files.statements({}, tmp_path)] == ["SELECT '--not a comment'", "SELECT 2"]


def test_aws_connector_options_come_from_config():
    config = parse(document(minimal(**{"aws/endpoint": "http://127.0.0.1:5000",
                                       "aws/credentials.provider": "BASIC",
                                       "aws/credentials.access-key-id": "testing",
                                       "aws/credentials.secret-key": "testing",
                                       "source.telemetry/init.position": "TRIM_HORIZON",
                                       "sinks/flush.timeout.ms": "1000"})))
    io = AwsIO(config)
    aws = {"aws.region": "eu-west-1", "aws.endpoint": "http://127.0.0.1:5000",
           "aws.credentials.provider": "BASIC", "aws.credentials.basic.accesskeyid": "testing",
           "aws.credentials.basic.secretkey": "testing"}
    # The DataStream source spells the credential keys aws.credentials.provider.basic.*.
    assert io.source_options() == {
        "aws.region": "eu-west-1", "aws.endpoint": "http://127.0.0.1:5000", "aws.credentials.provider": "BASIC",
        "aws.credentials.provider.basic.accesskeyid": "testing", "aws.credentials.provider.basic.secretkey": "testing",
        "source.init.position": "TRIM_HORIZON", "source.shard.discovery.interval": "10 s",
        "source.reader.type": "POLLING"}
    sinks = {o.view: io.sink_options(o) for o in OUTPUTS}
    common = {**aws, "sink.flush-buffer.timeout": "1000", "sink.http-client.protocol.version": "HTTP1_1"}
    # Firehose with many lines to a record (connectors/src/main/java/.../PackedFirehoseTableFactory.java).
    packed = {"connector": "firehose-packed", "sink.pack.linger.ms": "200", "format": "raw", **common}
    assert sinks["fast_laps"] == {"delivery-stream": "fast-laps", **packed}
    assert sinks["dead_letters"] == {"delivery-stream": "dead-letters", **packed}
    assert sinks["alerts"] == {"connector": "kinesis", "format": "json", **common,
                               "stream.arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/alerts"}
    assert sinks["window_aggregates"] == {"connector": "dynamodb", "table-name": "window-aggregates", **common}
    assert sinks["latest_state"] == {"connector": "dynamodb", "table-name": "latest-state", **common}


def test_firehose_linger_0_sends_one_line_per_record():
    io = AwsIO(parse(document({**minimal(), "sinks": {"firehose.linger.ms": "0"}})))
    assert io.sink_options(BY_VIEW["fast_laps"])["connector"] == "firehose"
    assert "sink.pack.linger.ms" not in io.sink_options(BY_VIEW["fast_laps"])


def test_on_aws_no_endpoint_credentials_or_http1():
    io = AwsIO(parse(document(minimal())))
    opts = io.sink_options(OUTPUTS[0])
    assert not any(k.startswith("aws.credentials") or k == "aws.endpoint" for k in opts)
    assert "sink.http-client.protocol.version" not in opts


def test_replay_source_lines_carry_event_time_and_verdict(tmp_path):
    """A replayed line becomes `<event ms> TAB <verdict> TAB <origin> TAB <payload>`, as the Kinesis
    deserializer writes them (origin: `file <clock> <line number>`, and the bytes in base64 when a
    line is not UTF-8: the raw archive keeps them). The stream's clock for a line is the median event time of the
    records that follow it (the last ones use those before): 'F' beyond job.max-future-skew.s
    (120 s); 'L' at or behind the newest accepted event time minus 5 s; unreadable gets 0."""
    def rec(seconds):
        return line(record("v", seconds)).encode()
    lines = [rec(0), rec(1), b"not json \xff", rec(10**8), rec(2), rec(3), b"\r", rec(4), rec(-1)]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    prepared = FileIO(source, tmp_path / "out").prepare(parse(document(minimal())), tmp_path / "work", followers=4)
    out = [x.split(b"\t", 3) for x in prepared.read_bytes().split(b"\n")[:-1]]
    t0 = int(T0.timestamp() * 1000)
    assert [(int(ms), verdict) for ms, verdict, _, _ in out] == [
        (t0, b"-"), (t0 + 1000, b"-"), (0, b"-"), (0, b"F"), (t0 + 2000, b"-"), (t0 + 3000, b"-"), (0, b"-"),
        (t0 + 4000, b"-"), (t0 - 1000, b"L")]
    assert [payload for _, _, _, payload in out] == [x if x != b"\r" else b"" for x in lines]
    origins = [origin.split(b" ") for _, _, origin, _ in out]
    assert [(o[0], o[2]) for o in origins] == [(b"file", str(n).encode()) for n in range(1, 10)]
    assert [o[3:] for o in origins] == [[]] * 2 + [[base64.b64encode(b"not json \xff")]] + [[]] * 6


def test_ddl_rendering():
    window_output = next(o for o in OUTPUTS if o.view == "window_aggregates")
    ddl = sink_ddl(window_output, {"connector": "dynamodb"}, partitioned=True)
    assert "`vehicle_id` STRING NOT NULL" in ddl and "`avg_speed` DOUBLE,\n" in ddl and "`max_rpm` INT," in ddl
    assert "PRIMARY KEY (vehicle_id, window_start) NOT ENFORCED" in ddl
    assert "PARTITIONED BY (vehicle_id, window_start)" in ddl
    assert "'connector' = 'dynamodb'" in ddl


@pytest.mark.sql
@pytest.mark.parametrize("edit, message", [
    (("AS avg_speed,", "AS avg_speed, 1 AS surprise,"), "column surprise (INT) is not in the contract"),
    (("AS max_rpm", "AS top_rpm"), "column max_rpm (INT) is missing; column top_rpm (INT) is not in the contract"),
    (("MAX(rpm) AS max_rpm", "CAST(MAX(rpm) AS DOUBLE) AS max_rpm"), "column max_rpm is DOUBLE, the contract says INT"),
])
def test_an_output_view_that_breaks_its_contract_stops_the_job(tmp_path, edit, message):
    """An analyst's edit that would change the DynamoDB items fails at build, naming file and column."""
    import shutil

    from jobs.telemetry_job import JobBuildError, build, configure, create_table_env
    from tooling.paths import HELPERS_JAR
    from tooling.replay import replay_config

    sql_dir = shutil.copytree(sql_files.SQL_DIR, tmp_path / "sql")
    target = sql_dir / "31_output_window_aggregates.sql"
    text = target.read_text()
    assert edit[0] in text
    target.write_text(text.replace(edit[0], edit[1], 1))
    (tmp_path / "in.jsonl").write_text("")
    config = replay_config()
    t_env = create_table_env(parallelism=1, jars=(HELPERS_JAR,))
    configure(t_env, config)
    with pytest.raises(JobBuildError) as e:
        build(t_env, config, FileIO(tmp_path / "in.jsonl", tmp_path / "out"), sql_dir=sql_dir)
    assert str(e.value) == ("sql/31_output_window_aggregates.sql: view window_aggregates does not match its output "
                            f"contract (jobs/io.py OUTPUTS): {message}")


def _java_helpers():
    from pyflink.java_gateway import get_gateway

    from jobs.telemetry_job import create_table_env
    from tooling.paths import HELPERS_JAR

    create_table_env(jars=(HELPERS_JAR,))        # loads the helpers into the gateway
    return get_gateway()


@pytest.mark.sql
def test_the_helpers_load_on_whichever_gateway_thread_serves_the_call():
    """py4j serves a Python caller that finds every connection busy on a new JVM thread: the jars
    must be loadable there too (a build failed with ClassNotFoundException on such a thread)."""
    import threading
    import time

    jvm = _java_helpers().jvm
    holders = 8
    start = threading.Barrier(holders + 1)
    loaded, failed = [], []

    def load(hold_ms: int = 0) -> None:
        try:
            if hold_ms:
                jvm.java.lang.Thread.sleep(hold_ms)
            loaded.append(jvm.io.telemetry.flink.ShardVerdicts(5).getClass().getName())
        except Exception as e:
            failed.append(str(e).splitlines()[0])

    def hold_then_load() -> None:
        start.wait()
        load(hold_ms=600)  # holds a connection while the others open theirs

    threads = [threading.Thread(target=hold_then_load) for _ in range(holders)]
    for t in threads:
        t.start()
    start.wait()
    time.sleep(0.3)
    load()  # every connection is busy: a new one, on a new thread
    for t in threads:
        t.join()
    assert failed == []
    assert loaded == ["io.telemetry.flink.ShardVerdicts"] * (holders + 1)


def _broken(**changes) -> str:
    """A record with a readable event_time (11 s) and the given fields replaced ('a__b' is a.b)."""
    r = record("v", 11)
    for path, value in changes.items():
        node = r
        *parents, leaf = path.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return line(r)


@pytest.mark.sql
def test_replay_and_kinesis_write_the_same_source_lines():
    """The replay's verdicts (Python, tooling/file_io.py) and the Kinesis deserializer's (Java) are two
    copies of one rule: fed the same payloads and clocks, they must write the same lines."""
    from tooling.file_io import origin, source_line
    from udfs.telemetry import contract_json

    gateway = _java_helpers()
    contract = gateway.jvm.io.telemetry.flink.TelemetryContract(contract_json())
    t0 = int(T0.timestamp() * 1000)
    cases = [(line(record("v", 10)), t0 + 10_000), (line(record("v", 12)), t0 + 12_000),
             (line(record("v", 6)), t0 + 13_000),             # 6 s behind the newest 12 s: late
             (line(record("v", 7.001)), t0 + 13_000),         # 4.999 s behind: on time
             (line(record("v", 400)), t0 + 14_000),           # 386 s ahead of its clock: future
             (line(record("v", 130)), t0 + 14_000),           # 116 s ahead: accepted
             (line(dict(record("v", 1), event_time="soon")), t0), ("not json \ufffd", t0), ("", 0),
             (line(record("v", 2)), 0),                       # no clock: never future
             (_broken(speed=900.0, event_time="2026-11-23T12:10:00.000Z"), 0),  # rejected: newest stays 130 s
             (line(record("v", 126)), t0 + 14_000)]           # so 126 s is on time
    newest_py, newest_java = [None], gateway.new_array(gateway.jvm.long, 1)
    newest_java[0] = -(2 ** 63)
    verdicts = []
    watermarks = gateway.jvm.io.telemetry.flink.TelemetryWatermarks
    for n, (payload, clock) in enumerate(cases):
        java_origin = watermarks.origin("shardId-000000000003", clock, str(n), None)
        assert java_origin == origin("shardId-000000000003", clock, str(n)).decode()
        java = watermarks.line(contract, payload, java_origin, clock, newest_java, 5000, 120_000)
        python = source_line(payload.encode(), java_origin.encode(), clock, newest_py, 5000, 120_000).decode()
        assert python == java, payload
        verdicts.append(python.split("\t")[:2])
    raw = bytearray(b"\xff\xfe not UTF-8")
    want = "s 1 2 " + base64.b64encode(bytes(raw)).decode()
    assert watermarks.origin("s", 1, "2", raw) == origin("s", 1, "2", bytes(raw)).decode() == want
    assert [v for _, v in verdicts] == ["-", "-", "L", "-", "F", "-", "-", "-", "-", "L", "-", "-"]
    assert verdicts[10][0] == "0" and verdicts[11][0] == str(t0 + 126_000)


@pytest.mark.sql
def test_the_source_rejects_what_the_parser_rejects():
    """A record the parser dead-letters never moves a watermark: the source's Java copy of the
    contract (fed the parser's checks as data) agrees with the parser on valid and broken records,
    the simulator's malformed ones included."""
    from simulator.fleet import generate
    from udfs.telemetry import contract_json, event_ms, parse_record

    contract = _java_helpers().jvm.io.telemetry.flink.TelemetryContract(contract_json())
    speed = '"speed": 150.0'
    ok = line(record("v", 11))
    assert speed in ok
    broken = [_broken(speed=900.0), _broken(speed=True), _broken(speed=None), _broken(speed="1"),
              _broken(rpm=12000.5), _broken(gear=9), _broken(lap_time=0), _broken(vehicle_id="__fleet__"),
              _broken(vehicle_id="a b"), _broken(vehicle_id="x" * 65), _broken(vehicle_id=7),
              _broken(temperatures__engine=-51.0), _broken(temperatures__brakes__rear_left="hot"),
              _broken(temperatures__tires=3), _broken(pressures__tires__front_left=None),
              _broken(suspension__damper_settings=[]), _broken(event_time="2026-02-30T12:00:00.000Z"),
              _broken(event_time="2026-11-23T12:00:00.000"), _broken(event_time="\u0662026-11-23T12:00:00.000Z"),
              ok.replace(speed, '"speed": 1e400'), ok.replace(speed, '"speed": ' + "9" * 400),
              ok.replace(speed, '"speed": NaN'), ok.replace(speed, '"speed": 900, "speed": 150.0x'),
              ok + " trailing", "[" + ok + "]", "null", "{}", "", "\ufffd",
              '{"heartbeat": 1, "event_time": "2026-11-23T12:00:11.000Z"}',
              '{"heartbeat": true, "event_time": "2026-11-23T12:00:11Z"}', '{"heartbeat": true}']
    valid = [ok, line(record("v", 11, speed=500, rpm=25000.0, gear=0, lap_time=3600)),
             ok.replace(speed, speed + ', "note": NaN'), ok.replace(speed, '"speed": 900, ' + speed),
             line(dict(record("v", 11), vehicle_id="car-7:a_b.c")), " " + ok + "\t",
             '{"heartbeat": true, "event_time": "2026-11-23T12:00:11.000Z"}', _broken(heartbeat=True, speed=900.0)]
    simulated = [data.decode("utf-8", "replace") for _, data in generate(vehicles=5, duration=120, malformed_rate=0.2)]
    assert sum(parse_record(p)[0] is not None for p in simulated) > 50
    for payload in broken + valid + simulated:
        java = contract.validEventTime(payload)
        assert (None if java is None else int(java)) == event_ms(payload), payload
    assert all(event_ms(p) is None for p in broken) and all(event_ms(p) is not None for p in valid)


@pytest.mark.sql
def test_the_archive_line_is_json_with_the_exact_record():
    """archive_line (Java, hand-written JSON for speed) against Python's json module: the same
    line, and the payload back exactly, for text that needs escaping; cut and marked past
    256 Ki characters; data_base64 only when the origin carries the bytes."""
    import json

    from tooling.file_io import origin

    gateway = _java_helpers()
    archive_line = gateway.jvm.io.telemetry.flink.ArchiveLine()
    arrival = int(T0.timestamp() * 1000) + 250
    payloads = [line(record("v", 1)), 'quote " backslash \\ slash / tab \t cr \r lf \n nul \x00 bell \x07 us \x1f',
                "unicode é € 𝄞 \u2028 \u2029 \ufffd", "", "x" * 262145]
    for n, payload in enumerate(payloads):
        got = archive_line.eval(origin("shardId-000000000001", arrival, str(n)).decode(), payload)
        want = {"arrival_time": "2026-11-23T12:00:00.250Z", "data": payload[:262144], "sequence_number": str(n),
                "shard_id": "shardId-000000000001", **({"data_truncated": True} if len(payload) > 262144 else {})}
        assert json.loads(got) == want
        assert got == json.dumps(dict(sorted(want.items())), ensure_ascii=False, separators=(",", ":"))
    raw = b"\xff\xfe garbage"
    got = json.loads(archive_line.eval(origin("s", arrival, "7", raw).decode(), raw.decode("utf-8", "replace")))
    assert base64.b64decode(got["data_base64"]) == raw and "data_truncated" not in got
