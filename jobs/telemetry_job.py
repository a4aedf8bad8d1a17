"""The telemetry job: Kinesis -> staging (parse, validate, enrich, dedupe) -> analytics -> sinks.

Nothing happens at import. `build()` wires a TableEnvironment from a validated Config and an IO
(AWS connectors or files) and returns the StatementSet; tests, the replay and the local run call
it. `main()` is the entry point MSF runs (via the package's main.py): it reads the application
properties, submits and returns; with --config it runs locally and waits.
"""
from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from jobs import sql_files
from jobs.cli import Parser
from jobs.config import MSF_PROPERTIES_PATH, Config, ConfigError, load
from jobs.io import MATERIALIZED_VIEWS, AwsIO, contract_violations, materialize, register_source, sink_ddl
from jobs.outputs import OUTPUTS

_JAR = "telemetry-connectors.jar"


class JobBuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class Checkpoints:
    """Fault tolerance for local runs, shaped like Managed Flink's: RocksDB state, periodic
    checkpoints, restarts from the last checkpoint. MSF sets all of it itself (Terraform's
    checkpoint block) and rejects these keys from code, so they are set only here, locally.

    Restarts back off exponentially (1 s, 2 s, ... up to max_restart_backoff_ms) and never give
    up: a sink endpoint that is away for minutes fails the job once per attempt (its writers
    give up after the SDK's retries) and it must still be there when the endpoint is back. Every
    restart is global (the Kinesis source's split enumerator cannot take back one task's splits)."""
    directory: Path
    interval_ms: int = 10_000
    state_backend: str = "rocksdb"
    max_restart_backoff_ms: int = 10_000

    def settings(self) -> dict[str, str]:
        return {
            "execution.checkpointing.interval": f"{self.interval_ms} ms",
            "execution.checkpointing.dir": self.directory.resolve().as_uri(),
            "execution.checkpointing.mode": "EXACTLY_ONCE",
            "state.backend.type": self.state_backend,
            "restart-strategy.type": "exponential-delay",
            "restart-strategy.exponential-delay.initial-backoff": "1 s",
            "restart-strategy.exponential-delay.max-backoff": f"{self.max_restart_backoff_ms} ms",
            "restart-strategy.exponential-delay.backoff-multiplier": "2.0",
            "restart-strategy.exponential-delay.reset-backoff-threshold": "1 min",
            "restart-strategy.exponential-delay.attempts-before-reset-backoff": str(2**31 - 1),
            # A region failover asks the enumerator to take splits back, which it cannot.
            "jobmanager.execution.failover-strategy": "full",
        }


LOCAL_MANAGED_MB_PER_SLOT = 256


def create_table_env(parallelism: int | None = None, jars: tuple[Path, ...] = (), local: bool = True,
                     state_backend: str | None = None, checkpoints: Checkpoints | None = None,
                     python_workers: str = "loopback"):
    """A streaming TableEnvironment; local ones run on the MiniCluster in the gateway JVM.

    state_backend ('hashmap' or 'rocksdb', local only: MSF sets its own, RocksDB, and rejects the
    key) chooses where keyed state lives; Flink's default is the heap ('hashmap'). checkpoints
    (local only) turns on checkpoints and restarts; its state backend yields to state_backend.
    python_workers (local only, for job.python.execution-mode PROCESS; in THREAD mode the parser
    runs inside the JVM): 'loopback' runs the Python UDF workers inside this process, 'process'
    in worker processes the JVM starts, as on a cluster (a fault test kills one)."""
    if python_workers not in ("loopback", "process"):
        raise ValueError(f"python_workers must be 'loopback' or 'process', got {python_workers!r}")
    if not local and (state_backend or checkpoints):
        raise ValueError("state backend and checkpoints are for local runs: Managed Flink sets its own")
    if local:
        # The AWS SDK's CBOR encoding breaks moto; the gateway JVM reads JVM_ARGS at launch.
        flags = os.environ.get("JVM_ARGS", "")
        if "aws.cborEnabled" not in flags:
            os.environ["JVM_ARGS"] = (flags + " -Daws.cborEnabled=false").strip()
        os.environ.setdefault("AWS_CBOR_DISABLE", "true")
        # PyFlink reads this whenever it wraps an execution environment (here, and again when
        # build() declares the source): it holds until the next local environment is created.
        os.environ["_python_worker_execution_mode"] = python_workers
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.table import StreamTableEnvironment

    # A StreamTableEnvironment: the source is a DataStream source with per-split watermarks.
    env = StreamExecutionEnvironment.get_execution_environment()
    if parallelism:
        # The DataStream part (the source, its split, the parser it chains with) takes the
        # environment's parallelism, not the table config's parallelism.default set below: left
        # alone it ran at one subtask per core whatever job.parallelism said.
        env.set_parallelism(parallelism)
    if jars:
        if local:
            _share_jars_with_every_gateway_thread(jars)
        # Before the table environment exists: it discovers connector factories with a class
        # loader made from these jars. Appended: under `flink run -py` the CLI has put
        # flink-python there.
        env.add_jars(*(p.resolve().as_uri() for p in jars))
    t_env = StreamTableEnvironment.create(env)
    conf = t_env.get_config()
    if local:
        # UDF workers must use this interpreter (with this venv's packages), not `python` on PATH.
        conf.set("python.executable", sys.executable)
        # Thread mode embeds the base interpreter in the JVM, which does not see a virtualenv's
        # packages (pemja, pyflink); on Managed Flink they are installed system-wide.
        import site

        conf.set("python.pythonpath", os.pathsep.join(site.getsitepackages()))
        # The MiniCluster's REST API on a free local port: the local run and the tests read the
        # job's counters there (tooling/job_metrics.py), fresh within a second.
        port = free_local_port()
        conf.set("rest.bind-address", "127.0.0.1")
        conf.set("rest.address", "127.0.0.1")
        conf.set("rest.port", str(port))
        conf.set("metrics.fetcher.update-interval", "1000")
        # The MiniCluster's default managed memory is 128 MB for all its slots (one per subtask),
        # shared in a slot by every RocksDB instance (write buffers, block cache) and the Python
        # workers: at parallelism 2 RocksDB flushed and compacted so often that the job ran at
        # 0.41x parallelism 1's rate. A Managed Flink KPU (one slot at parallelism-per-KPU 1)
        # has 1 GB of native memory; a quarter of that per slot keeps the local run like it.
        slots = parallelism or os.cpu_count() or 1
        conf.set("taskmanager.memory.managed.size", f"{LOCAL_MANAGED_MB_PER_SLOT * slots}m")
    if parallelism:
        conf.set("parallelism.default", str(parallelism))
    for key, value in (checkpoints.settings() if checkpoints else {}).items():
        conf.set(key, value)
    if state_backend:
        conf.set("state.backend.type", state_backend)
    return t_env


def free_local_port() -> int:
    """A port on 127.0.0.1 that is free now, for a server that binds it moments later (the
    MiniCluster's REST API, moto). Taken below the kernel's ephemeral range: a port from inside it
    (bind to port 0) can go to an outbound connection (the SDK's to moto: hundreds a run) before
    the server binds it, which once failed a CI run ("Could not start rest endpoint on any port")."""
    import random

    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768                 # Linux's default; elsewhere the range is not read
    candidates = [random.SystemRandom().randrange(10_000, low) for _ in range(100)] if low > 11_000 else []
    for port in [*candidates, 0]:   # 0: the kernel's choice, should every candidate be taken
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


# The local gateway's one class loader for the jars local environments were given (grows, never
# replaced: classes loaded once stay the same classes for the whole process).
_gateway_loader = None


def _share_jars_with_every_gateway_thread(jars: tuple[Path, ...]) -> None:
    """Make the jars' classes loadable on every thread of the local gateway JVM.

    py4j resolves `jvm.some.Class` with the context class loader of the JVM thread serving the
    call, and serves each Python caller that finds no idle connection (another thread, or a
    finalizer running while a call is in flight) on a new connection and thread. PyFlink's
    add_jars puts the jars on one thread's loader only, so a call that landed on another
    thread failed with ClassNotFoundException (a CI run, once). Here one loader holds
    them and is set on the gateway's threads, including the one accepting connections, whose new
    threads inherit it: as under `flink run`, where the gateway starts with the user class loader.
    add_jars then finds the jars on the loader and adds nothing."""
    global _gateway_loader
    from pyflink.java_gateway import get_gateway
    from pyflink.util.java_utils import load_java_class, to_jarray

    gateway = get_gateway()
    jvm = gateway.jvm
    if _gateway_loader is None:
        # Its parent: the loader the gateway started with (under `flink run`, the CLI's user
        # class loader, which holds flink-python).
        _gateway_loader = jvm.java.net.URLClassLoader(gateway.new_array(jvm.java.net.URL, 0),
                                                      jvm.java.lang.Thread.currentThread().getContextClassLoader())
        for thread in jvm.java.lang.Thread.getAllStackTraces().keySet():
            # The bottom frames of a py4j thread: GatewayServer.run (accepts) or
            # GatewayConnection.run (serves), under Thread.run (and runWith on newer JDKs).
            bottom = list(thread.getStackTrace())[-4:]
            if any(f.getClassName().endswith(("py4j.GatewayServer", "py4j.GatewayConnection")) for f in bottom):
                thread.setContextClassLoader(_gateway_loader)
    known = {url.toString() for url in _gateway_loader.getURLs()}
    # Compared as Java spells them (file:/x, where Python writes file:///x).
    urls = [jvm.java.net.URL(p.resolve().as_uri()) for p in jars]
    missing = [url for url in urls if url.toString() not in known]
    if missing:  # addURL is protected: reached by reflection, as PyFlink's add_jars does
        add_url = load_java_class("java.net.URLClassLoader").getDeclaredMethod(
            "addURL", to_jarray(jvm.Class, [load_java_class("java.net.URL")]))
        add_url.setAccessible(True)
        for url in missing:
            add_url.invoke(_gateway_loader, to_jarray(jvm.Object, [url]))
    # The serving thread, should a Flink call have left another loader on it.
    jvm.java.lang.Thread.currentThread().setContextClassLoader(_gateway_loader)


def rest_url(t_env) -> str:
    """The local MiniCluster's REST API (create_table_env(local=True))."""
    return f"http://127.0.0.1:{t_env.get_config().get('rest.port', '8081')}"


def configure(t_env, config: Config) -> None:
    conf = t_env.get_config()
    conf.set("pipeline.name", "fleet-telemetry")
    # Chained operators hand records on without a defensive copy each (the SQL runtime's operators
    # do not keep references to their input); copies were ~15% of the JVM's samples.
    conf.set("pipeline.object-reuse", "true")
    # Event times are UTC strings; windows and DATE_FORMAT must not shift them.
    conf.set("table.local-time-zone", "UTC")
    conf.set("table.exec.state.ttl", f"{config.get('job', 'state-ttl.s')} s")
    conf.set("python.execution-mode", config.get("job", "python.execution-mode").lower())


def _execute(t_env, statement: str, where: str) -> None:
    try:
        t_env.execute_sql(statement)
    except Exception as e:  # py4j wraps planner errors; name the file the analyst edited
        msg = str(e).split("\n", 1)[0] if str(e) else type(e).__name__
        raise JobBuildError(f"{where}: {msg}\n--- statement ---\n{statement}") from e


def _columns(t_env, view: str) -> list[tuple[str, str]]:
    schema = t_env.from_path(view)._j_table.getResolvedSchema()
    return [(c.getName(), c.getDataType().getLogicalType().copy(True).asSerializableString())
            for c in schema.getColumns()]


def build(t_env, config: Config, io, sql_dir: Path | None = None):
    """Declare source, business SQL and sinks on t_env; return the StatementSet to execute."""
    from udfs import flink as flink_udfs

    flink_udfs.register(t_env, config.get("job", "python.execution-mode"))
    try:
        register_source(t_env, config, io)
    except Exception as e:
        raise JobBuildError(f"source telemetry_raw: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from e
    pending = set(MATERIALIZED_VIEWS)
    defined_in: dict[str, str] = {}
    for name, statement in sql_files.statements(config.placeholders(), sql_dir or sql_files.SQL_DIR):
        before = set(t_env.list_temporary_views())
        _execute(t_env, statement, f"sql/{name}")
        for view in set(t_env.list_temporary_views()) - before:
            defined_in[view] = name
            if view in pending:
                materialize(t_env, view)
                pending.discard(view)

    statements = t_env.create_statement_set()
    for output in OUTPUTS:
        if output.view not in defined_in:
            raise JobBuildError(f"sql/: no file defines the view {output.view}, which the {output.table} "
                                f"output reads (jobs/io.py OUTPUTS)")
        problems = contract_violations(output, _columns(t_env, output.view))
        if problems:
            raise JobBuildError(f"sql/{defined_in[output.view]}: view {output.view} does not match its output "
                                f"contract (jobs/io.py OUTPUTS): {'; '.join(problems)}")
        _execute(t_env, sink_ddl(output, io.sink_options(output), io.partitioned), f"sink {output.table}")
        select = ", ".join(f"`{n}`" for n, _ in output.contract)
        if output.lines and io.line_suffix:
            select = f"line || {io.line_suffix}"
        where = ""
        if output.metric:
            name, dims = output.metric
            where = " WHERE count_row(" + ", ".join([f"'{name}'", *(f"'{d}', `{c}`" for d, c in dims)]) + ")"
        statements.add_insert_sql(f"INSERT INTO {output.table} SELECT {select} FROM {output.view}{where}")
    return statements


def main(argv: list[str] | None = None) -> None:
    parser = Parser(prog="python -m jobs.telemetry_job", description="Run the telemetry job.")
    parser.add_argument("--config", type=Path,
                        help="application properties JSON (local run); on MSF, "
                             f"{MSF_PROPERTIES_PATH} is read and the driver returns after submitting")
    parser.add_argument("--jar", type=Path, help="connector jar for local runs (default: lib/ of the unpacked "
                                                 "application zip, else build/lib/ of the repository)")
    args = parser.parse_args(argv)

    local = args.config is not None
    if not local and not Path(MSF_PROPERTIES_PATH).is_file():
        parser.error(f"{MSF_PROPERTIES_PATH} does not exist (not on Managed Flink): give --config FILE to run locally")
    try:
        config = load(args.config if local else MSF_PROPERTIES_PATH)
    except ConfigError as e:
        if not local:
            raise           # on MSF the traceback in the PythonDriver log is what operators search for
        parser.error(str(e))
    if local:
        root = Path(__file__).resolve().parent.parent
        args.jar = args.jar or next((p for p in (root / "lib" / _JAR, root / "build" / "lib" / _JAR) if p.is_file()),
                                    root / "build" / "lib" / _JAR)
        if not args.jar.is_file():
            sys.exit(f"connector jar {args.jar} is missing: run `make jars` (Maven) first")
    t_env = create_table_env(parallelism=config.get("job", "parallelism") if local else None,
                             jars=(args.jar,) if local else (), local=local,
                             checkpoints=Checkpoints(root / "out" / "checkpoints") if local else None)
    configure(t_env, config)
    result = build(t_env, config, AwsIO(config)).execute()
    if local:
        result.wait()


if __name__ == "__main__":
    main()
