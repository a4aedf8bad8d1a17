"""The MSF application zip: exact contents, run options, determinism, refusal without the jar, and
that the packaged Python (jobs, udfs, sql) runs from the unpacked zip alone."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PRISTINE_ENV
from tests.fixtures import line, record
from tooling import package
from tooling.package import JAR_IN_ZIP, PackageError, build_package, run_options
from tooling.paths import HELPERS_JAR

ROOT = Path(__file__).resolve().parent.parent


# The runtime, written out: a module added to jobs/ or udfs/ must be added here on purpose, so
# tooling cannot slip into what runs on Managed Flink.
RUNTIME = {"main.py", "jobs/__init__.py", "jobs/cli.py", "jobs/config.py", "jobs/io.py", "jobs/msf_main.py",
           "jobs/outputs.py", "jobs/sql_files.py", "jobs/telemetry_job.py",
           "udfs/__init__.py", "udfs/flink.py", "udfs/metric_names.py", "udfs/telemetry.py",
           "udfs/telemetry_record.schema.json"}


def _expected_entries(with_jar: bool) -> set[str]:
    names = RUNTIME | {f"sql/{p.name}" for p in (ROOT / "sql").glob("*.sql")}
    assert len(names) > len(RUNTIME)
    return names | ({JAR_IN_ZIP} if with_jar else set())


@pytest.fixture
def stand_in_jar(tmp_path) -> Path:
    # Not a connector jar: the packager copies bytes and never opens the jar, so any file shows
    # where it lands. Nothing here runs it.
    path = tmp_path / "stand-in.jar"
    path.write_bytes(b"stand-in bytes, not a jar")
    return path


@pytest.mark.unit
def test_entries_are_exactly_the_job_files(tmp_path, stand_in_jar):
    out = build_package(tmp_path / "app.zip", stand_in_jar)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert set(names) == _expected_entries(with_jar=True)
        assert names == sorted(names)
        assert zf.read("main.py") == (ROOT / "jobs" / "msf_main.py").read_bytes()
        assert zf.read(JAR_IN_ZIP) == stand_in_jar.read_bytes()
        assert zf.getinfo(JAR_IN_ZIP).compress_type == zipfile.ZIP_STORED
    assert not any(n.startswith(("tests/", "simulator/", "benchmarks/")) or "__pycache__" in n or n.endswith(".pyc")
                   for n in names)


@pytest.mark.unit
def test_run_options_point_at_files_inside_the_zip(tmp_path, stand_in_jar):
    options = run_options()
    assert options == {"python": "main.py", "jarfile": "lib/telemetry-connectors.jar"}
    with zipfile.ZipFile(build_package(tmp_path / "app.zip", stand_in_jar)) as zf:
        assert {options["python"], options["jarfile"]} <= set(zf.namelist())
    # infra/ renders the same group; the two must not drift.
    properties_tf = (ROOT / "infra" / "properties.tf").read_text()
    assert f'"python"  = "{options["python"]}"' in properties_tf
    assert f'"jarfile" = "{options["jarfile"]}"' in properties_tf


@pytest.mark.unit
def test_same_sources_give_the_same_bytes(tmp_path, stand_in_jar):
    a = build_package(tmp_path / "a.zip", stand_in_jar).read_bytes()
    assert build_package(tmp_path / "b.zip", stand_in_jar).read_bytes() == a
    # A fresh checkout (new mtimes, no __pycache__) of the same sources: the same bytes.
    copy = tmp_path / "checkout"
    for folder in ("jobs", "udfs", "sql"):
        shutil.copytree(ROOT / folder, copy / folder, copy_function=shutil.copy,
                        ignore=shutil.ignore_patterns("__pycache__"))
    time.sleep(0.01)
    assert build_package(tmp_path / "c.zip", stand_in_jar, root=copy).read_bytes() == a
    assert build_package(tmp_path / "d.zip", None, python_only=True).read_bytes() == \
        build_package(tmp_path / "e.zip", None, python_only=True).read_bytes()


@pytest.mark.unit
def test_refuses_without_the_jar(tmp_path, capsys):
    with pytest.raises(PackageError, match=r"make jars.*flink-connector-aws-kinesis-streams"):
        build_package(tmp_path / "app.zip", tmp_path / "missing.jar")
    with pytest.raises(PackageError, match="make jars"):
        build_package(tmp_path / "app.zip", None)
    assert not (tmp_path / "app.zip").exists()
    assert package.main(["--out", str(tmp_path / "app.zip"), "--jar", str(tmp_path / "missing.jar")]) == 2
    assert "make jars" in capsys.readouterr().err


@pytest.mark.unit
def test_python_only_has_no_lib(tmp_path):
    with zipfile.ZipFile(build_package(tmp_path / "py.zip", None, python_only=True)) as zf:
        assert set(zf.namelist()) == _expected_entries(with_jar=False)


def _unpack(zip_path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(folder)
    return folder


def _isolated_env(*folders: Path) -> dict[str, str]:
    # Only these folders on the path: the repository checkout must not be importable.
    return {**PRISTINE_ENV, "PYTHONPATH": os.pathsep.join(map(str, folders))}


@pytest.mark.unit
def test_parser_reads_the_record_contract_from_the_unpacked_zip(tmp_path):
    """udfs/telemetry.py builds its checks from udfs/telemetry_record.schema.json at import: the
    zip must carry it (and the wheel: pyproject's package-data)."""
    app = _unpack(build_package(tmp_path / "py.zip", None, python_only=True), tmp_path / "app")
    script = ("import udfs.telemetry as t; "
              f"assert t.SCHEMA_PATH.is_relative_to({str(app)!r}), t.SCHEMA_PATH; "
              f"print(t.parse_record({line(record('veh-1', 1.0))!r})[:3])")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=_isolated_env(app),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "(None, None, 'veh-1')"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'udfs = ["telemetry_record.schema.json"]' in pyproject


@pytest.mark.sql
def test_packaged_replay_runs_from_the_unpacked_zip_alone(tmp_path):
    """The zip's runtime, driven by the replay tool from outside it (tooling is not in the zip)."""
    app = _unpack(build_package(tmp_path / "py.zip", None, python_only=True), tmp_path / "app")
    tools = tmp_path / "tools"
    shutil.copytree(ROOT / "tooling", tools / "tooling", ignore=shutil.ignore_patterns("__pycache__"))
    data = tmp_path / "input.jsonl"
    data.write_text("\n".join([line(record("veh-1", 1.0, speed=250.0)), line(record("veh-1", 2.0)), "not json"])
                    + "\n", encoding="utf-8")
    out = tmp_path / "replay-out"
    script = ("import sys, jobs, udfs; "
              f"assert jobs.__file__.startswith({str(app)!r}), jobs.__file__; "
              f"assert udfs.__file__.startswith({str(app)!r}), udfs.__file__; "
              "from tooling.replay import main; "
              f"sys.exit(main([{str(data)!r}, '--out', {str(out)!r}, '--jar', {str(HELPERS_JAR)!r}]))")
    proc = subprocess.run([sys.executable, "-c", script], cwd=app, env=_isolated_env(app, tools),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["records_read"], summary["valid"], summary["rejected"], summary["reconciled"]) == (3, 2, 1, True)
    assert summary["rejected_by_reason"] == {"not_json": 1}
    fast = (out / "fast_laps.csv").read_text().splitlines()
    assert len(fast) == 1 and fast[0].startswith("veh-1,") and ",250.0," in fast[0]


@pytest.mark.integration
def test_full_package_runs_the_job_against_moto(tmp_path, moto, connector_jar):
    from jobs.outputs import BY_VIEW
    from tooling.local_aws import LocalResources, create_resources, read_output, stream_arn
    from tooling.local_run import end_markers, local_properties

    res = LocalResources()
    create_resources(moto, res)
    app = _unpack(build_package(tmp_path / "app.zip", connector_jar), tmp_path / "app")
    props = tmp_path / "application_properties.json"
    props.write_text(json.dumps(local_properties(moto, res, parallelism=1)))
    fast = record("veh-1", 1.0, speed=250.0)
    # End markers move every shard's watermark past the fast lap, so the event-time dedupe releases it.
    kinesis, arn = moto.client("kinesis"), stream_arn(moto.region, res.telemetry_stream)
    for key, data in [("veh-1", line(fast).encode()), *end_markers(kinesis, arn, fast["event_time"], 60)]:
        kinesis.put_record(StreamARN=arn, PartitionKey=key, Data=data)
    # Submitted the way MSF submits it: Flink's CLI runs the zip's entry file (PythonDriver, -py),
    # from another working directory and with no PYTHONPATH, so the driver and the UDF workers
    # find jobs/, udfs/ and sql/ only through what the zip itself provides. --config makes it a
    # local run (MiniCluster in the CLI's JVM, waits); on MSF main.py gets no arguments.
    import pyflink

    flink = Path(pyflink.__file__).parent / "bin" / "flink"
    env = {k: v for k, v in PRISTINE_ENV.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["JVM_ARGS"] = "-Daws.cborEnabled=false"       # moto cannot answer the SDK's CBOR
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    log = tmp_path / "flink-run.log"
    with log.open("w") as out:
        job = subprocess.Popen([str(flink), "run", "--target", "local", "--python", str(app / "main.py"),
                                "--config", str(props), "--jar", str(app / JAR_IN_ZIP)],
                               cwd=elsewhere, env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        lines: list[str] = []
        while time.monotonic() < deadline and not lines and job.poll() is None:
            time.sleep(2)
            lines = read_output(moto, res, BY_VIEW["fast_laps"])
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGTERM)
        job.wait(timeout=60)
    assert lines == [f"veh-1,{fast['event_time']},250.0,12000,5,0.5,160.0"], log.read_text()[-4000:]
