"""The fleet view's web server: the page, its static files and one server-sent-event stream.

    python -m tooling.fleet_view --config fleet-view.json            # against AWS (read-only)
    python -m tooling.fleet_view --endpoint http://127.0.0.1:5000    # against a running local stand-in
    python -m tooling.fleet_view ... --host 0.0.0.0 --token SECRET   # anything but loopback needs a token

GET /events sends `snapshot` (everything) on connect, then `fleet`, `windows` (the vehicles
whose windows changed), `alert` (one new alert) and `pipeline` as they change, and a comment
every 15 s to keep proxies from closing the stream. The browser never polls.
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import os
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

from jobs.cli import Parser

from .data import AlertReader, AwsJobStatus, DeadLetterCounter, LocalJobStatus, Tables, Targets
from .hub import Hub

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "fleet_view_token"
KEEPALIVE_S = 15.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TokenGate:
    """ASGI middleware: with a token, every request must carry it (?token=, a Bearer header, or
    the cookie set when the page was opened with ?token=)."""

    def __init__(self, app, token: str | None):
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.token:
            return await self.app(scope, receive, send)
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        from_query = parse_qs(scope.get("query_string", b"").decode()).get("token", [""])[0]
        cookie = SimpleCookie(headers.get("cookie", ""))
        supplied = from_query or headers.get("authorization", "").removeprefix("Bearer ").strip() \
            or (cookie[COOKIE].value if COOKIE in cookie else "")
        if not hmac.compare_digest(supplied.encode(), self.token.encode()):
            from starlette.responses import PlainTextResponse

            return await PlainTextResponse("a token is required (?token=...)", status_code=401)(scope, receive, send)
        if not from_query:
            return await self.app(scope, receive, send)

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                value = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", value.encode())]}
            await send(message)

        return await self.app(scope, receive, send_with_cookie)


def create_app(hub: Hub, token: str | None = None):
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, JSONResponse, StreamingResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    async def index(request):
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def snapshot(request):
        return JSONResponse(hub.snapshot())

    async def events(request):
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def on_change(event: str, data) -> None:   # the poller thread
            loop.call_soon_threadsafe(queue.put_nowait, (event, json.dumps(data, separators=(",", ":"))))

        first = hub.subscribe(on_change)

        async def stream():
            try:
                yield f"event: snapshot\ndata: {json.dumps(first, separators=(',', ':'))}\n\n"
                while True:
                    try:
                        event, data = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                    except asyncio.TimeoutError:
                        yield ": keepalive\n\n"
                        continue
                    if event is None:
                        return
                    yield f"event: {event}\ndata: {data}\n\n"
            finally:
                hub.unsubscribe(on_change)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    app = Starlette(routes=[Route("/", index), Route("/events", events), Route("/api/snapshot", snapshot),
                            Mount("/static", StaticFiles(directory=STATIC), name="static")])
    return TokenGate(app, token)


class Served:
    """The app on uvicorn in a thread of this process; stop() ends it (open event streams too)."""

    def __init__(self, hub: Hub, host: str = "127.0.0.1", port: int = 8765, token: str | None = None):
        if not is_loopback(host) and not token:
            raise ValueError(f"serving on {host} (not loopback) needs a token")
        import uvicorn

        self.hub, self.host, self.token = hub, host, token
        self.config = uvicorn.Config(create_app(hub, token), host=host, port=port, log_level="warning",
                                     timeout_graceful_shutdown=2, lifespan="off")
        self.server = uvicorn.Server(self.config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        sockets = [s for srv in getattr(self.server, "servers", []) for s in srv.sockets]
        return sockets[0].getsockname()[1] if sockets else self.config.port

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}/" + (f"?token={self.token}" if self.token else "")

    def start(self, timeout_s: float = 15.0) -> "Served":
        self._thread = threading.Thread(target=self.server.run, name="fleet-view-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the fleet view did not start on {self.host}:{self.config.port}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.hub.close_streams()   # open event streams end, so shutdown does not wait on them
        self.server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> "Served":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def build_hub(targets: Targets, job_rest: str | None = None, alerts_from: str = "TRIM_HORIZON",
              windows_n: int = 30) -> Hub:
    """The hub for these targets; job status from a local MiniCluster's REST API if given, else
    from Managed Flink (if targets.application is set)."""
    if job_rest:
        status = LocalJobStatus(job_rest)
    elif targets.application or (targets.telemetry_stream and not targets.endpoint):
        status = AwsJobStatus(targets)
    else:
        status = None
    source = f"local stand-in {targets.endpoint}" if targets.endpoint else f"AWS {targets.region}"
    return Hub(Tables(targets), AlertReader(targets, alerts_from), DeadLetterCounter(targets), status,
               windows_n=windows_n, source=source)


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m tooling.fleet_view", description="The live fleet view, read-only on the job's outputs.")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--config", type=Path, help="JSON file of targets (terraform output -json fleet_view_config)")
    where.add_argument("--endpoint", help="a running local stand-in (moto), with tooling/local_aws.py's names")
    p.add_argument("--region", default="us-east-1", help="region of the local stand-in (with --endpoint)")
    p.add_argument("--job-rest", help="a local MiniCluster's REST API, for job status and records/s")
    p.add_argument("--host", default="127.0.0.1", help="address to bind; anything but loopback needs --token")
    p.add_argument("--port", type=int, default=8765, help="port (0: any free one)")
    p.add_argument("--token", default=os.environ.get("FLEET_VIEW_TOKEN"),
                   help="required with a non-loopback --host (default: $FLEET_VIEW_TOKEN)")
    p.add_argument("--alerts-from", choices=("TRIM_HORIZON", "LATEST"), default="TRIM_HORIZON",
                   help="where the alert feed starts in the stream")
    p.add_argument("--windows", type=int, default=30, help="windows per chart")
    args = p.parse_args(argv)
    if not is_loopback(args.host) and not args.token:
        p.error(f"--host {args.host} is not loopback: give --token (or FLEET_VIEW_TOKEN)")
    if not 1 <= args.windows <= 500:
        p.error(f"--windows must be 1..500, got {args.windows}")
    if args.config:
        try:
            targets = Targets.from_file(args.config)
        except (OSError, ValueError, TypeError) as e:
            p.error(str(e))
    else:
        from tooling.local_aws import LocalResources

        targets = Targets.local(LocalResources(), args.region, args.endpoint)
    hub = build_hub(targets, args.job_rest, args.alerts_from, args.windows).start()
    try:
        with Served(hub, args.host, args.port, args.token) as served:
            print(f"fleet view on {served.url} ({hub.pipeline['source']}); Ctrl-C stops it", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        return 130
    finally:
        hub.stop()


if __name__ == "__main__":
    sys.exit(main())
