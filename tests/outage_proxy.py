"""A pausable proxy between the job and the AWS stand-in, for sink outages.

Every service shares one endpoint locally (moto), so the proxy works per request, not per port:
while paused, each request for a sink operation (Kinesis PutRecords, Firehose PutRecordBatch,
DynamoDB BatchWriteItem, by its X-Amz-Target) has its connection closed without an answer, as an
unreachable endpoint would; everything else (the source's reads) goes through. It counts what it
refused, so a test can tell the outage really happened.
"""
from __future__ import annotations

import http.client
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SINK_OPERATIONS = ("Kinesis_20131202.PutRecords", "Kinesis_20131202.PutRecord",
                   "Firehose_20150804.PutRecordBatch", "Firehose_20150804.PutRecord",
                   "DynamoDB_20120810.BatchWriteItem")

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate"}


class OutageProxy:
    def __init__(self, upstream: str):
        target = urlsplit(upstream)
        self.upstream = (target.hostname, target.port)
        self.paused = threading.Event()
        self.refused: Counter = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                operation = self.headers.get("X-Amz-Target", "")
                if proxy.paused.is_set() and operation in SINK_OPERATIONS:
                    proxy.refused[operation] += 1
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status, answer.reason)
                for k, v in answer.getheaders():
                    if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="outage-proxy", daemon=True)

    def __enter__(self) -> "OutageProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
