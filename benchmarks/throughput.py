"""Steady-state throughput of the whole job, per state backend, against a plain Python loop.

    .venv/bin/python -m benchmarks.throughput [--sizes 100000,400000] [--backends heap,rocksdb]
        [--parallelism 1] [--vehicles 20] [--repeat 1] [--set rules.rate.engine.window.s=600 ...]
        [--cpus N] [--scaling]

Each run is the full job (the replay's file source and filesystem sinks, every SQL file) in a
fresh Python process, so start-up, JIT and the Python worker are paid the same way every time.
The steady-state rate is the marginal one between the two sizes, (n2 - n1) / (t2 - t1), which
cancels start-up; CPU is every process of the run (the Python driver, the JVM, the Python UDF
worker), sampled from /proc, also as a marginal per million records. Baseline in the same run: a
plain Python loop over the larger file (parse_record + EXTRA2 + the fast-lap filter, no Flink).

The line per backend to compare across commits:
    throughput <backend>: job <N> rec/s, python loop <M> rec/s, ratio <R>
`--scaling` measures parallelism 2 against parallelism 1 instead, two ways in the same run: both
on every core of the machine, and each pinned to as many cores as it has subtasks (a core per
subtask, as Managed Flink gives a KPU per parallelism):
    scaling <backend>: parallelism 2 <N> rec/s, parallelism 1 <M> rec/s, ratio <R> (<how>)
Figures only; nothing here asserts a speed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.replay_bench import python_loop

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- CPU of a process tree
def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kind(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "other"
    if "java" in cmd.split(" ", 1)[0]:
        return "jvm"
    if "fn_execution" in cmd or "beam" in cmd:
        return "python worker"
    return "python driver" if "python" in cmd else "other"


class TreeCpu:
    """The latest CPU seconds seen for every process under `root`; a process that exits keeps its
    last sample (sampling every 0.2 s loses at most that much of its life)."""

    def __init__(self, root: int):
        self.root, self.seen = root, {}

    def sample(self) -> None:
        parents, cpu = {}, {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                st = _stat(int(entry))
                if st:
                    parents[int(entry)], cpu[int(entry)] = st
        tree, grew = {self.root}, True
        while grew:
            more = {p for p, parent in parents.items() if parent in tree} - tree
            tree |= more
            grew = bool(more)
        for pid in tree & cpu.keys():
            kind = self.seen.get(pid, (None, 0.0))[0] or _kind(pid)
            self.seen[pid] = (kind, cpu[pid])

    def by_kind(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for kind, seconds in self.seen.values():
            out[kind] = out.get(kind, 0.0) + seconds
        return out


# ---------------------------------------------------------------- one run (child process)
def child(args: argparse.Namespace) -> None:
    """Runs the job once and prints {"seconds": wall time of the job, "startup": ...} as JSON."""
    from jobs.telemetry_job import build, configure, create_table_env
    from tooling.file_io import FileIO
    from tooling.paths import HELPERS_JAR
    from tooling.replay import replay_config

    config = replay_config(overrides=[f"job.parallelism={args.parallelism}", *args.set])
    backend = {"heap": "hashmap"}.get(args.backend, args.backend)
    t_env = create_table_env(parallelism=args.parallelism, jars=(HELPERS_JAR,), state_backend=backend,
                             python_workers=args.python_workers)
    configure(t_env, config)
    for setting in args.flink:
        key, _, value = setting.partition("=")
        t_env.get_config().set(key, value)
    with tempfile.TemporaryDirectory() as out:
        # One split per subtask, as a stream with one shard per subtask: a single file is one
        # split, read by one subtask whatever the parallelism.
        io = FileIO(Path(args.input), Path(out), splits=args.parallelism)
        statements = build(t_env, config, io)
        started = time.perf_counter()
        statements.execute().wait()
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds}))


def measure(path: Path, backend: str, parallelism: int, sets: list[str], python_workers: str,
            flink: list[str], cpus: int | None = None) -> dict:
    """One run in a fresh process; with `cpus`, it and every process it starts (the JVM, the UDF
    workers) may run only on the first `cpus` cores."""
    cmd = [sys.executable, "-m", "benchmarks.throughput", "--child", "--input", str(path), "--backend", backend,
           "--parallelism", str(parallelism), "--python-workers", python_workers, *(f"--set={s}" for s in sets),
           *(f"--flink={f}" for f in flink)]
    started = time.perf_counter()
    pin = (lambda: os.sched_setaffinity(0, range(cpus))) if cpus else None
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=pin)
    cpu = TreeCpu(proc.pid)
    while proc.poll() is None:
        cpu.sample()
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({backend}, {path.name}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    return {**result, "process_seconds": time.perf_counter() - started, "cpu": cpu.by_kind()}


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.throughput")
    p.add_argument("--sizes", default="100000,400000", help="two record counts (default 100000,400000)")
    p.add_argument("--backends", default="heap,rocksdb")
    p.add_argument("--parallelism", type=int, default=1)
    p.add_argument("--vehicles", type=int,
                   help="simulated vehicles (default 20; 200 with --scaling: twenty keys hash unevenly onto two "
                        "subtasks, and the busier one sets the pace)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=1,
                   help="pairs of runs per backend (and baselines); with more than one, the contract line is "
                        "the run of median ratio's "
                        "(one pair's rate varies by about +-10%% on a 2-core machine)")
    p.add_argument("--python-workers", choices=("process", "loopback"), default="process",
                   help="with job.python.execution-mode=PROCESS: UDF workers in their own processes, as on "
                        "Managed Flink (default), or inside the driver process (PyFlink's local loopback mode)")
    p.add_argument("--set", action="append", default=[], metavar="GROUP.KEY=VALUE")
    p.add_argument("--flink", action="append", default=[], metavar="KEY=VALUE",
                   help="a Flink option set after the job's own (an experiment; Managed Flink allows few keys)")
    p.add_argument("--cpus", type=int, help="run the job on the first N cores only (default: all)")
    p.add_argument("--scaling", action="store_true",
                   help="parallelism 2 against parallelism 1 (ignores --parallelism and --cpus): both on all "
                        "cores, and each on as many cores as subtasks")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--input", help=argparse.SUPPRESS)
    p.add_argument("--backend", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args)
    if args.vehicles is None:
        args.vehicles = 200 if args.scaling else 20

    from simulator import FleetConfig, generate, write_jsonl

    sizes = [int(s) for s in args.sizes.split(",")]
    if len(sizes) != 2 or sizes[0] >= sizes[1]:
        p.error("--sizes takes two increasing record counts")
    if args.repeat < 1:
        p.error("--repeat takes a count of at least 1")
    cores = len(os.sched_getaffinity(0))
    if args.cpus is not None and not 1 <= args.cpus <= cores:
        p.error(f"--cpus takes a count of cores from 1 to {cores} (this machine's)")
    if args.scaling and cores < 2:
        p.error("--scaling needs at least 2 cores")
    print(f"machine: {cores} cores; parallelism {'1 and 2' if args.scaling else args.parallelism}; "
          f"{args.vehicles} vehicles; "
          f"settings {args.set or 'defaults'}; Flink options {args.flink or 'as the job sets them'}; "
          f"UDF workers (job.python.execution-mode PROCESS only): {args.python_workers}"
          + (f"; pinned to {args.cpus} core(s)" if args.cpus and not args.scaling else ""))
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n in sizes:
            path = Path(tmp) / f"telemetry-{n}.jsonl"
            write_jsonl(generate(FleetConfig(vehicles=args.vehicles, records=n, seed=args.seed)), str(path))
            files.append(path)
        if args.scaling:
            return scaling(args, sizes, files, cores)
        for backend in args.backends.split(","):
            runs = []
            for _ in range(args.repeat):
                # The baseline next to each pair of runs, so a slower spell of the machine shows in both.
                loop_rate = sizes[1] / python_loop(files[1])
                small, large, rate = pair(args, sizes, files, backend, args.parallelism, args.cpus)
                runs.append((loop_rate, small, large, rate))
            for n, (loop_rate, small, large, rate) in enumerate(runs, 1):
                report(f"{backend}" + (f", run {n}" if args.repeat > 1 else ""), sizes, loop_rate, small, large, rate)
            # The line to compare across commits; with --repeat, the figures of the run whose ratio is the
            # median (one run's: its ratio is its rate over its baseline).
            loop, _, _, rate = sorted(runs, key=lambda r: r[3] / r[0])[len(runs) // 2]
            if args.repeat > 1:
                rates = ", ".join(f"{r[3]:,.0f}" for r in runs)
                ratios = ", ".join(f"{r[3] / r[0]:.2f}" for r in runs)
                print(f"{backend}: the run of median ratio, of {args.repeat} (job rec/s {rates}; ratio {ratios})")
            print(f"throughput {backend}: job {rate:,.0f} rec/s, python loop {loop:,.0f} rec/s, "
                  f"ratio {rate / loop:.2f}")


def pair(args: argparse.Namespace, sizes: list[int], files: list[Path], backend: str, parallelism: int,
         cpus: int | None) -> tuple[dict, dict, float]:
    """The two sizes' runs and the steady-state rate between them."""
    small, large = (measure(f, backend, parallelism, args.set, args.python_workers, args.flink, cpus) for f in files)
    if large["seconds"] <= small["seconds"]:
        raise SystemExit(f"the {sizes[1]:,}-record run took no longer than the {sizes[0]:,}-record one "
                         f"({large['seconds']:.1f} s against {small['seconds']:.1f} s): start-up's spread "
                         "exceeds the difference; give --sizes further apart")
    return small, large, (sizes[1] - sizes[0]) / (large["seconds"] - small["seconds"])


def scaling(args: argparse.Namespace, sizes: list[int], files: list[Path], cores: int) -> None:
    """Parallelism 2 against 1, on all cores and a core per subtask; the runs of one repeat follow
    each other, so a slower spell of the machine falls on both sides of a ratio."""
    def run(parallelism: int, cpus: int | None) -> tuple[int, int | None]:
        # Pinned to every core is the same run as unpinned (on a 2-core machine, parallelism 2's).
        return parallelism, None if cpus == cores else cpus

    ways = {f"both on {cores} cores": (run(2, None), run(1, None)),
            "a core per subtask: parallelism 2 on 2 cores, 1 on 1": (run(2, 2), run(1, 1))}
    runs = list(dict.fromkeys([run(1, None), run(2, None), run(1, 1), run(2, 2)]))
    for backend in args.backends.split(","):
        rates: dict[tuple[int, int | None], list[float]] = {}
        for n in range(1, args.repeat + 1):
            # Not part of a ratio here: how fast the machine is in this sitting, to compare sittings.
            print(f"{backend}, run {n}: python loop {sizes[1] / python_loop(files[1]):,.0f} rec/s")
            for parallelism, cpus in runs:
                small, large, rate = pair(args, sizes, files, backend, parallelism, cpus)
                report(f"{backend}, parallelism {parallelism} on {cpus or cores} core(s), run {n}",
                       sizes, None, small, large, rate)
                rates.setdefault((parallelism, cpus), []).append(rate)
        for how, (two, one) in ways.items():
            ratios = [b / a for a, b in zip(rates[one], rates[two])]
            median = sorted(range(len(ratios)), key=ratios.__getitem__)[len(ratios) // 2]
            if args.repeat > 1:
                print(f"{backend} ({how}): the run of median ratio, of {args.repeat} (ratio "
                      + ", ".join(f"{r:.2f}" for r in ratios) + ")")
            print(f"scaling {backend}: parallelism 2 {rates[two][median]:,.0f} rec/s, parallelism 1 "
                  f"{rates[one][median]:,.0f} rec/s, ratio {ratios[median]:.2f} ({how})")


def report(label: str, sizes: list[int], loop_rate: float | None, small: dict, large: dict, rate: float) -> None:
    cpu_small, cpu_large = sum(small["cpu"].values()), sum(large["cpu"].values())
    per_million = (cpu_large - cpu_small) / (sizes[1] - sizes[0]) * 1e6
    print(f"{label}: {sizes[0]:,} records in {small['seconds']:.1f} s, {sizes[1]:,} in "
          f"{large['seconds']:.1f} s (job wall time; process start to end {small['process_seconds']:.1f} s "
          f"and {large['process_seconds']:.1f} s)")
    print(f"{label}: start-up ~{small['process_seconds'] - sizes[0] / rate:.1f} s "
          f"(process start to end of the small run, minus its records at the steady rate)")
    print(f"{label}: CPU of the large run: " + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(large["cpu"].items())))
    print(f"{label}: CPU-seconds per million records (marginal, all processes): {per_million:.1f} ("
          + ", ".join(f"{k} {(v - small['cpu'].get(k, 0.0)) / (sizes[1] - sizes[0]) * 1e6:.1f}"
                      for k, v in sorted(large["cpu"].items())) + ")")
    if loop_rate is None:
        print(f"{label}: job {rate:,.0f} rec/s")
    else:
        print(f"{label}: job {rate:,.0f} rec/s, python loop {loop_rate:,.0f} rec/s, ratio {rate / loop_rate:.2f}")


if __name__ == "__main__":
    main()
