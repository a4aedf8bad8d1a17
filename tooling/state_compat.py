"""Will the edited SQL start from the running job's state? Checked locally, before a deploy.

    python -m tooling.state_compat [--base HEAD|FOLDER] [--sql sql] [--config props.json] [--set rules.x=y ...]

An update on Managed Flink stops the job with a snapshot and starts the new code from it, without
allowing state to be left behind: if the new plan has no place for some operator's state, the
update fails and the application is stuck until someone decides. This command does the same on
the MiniCluster, on a simulated sample:
1. runs the base SQL (`sql/` at git revision --base, default HEAD: what is deployed, if you deploy
   from the main branch) until it has read every sample record, and stops it with a savepoint;
2. starts the edited SQL (--sql, default the working copy's `sql/`; --set/--config rules apply to
   this run) from that savepoint, non-restored state not allowed;
3. says compatible, or which operator's state would be dropped and what to do.
Exit status 0 compatible, 1 not, 2 the edited SQL or the arguments are wrong.

Rule values (thresholds, look-backs) are literals in the plan and never change its shape; edits
that add, remove or reorder operators, or change what a stateful operator keeps, usually do.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jobs.cli import Parser, fail
from jobs.config import Config, ConfigError
from jobs.sql_files import SQL_DIR
from tooling.paths import PROJECT_DIR

SAMPLE = dict(vehicles=4, hz=2, duration=180, seed=3)


@dataclass
class Verdict:
    compatible: bool
    operators_with_state: int
    dropped: list[str]          # "name (uid or id)" of each operator whose state has no place
    cause: str                  # Flink's own words when not compatible

    def report(self, base: str, edited: str) -> str:
        if self.compatible:
            return (f"compatible: the SQL in {edited} starts from a savepoint of {base} with the state of all "
                    f"{self.operators_with_state} stateful operators (no state dropped)")
        lines = [f"NOT compatible: the SQL in {edited} cannot take over the state of {base}."]
        if self.dropped:
            lines.append("State in the savepoint that the edited plan has no operator for (the first"
                         " Flink found; there may be more):")
            lines += [f"  - {d}" for d in self.dropped]
        lines.append(f"Flink says: {self.cause}")
        lines += [
            "What to do, one of:",
            "  - deploy it as a fresh start without state: windows in progress, duplicate detection and",
            "    rate baselines start empty (on Managed Flink: start with ApplicationRestoreType",
            "    SKIP_RESTORE_FROM_SNAPSHOT);",
            "  - or drop exactly that state knowingly: update with AllowNonRestoredState=true",
            "    (FlinkRunConfiguration; it resets to false on the next update that omits it);",
            "  - or change the SQL so that the stateful part keeps its shape (docs/faults.md).",
        ]
        return "\n".join(lines)


def sql_at(revision: str, into: Path) -> Path:
    """`sql/` as it is at a git revision, copied into `into`."""
    try:
        data = subprocess.run(["git", "-C", str(PROJECT_DIR), "archive", "--format=tar", revision, "sql"],
                              check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        stderr = getattr(e, "stderr", b"") or b""
        raise ConfigError(f"--base {revision}: cannot read sql/ at that git revision "
                          f"({stderr.decode(errors='replace').strip() or e})") from e
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "sql"


def _start(config: Config, sql_dir: Path, sample: Path, work: Path, restore_from: str | None = None):
    from jobs.telemetry_job import configure, create_table_env
    from tooling.file_io import FileIO
    from tooling.local_run import submit
    from tooling.replay import java_helpers

    t_env = create_table_env(parallelism=1, jars=(java_helpers(),))
    configure(t_env, config)
    return submit(t_env, config, FileIO(sample, work, keep_running=True), restore_from, sql_dir)


def savepoint_operators(path: str) -> dict[str, str]:
    """{operator id: "name (uid ...)"} of every operator with state in a savepoint."""
    from pyflink.java_gateway import get_gateway

    jvm = get_gateway().jvm
    metadata_file = Path(path.removeprefix("file:")) / "_metadata"
    stream = jvm.java.io.DataInputStream(jvm.java.io.FileInputStream(str(metadata_file)))
    try:
        loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
        metadata = jvm.org.apache.flink.runtime.checkpoint.Checkpoints.loadCheckpointMetadata(stream, loader, path)
    finally:
        stream.close()
    found = {}
    for state in metadata.getOperatorStates():
        if state.getStateSize() == 0 and state.getCoordinatorState() is None:
            continue
        name = state.getOperatorName().orElse("") if hasattr(state, "getOperatorName") else ""
        uid = state.getOperatorUid().orElse("") if hasattr(state, "getOperatorUid") else ""
        op_id = state.getOperatorID().toHexString()
        found[op_id] = f"{name or 'operator'} (" + (f"uid {uid}, " if uid else "") + f"id {op_id})"
    return found


def check(config: Config, base_sql: Path, edited_sql: Path, edited_config: Config, work: Path,
          timeout_s: float = 180) -> Verdict:
    from simulator import FleetConfig, generate, write_jsonl
    from tooling.job_metrics import counters

    sample = work / "sample.jsonl"
    records = list(generate(FleetConfig(**SAMPLE)))
    write_jsonl(records, str(sample))

    job = _start(config, base_sql, sample, work / "base")
    try:
        deadline = time.monotonic() + timeout_s
        while counters(job.rest, str(job.client.get_job_id()))["read"] < len(records):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the base SQL did not read the {len(records)} sample records in {timeout_s:.0f} s")
            time.sleep(1)
        time.sleep(2)                       # the last records through the operators
        savepoint = job.stop_with_savepoint(work / "savepoints")
        job = None
    finally:
        if job is not None:
            job.cancel().result()
    operators = savepoint_operators(savepoint)

    from jobs.telemetry_job import JobBuildError
    from tooling.local_run import root_cause

    try:
        job = _start(edited_config, edited_sql, sample, work / "edited", restore_from=savepoint)
    except JobBuildError:
        raise
    except Exception as e:  # the JobMaster refused the savepoint: submission fails
        cause = root_cause(str(e))
        if "savepoint" not in cause:
            raise
        return _refused(operators, cause)
    try:
        deadline = time.monotonic() + timeout_s
        while (state := job.status()) not in ("FAILED", "CANCELED", "FINISHED"):
            if state == "RUNNING" and job.checkpoints().get("latest", {}).get("restored"):
                return Verdict(True, len(operators), [], "")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the edited SQL neither started nor failed in {timeout_s:.0f} s")
            time.sleep(0.5)
        return _refused(operators, (job.failures() or ["(no exception reported)"])[-1])
    finally:
        try:
            job.cancel().result()
        except Exception:   # already failed: nothing to cancel
            pass


def _refused(operators: dict[str, str], cause: str) -> Verdict:
    # Flink names the first operator whose state has no place; there may be more behind it.
    dropped = [operators.get(i, f"operator {i}") for i in re.findall(r"operator ([0-9a-f]{32})", cause)]
    return Verdict(False, len(operators), dropped, cause)


def main(argv: list[str] | None = None) -> int:
    from tooling.replay import replay_config

    parser = Parser(prog="python -m tooling.state_compat", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD",
                        help="git revision whose sql/ the running job has (default HEAD), or a folder")
    parser.add_argument("--sql", type=Path, default=SQL_DIR, help="the edited SQL folder (default: sql/)")
    parser.add_argument("--config", type=Path, help="application properties JSON (both runs), as for the replay")
    parser.add_argument("--set", action="append", default=[], metavar="GROUP.KEY=VALUE",
                        help="a changed property for the edited run only, e.g. rules.threshold.speed=320")
    args = parser.parse_args(argv)
    if not args.sql.is_dir():
        parser.error(f"--sql {args.sql} is not a folder")
    work = Path(tempfile.mkdtemp(prefix="state-compat-"))
    try:
        config = replay_config(args.config)
        edited_config = replay_config(args.config, args.set)
        base_sql = Path(args.base) if Path(args.base).is_dir() else sql_at(args.base, work / "base-sql")
        from jobs.telemetry_job import JobBuildError
        try:
            verdict = check(config, base_sql, args.sql, edited_config, work)
        except JobBuildError as e:
            return fail(parser.prog, f"the SQL does not build: {e}")
    except ConfigError as e:
        return fail(parser.prog, str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(verdict.report(str(base_sql) if Path(args.base).is_dir() else f"sql/ at {args.base}", str(args.sql)))
    return 0 if verdict.compatible else 1


if __name__ == "__main__":
    import sys

    sys.exit(main())
