"""The commands a newcomer types, and their mistakes: each mistake gives its own error line (the
last line on stderr) naming what is wrong, and exit status 2, before any long work starts."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PRISTINE_ENV

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.unit


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env={**PRISTINE_ENV, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=timeout)


def _error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize("command, message", [
    (("jobs.config", "/nonexistent.json"),
     "python -m jobs.config: error: cannot read configuration /nonexistent.json: No such file or directory"),
    (("jobs.config",), "python -m jobs.config: error: one of the arguments file --markdown is required"),
    (("jobs.telemetry_job",),
     "python -m jobs.telemetry_job: error: /etc/flink/application_properties.json does not exist "
     "(not on Managed Flink): give --config FILE to run locally"),
    (("simulator", "--vehicles", "0", "--out", "x.jsonl"),
     "python -m simulator: error: --vehicles must be at least 1, got 0"),
    (("simulator", "--duration", "-5", "--out", "x.jsonl"),
     "python -m simulator: error: --duration must be more than 0 seconds, got -5.0"),
    (("simulator", "--out", "-"),
     "python -m simulator: error: --out needs a file name ('-' is not standard output here)"),
    (("simulator", "--fault-rate", "2", "--out", "x.jsonl"),
     "python -m simulator: error: per-record fault rates are probabilities in [0, 1]"),
    (("tooling.local_run", "--vehicles", "0"),
     "python -m tooling.local_run: error: --vehicles must be at least 1, got 0"),
    (("tooling.local_run", "--duration", "-5"),
     "python -m tooling.local_run: error: --duration must be more than 0 seconds, got -5.0"),
    (("tooling.local_run", "--parallelism", "0"),
     "python -m tooling.local_run: error: --parallelism must be 1..1024, got 0"),
    (("tooling.replay", "missing.jsonl", "--out", "o"),
     "python -m tooling.replay: error: input file missing.jsonl does not exist"),
    (("tooling.replay", "README.md", "--out", "-"),
     "python -m tooling.replay: error: --out needs a folder ('-' is not standard output here)"),
    (("tooling.replay", "README.md", "--out", "o", "--manifest", "missing.jsonl"),
     "python -m tooling.replay: error: --manifest missing.jsonl does not exist"),
    (("tooling.replay", "README.md", "--out", "o", "--set", "rules.threshold.engine=hot"),
     "python -m tooling.replay: error: replay configuration: key 'rules.threshold.engine' is 'hot'; expected a number"),
])
def test_a_mistake_is_one_line_and_exit_2(command, message, tmp_path):
    assert _error_line(_run(*command)) == message
    assert not (ROOT / "o").exists() and not (ROOT / "x.jsonl").exists()


def test_a_missing_stream_or_region_is_named(tmp_path):
    line = _error_line(_run("simulator", "--stream-name", "nope", "--endpoint-url", "http://127.0.0.1:9"))
    assert line.startswith("python -m simulator: error: stream nope: ") and "region" in line


@pytest.mark.sql
def test_ctrl_c_stops_the_replay_with_one_line_and_no_process_left(tmp_path):
    import signal
    import time

    from simulator import generate, write_jsonl

    capture = tmp_path / "captured.jsonl"
    write_jsonl(generate(vehicles=10, duration=600, seed=1), str(capture))
    proc = subprocess.Popen([sys.executable, "-m", "tooling.replay", str(capture), "--out", str(tmp_path / "o")],
                            cwd=ROOT, env={**PRISTINE_ENV, "PYTHONPATH": str(ROOT)}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(8)                                  # the job is being built or running
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert err.strip().splitlines()[-1] == "replay interrupted; the output folder is incomplete"
    assert "Traceback" not in err, err[-2000:]
    deadline = time.monotonic() + 20               # the gateway JVM goes with it
    while time.monotonic() < deadline and subprocess.run(["pgrep", "-s", str(proc.pid)]).returncode == 0:
        time.sleep(0.5)
    assert subprocess.run(["pgrep", "-s", str(proc.pid)]).returncode == 1


def test_help_shows_defaults():
    for command, default in ((("tooling.local_run", "--help"), "(default: 10)"),
                             (("simulator", "--help"), "(default: 10)"), (("jobs.config", "--help"), "--markdown")):
        proc = _run(*command)
        assert proc.returncode == 0 and default in proc.stdout, (command, proc.stdout[-1500:])


def test_the_example_rules_file_is_valid_for_the_replay():
    from tooling.replay import replay_config

    config = replay_config(ROOT / "docs" / "examples" / "replay-rules.json")
    assert (config.get("rules", "threshold.engine"), config.get("rules", "rate.engine.rise")) == (120.0, 3.0)
