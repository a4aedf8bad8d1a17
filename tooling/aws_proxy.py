"""An HTTP proxy between the job and the local AWS stand-in: it counts what the sinks really send
and can cut them off.

Every service shares one endpoint locally (moto), so the proxy works per request, by its
X-Amz-Target. It forwards everything and records, per sink operation and target (stream,
delivery stream or table), the requests and each record's billable size: what the cost
benchmark prices (benchmarks/cost.py) and what the sink outage test refuses (`paused`: each
sink request then has its connection closed without an answer, as an unreachable endpoint
would; the source's reads still go through). The local AWS traffic is JSON (CBOR is off for moto).
"""
from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
from collections import Counter, defaultdict
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

KINESIS_PUT = ("Kinesis_20131202.PutRecords", "Kinesis_20131202.PutRecord")
FIREHOSE_PUT = ("Firehose_20150804.PutRecordBatch", "Firehose_20150804.PutRecord")
DYNAMODB_WRITE = ("DynamoDB_20120810.BatchWriteItem",)
SINK_OPERATIONS = KINESIS_PUT + FIREHOSE_PUT + DYNAMODB_WRITE

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate"}


def dynamodb_item_size(item: dict) -> int:
    """An item's size as DynamoDB bills it: attribute names plus values (strings in UTF-8 bytes,
    numbers about one byte per two significant digits plus one, booleans and nulls one byte)."""
    def value_size(v: dict) -> int:
        (kind, x), = v.items()
        if kind == "S":
            return len(x.encode())
        if kind == "N":
            digits = Decimal(x).normalize().as_tuple().digits
            return (len(digits) + 1) // 2 + 1
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "B":
            return len(base64.b64decode(x))
        if kind == "M":
            return 3 + sum(len(k.encode()) + value_size(w) for k, w in x.items())
        if kind == "L":
            return 3 + sum(1 + value_size(w) for w in x)
        return len(json.dumps(x))
    return sum(len(k.encode()) + value_size(v) for k, v in item.items())


def _records(operation: str, body: dict) -> tuple[str, list[int]]:
    """(target, billable bytes of each record) of one sink request."""
    if operation in KINESIS_PUT:
        target = body.get("StreamARN") or body.get("StreamName") or "?"
        records = body.get("Records") or [body]
        # A PUT payload unit counts the data and the partition key.
        return target.rsplit("/", 1)[-1], [len(base64.b64decode(r["Data"])) + len(r["PartitionKey"].encode())
                                           for r in records]
    if operation in FIREHOSE_PUT:
        records = body.get("Records") or [body.get("Record", {})]
        return body.get("DeliveryStreamName", "?"), [len(base64.b64decode(r.get("Data", ""))) for r in records]
    sizes: list[int] = []
    target = "?"
    for table, writes in body.get("RequestItems", {}).items():
        target = table
        for w in writes:
            if "PutRequest" in w:
                sizes.append(dynamodb_item_size(w["PutRequest"]["Item"]))
            else:                       # a delete is billed as a write of at least 1 KB too
                sizes.append(dynamodb_item_size(w["DeleteRequest"]["Key"]))
    return target, sizes


class AwsProxy:
    def __init__(self, upstream: str):
        target = urlsplit(upstream)
        self.upstream = (target.hostname, target.port)
        self.paused = threading.Event()
        self.refused: Counter = Counter()
        # (operation, target) -> requests; -> billable size of every record sent
        self.requests: Counter = Counter()
        self.record_sizes: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                operation = self.headers.get("X-Amz-Target", "")
                if operation in SINK_OPERATIONS:
                    if proxy.paused.is_set():
                        with proxy._lock:
                            proxy.refused[operation] += 1
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    proxy._count(operation, body)
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                except OSError:         # the stand-in is gone (a run shutting down): say so, quietly
                    self.send_error(502, "upstream unreachable")
                    self.close_connection = True
                    return
                finally:
                    upstream.close()
                self.send_response(answer.status, answer.reason)
                for k, v in answer.getheaders():
                    if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="aws-proxy", daemon=True)

    def _count(self, operation: str, body: bytes) -> None:
        try:
            target, sizes = _records(operation, json.loads(body))
        except (ValueError, KeyError, TypeError):
            target, sizes = "?", []
        with self._lock:
            self.requests[(operation, target)] += 1
            self.record_sizes[(operation, target)].extend(sizes)

    def __enter__(self) -> "AwsProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
