"""HTTPS ingest (infra/modules/http_ingest): API Gateway's models and mapping templates, exercised.

The request and response templates are the files the Terraform reads (`file()` in the module's
`locals.routes`), rendered by a real Velocity engine, airspeed (what LocalStack renders API Gateway
templates with), with small Python stand-ins for API Gateway's `$input`, `$util`, `$context` and
`$stageVariables`. The rendered request goes to a moto Kinesis stream exactly as API Gateway sends it
(POST, `X-Amz-Target: Kinesis_20131202.<action>`, `application/x-amz-json-1.1`, SigV4), moto's raw
answer is rendered through the response template the integration response selects, and what lands
in the shards is read back through the job's own parser.
"""
from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from simulator import FleetConfig, clean_records
from tests.fixtures import record, ts
from udfs.telemetry import RECORD_SCHEMA, parse_record

airspeed = pytest.importorskip("airspeed", reason="airspeed (Velocity for Python) is a dev dependency")
jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a dev dependency")
hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is a dev dependency")

from tests.test_infra import MODULES, _merged, resources  # noqa: E402

MODULE = MODULES / "http_ingest"
STREAM = "telemetry"
RECORD_MODEL_URL = "https://apigateway.amazonaws.com/restapis/a1b2c3/models/TelemetryRecord"


# ---------------------------------------------------------------- the module's files, as Terraform reads them
def _file_of(expression: str) -> Path:
    """'${file("${path.module}/templates/x.vm")}' -> the file."""
    m = re.fullmatch(r'\$\{file\("\$\{path\.module\}/([\w./]+)"\)\}', expression)
    assert m, expression
    return MODULE / m.group(1)


ROUTES = _merged("locals", MODULE)["routes"]
REQUEST = {r["action"]: _file_of(r["request_template"]).read_text() for r in ROUTES.values()}
RESPONSE = {r["action"]: _file_of(r["response_template"]).read_text() for r in ROUTES.values()}
_ERROR_TEMPLATE = resources(MODULE, "aws_api_gateway_integration_response")["this"]["response_templates"]
ERROR_RESPONSE = (MODULE / re.search(r'/(templates/[\w.]+)"', _ERROR_TEMPLATE["application/json"]).group(1)).read_text()
# selection pattern -> method status (python-hcl2 keeps the HCL string's escapes: "4\\d{2}" is 4\d{2})
KINESIS_ERRORS = {k.replace("\\\\", "\\"): v for k, v in _merged("locals", MODULE)["kinesis_errors"].items()}


def _batch_model() -> dict:
    model = resources(MODULE, "aws_api_gateway_model")["batch"]["schema"]
    m = re.search(r'templatefile\("\$\{path\.module\}/([\w./]+)"', model)
    text = (MODULE / m.group(1)).read_text()
    # templatefile() interpolates ${...} and %{...}: the one placeholder must be all there is.
    assert text.count("${") == 1 and "%{" not in text
    return json.loads(text.replace("${record_model_url}", RECORD_MODEL_URL))


def _validators():
    from referencing import Registry, Resource

    registry = Registry().with_resource(RECORD_MODEL_URL, Resource.from_contents(RECORD_SCHEMA))
    return (jsonschema.Draft4Validator(RECORD_SCHEMA),
            jsonschema.Draft4Validator(_batch_model(), registry=registry))


# ---------------------------------------------------------------- API Gateway's template variables
_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\]")


def json_path(doc, path: str):
    """The JSONPath subset API Gateway templates use here: $, $.a.b, $.a[3], $['a']."""
    assert path.startswith("$"), path
    node, rest = doc, path[1:]
    while rest:
        m = _STEP.match(rest)
        assert m, f"unsupported JSONPath {path!r}"
        key = m.group(1) if m.group(1) is not None else m.group(3)
        if key is not None:
            node = node.get(key) if isinstance(node, dict) else None
        else:
            i = int(m.group(2))
            node = node[i] if isinstance(node, list) and i < len(node) else None
        rest = rest[m.end():]
    return node


class Input:
    """$input: body (raw payload), path(p) (the value), json(p) (the value as compact JSON text)."""

    def __init__(self, body: str):
        self.body = body
        self._doc = json.loads(body)

    def path(self, p: str):
        return json_path(self._doc, p)

    def json(self, p: str) -> str:
        return json.dumps(json_path(self._doc, p), separators=(",", ":"), ensure_ascii=False)


class Util:
    def base64Encode(self, s) -> str:  # noqa: N802 (API Gateway's name)
        return base64.b64encode(str(s).encode("utf-8")).decode("ascii")

    def escapeJavaScript(self, s) -> str:  # noqa: N802
        return json.dumps(str(s))[1:-1].replace("'", "\\'")


def render(template: str, body: str, stream: str = STREAM) -> str:
    return airspeed.Template(template).merge({
        "input": Input(body), "util": Util(), "context": {"requestId": str(uuid.uuid4())},
        "stageVariables": {"stream_name": stream}})


# ---------------------------------------------------------------- Kinesis as API Gateway calls it
def call_kinesis(moto, action: str, rendered: str) -> tuple[int, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from tooling.local_aws import ACCESS_KEY, SECRET_KEY

    request = AWSRequest(method="POST", url=moto.endpoint + "/", data=rendered.encode("utf-8"), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Kinesis_20131202.{action}"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "kinesis", moto.region).add_auth(request)
    req = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


def method_response(action: str, status: int, body: str) -> tuple[str, dict]:
    """The integration response API Gateway selects for Kinesis' status, and its rendered body."""
    if status == 200:
        return "200", json.loads(render(RESPONSE[action], body))
    method_status = next(s for pattern, s in KINESIS_ERRORS.items() if re.fullmatch(pattern, str(status)))
    return method_status, json.loads(render(ERROR_RESPONSE, body))


def read_shards(moto) -> list[dict]:
    client = moto.client("kinesis")
    out = []
    for shard in client.list_shards(StreamName=STREAM)["Shards"]:
        it = client.get_shard_iterator(StreamName=STREAM, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        out += client.get_records(ShardIterator=it, Limit=1000)["Records"]
    return out


@pytest.fixture
def stream(moto):
    client = moto.client("kinesis")
    client.create_stream(StreamName=STREAM, ShardCount=2)
    client.get_waiter("stream_exists").wait(StreamName=STREAM, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    return moto


def _readings(n: int) -> list[dict]:
    return [json.loads(data) for _, data in clean_records(FleetConfig(vehicles=n, duration=1, hz=1))][:n]


HEARTBEAT = {"heartbeat": True, "event_time": ts(5)}


# ---------------------------------------------------------------- the models
@pytest.mark.unit
def test_models_accept_records_and_batches_and_refuse_what_the_parser_would_dead_letter():
    record_model, batch_model = _validators()
    reading, bad = record("veh-1", 0.25), record("veh-1", 0.25, rpm=30000)
    assert record_model.is_valid(reading) and record_model.is_valid(HEARTBEAT)
    assert not record_model.is_valid(bad) and parse_record(json.dumps(bad))[0] == "out_of_range"
    assert batch_model.is_valid({"records": [reading, HEARTBEAT]})
    assert batch_model.is_valid({"records": [reading] * 500})
    for body in ({"records": [reading] * 501}, {"records": []}, {"records": [reading, bad]}, {"records": reading},
                 [reading], {"items": [reading]}):
        assert not batch_model.is_valid(body), str(body)[:80]


# ---------------------------------------------------------------- rendering alone
@pytest.mark.unit
def test_single_record_and_heartbeat_render_to_put_record_requests():
    for body_obj in (record("veh-1", 0.25), *_readings(2)):
        # A client's pretty-printed body still becomes one compact JSON line in Kinesis.
        req = json.loads(render(REQUEST["PutRecord"], json.dumps(body_obj, indent=2)))
        assert set(req) == {"StreamName", "PartitionKey", "Data"}
        assert (req["StreamName"], req["PartitionKey"]) == (STREAM, body_obj["vehicle_id"])
        data = base64.b64decode(req["Data"])
        assert json.loads(data) == body_obj and b"\n" not in data
    req = json.loads(render(REQUEST["PutRecord"], json.dumps(HEARTBEAT)))
    assert json.loads(base64.b64decode(req["Data"])) == HEARTBEAT
    uuid.UUID(req["PartitionKey"])  # no vehicle: the request id, any shard
    keyed = {**HEARTBEAT, "vehicle_id": "shard-1-key"}  # a heartbeat aimed at a shard
    assert json.loads(render(REQUEST["PutRecord"], json.dumps(keyed)))["PartitionKey"] == "shard-1-key"


@pytest.mark.unit
def test_batch_renders_to_one_put_records_request_in_order():
    records = [*_readings(2), HEARTBEAT, record("fleet:car.7_b", 3)]
    req = json.loads(render(REQUEST["PutRecords"], json.dumps({"records": records})))
    assert set(req) == {"StreamName", "Records"} and req["StreamName"] == STREAM
    assert [json.loads(base64.b64decode(e["Data"])) for e in req["Records"]] == records
    keys = [e["PartitionKey"] for e in req["Records"]]
    assert keys[:2] + keys[3:] == [records[0]["vehicle_id"], records[1]["vehicle_id"], "fleet:car.7_b"]
    assert keys[2].endswith("-2")  # the heartbeat: request id and its index
    big = json.loads(render(REQUEST["PutRecords"], json.dumps({"records": [record(f"v{i}", i) for i in range(500)]})))
    assert [e["PartitionKey"] for e in big["Records"]] == [f"v{i}" for i in range(500)]


# ---------------------------------------------------------------- rendered, sent to Kinesis (moto), read back
@pytest.mark.integration
def test_single_records_reach_the_stream_and_parse(stream):
    reading = _readings(1)[0]
    for body in (reading, HEARTBEAT):
        status, answer = call_kinesis(stream, "PutRecord", render(REQUEST["PutRecord"], json.dumps(body)))
        assert status == 200, answer
        method_status, response = method_response("PutRecord", status, answer)
        assert method_status == "200" and response["shard_id"].startswith("shardId-") and response["sequence_number"]
    got = read_shards(stream)
    assert len(got) == 2
    by_reason = {parse_record(r["Data"].decode("utf-8"))[0]: r for r in got}
    assert set(by_reason) == {None, "heartbeat"}
    parsed = parse_record(by_reason[None]["Data"].decode("utf-8"))
    assert parsed[2] == reading["vehicle_id"] == by_reason[None]["PartitionKey"]
    assert parsed[3] == reading["event_time"]


@pytest.mark.integration
def test_a_batch_reaches_the_stream_and_every_record_parses(stream):
    readings = _readings(3)
    status, answer = call_kinesis(stream, "PutRecords",
                                  render(REQUEST["PutRecords"], json.dumps({"records": readings})))
    assert status == 200, answer
    method_status, response = method_response("PutRecords", status, answer)
    assert method_status == "200" and response["failed_record_count"] == 0
    assert len(response["records"]) == 3 and all(e["shard_id"] and e["sequence_number"] for e in response["records"])
    got = read_shards(stream)
    assert sorted((r["PartitionKey"], r["Data"]) for r in got) == sorted(
        (r["vehicle_id"], json.dumps(r, separators=(",", ":")).encode()) for r in readings)
    for r in got:
        parsed = parse_record(r["Data"].decode("utf-8"))
        assert parsed[0] is None and parsed[2] == r["PartitionKey"]
    assert {parse_record(r["Data"].decode())[2] for r in got} == {r["vehicle_id"] for r in readings}


@pytest.mark.integration
def test_partial_failures_and_kinesis_errors_are_reported(stream):
    # PutRecords with one failed entry (the shape Kinesis returns under throttling): 200, count and code.
    answer = {"FailedRecordCount": 1, "Records": [
        {"ShardId": "shardId-000000000000", "SequenceNumber": "4960"},
        {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded for shard"}]}
    _, response = method_response("PutRecords", 200, json.dumps(answer))
    assert response == {"failed_record_count": 1, "records": [
        {"shard_id": "shardId-000000000000", "sequence_number": "4960"},
        {"error_code": "ProvisionedThroughputExceededException", "error_message": "Rate exceeded for shard"}]}
    # Kinesis refuses the call (here: no such stream): a 5xx for the caller, with Kinesis' error type.
    status, answer = call_kinesis(stream, "PutRecord",
                                  render(REQUEST["PutRecord"], json.dumps(record("veh-1", 0)), stream="missing"))
    assert 400 <= status < 500, answer
    method_status, response = method_response("PutRecord", status, answer)
    assert method_status == "503" and response["error"] == "ResourceNotFoundException"
    assert read_shards(stream) == []


@pytest.mark.unit
def test_templates_do_not_copy_the_records_fields():
    # The templates forward the record whole; only vehicle_id (the partition key) is read from it,
    # so a field added to the contract needs no template change.
    fields = set(RECORD_SCHEMA["anyOf"][0]["properties"]) - {"vehicle_id"}
    for text in (*REQUEST.values(), *RESPONSE.values()):
        assert not [f for f in fields if re.search(rf"\.{f}\b", text)], text
