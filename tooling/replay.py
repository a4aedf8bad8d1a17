"""Replay captured telemetry through the same SQL, with files instead of AWS.

    python -m tooling.replay captured.jsonl --out replay-out [--config props.json] [--set rules.threshold.engine=120]
                          [--manifest manifest.jsonl]
    python -m tooling.replay s3://bucket/raw-archive/ --from 2026-11-23T12 --to 2026-11-23T13 --out replay-out

The input is a JSON-lines capture (one payload per line) or the job's raw archive
(tooling/archive.py: an s3:// prefix, a folder of its objects or one object), optionally one
range of arrival hours of it.

Runs the job on Flink's MiniCluster (bounded, parallelism 1, watermark advanced per record so
the result is the same on every run) and writes, in --out:
  fast_laps.csv, window_aggregates.jsonl, latest_state.jsonl, alerts.jsonl, dead_letters.jsonl,
  summary.json
then prints counts per output and the reconciliation read = valid + rejected, where valid is the
sum of per-vehicle window record counts. Exit status 1 if they do not add up.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from jobs.cli import Parser, fail
from jobs.config import SCHEMA, Config, ConfigError, document, parse, read_json
from jobs.outputs import OUTPUTS
from jobs.telemetry_job import build, configure, create_table_env
from tooling import archive
from tooling.file_io import FileIO, Record
from tooling.paths import CONNECTOR_JAR, HELPERS_JAR
from tooling.scoring import health, health_line, read_jsonl, score
from udfs.telemetry import FLEET_ID

FILE_NAMES = {o.view: o.file_name for o in OUTPUTS}

# A replay touches no AWS resource, but the schema requires their names: these fill the gaps.
_REPLAY_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/replay"
_OFFLINE_DEFAULTS = {
    "aws": {"region": "us-east-1"},
    "source.telemetry": {"stream.arn": _REPLAY_ARN},
    **{o.config_group: {o.target_option: f"{_REPLAY_ARN}-{o.view}" if o.target_option == "stream.arn" else "replay"}
       for o in OUTPUTS},
}


def replay_config(config_path: Path | None = None, overrides: list[str] = ()) -> Config:
    groups: dict[str, dict[str, str]] = {g: dict(k) for g, k in _OFFLINE_DEFAULTS.items()}
    if config_path:
        entries = read_json(config_path)
        if not isinstance(entries, list) or not all(
                isinstance(e, dict) and isinstance(e.get("PropertyGroupId"), str)
                and isinstance(e.get("PropertyMap"), dict) for e in entries):
            parse(entries, str(config_path))    # not MSF's shape: the schema's own message
        # Merged over the offline defaults, so a file with only rules is enough; its keys are
        # checked the same way as on MSF, with errors naming the file.
        for entry in entries:
            groups.setdefault(entry["PropertyGroupId"], {}).update(entry["PropertyMap"])
        parse(document(groups), str(config_path))
    known_groups = sorted({k.group for k in SCHEMA}, key=len, reverse=True)
    for item in overrides:
        name, sep, value = item.partition("=")
        group = next((g for g in known_groups if name.startswith(g + ".")), None)
        if not sep or group is None:
            raise ConfigError(f"--set {item!r}: expected group.key=value with a group among "
                              f"{', '.join(sorted(known_groups))}")
        groups.setdefault(group, {})[name[len(group) + 1:]] = value
    return parse(document(groups), "replay configuration")


def count_records(path: Path) -> int:
    """Records as Flink's line reader sees them: newline-separated, last line may lack one."""
    data = path.read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _part_lines(folder: Path) -> list[str]:
    lines: list[str] = []
    for part in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        lines.extend(line for line in part.read_text(encoding="utf-8").split("\n") if line)
    return lines


def fold_changelog(lines: list[str]) -> list[dict]:
    """Debezium-JSON changes of the latest-state upsert stream -> one final row per vehicle."""
    state: dict[str, dict] = {}
    for line in lines:
        change = json.loads(line)
        if change["op"] == "d":
            state.pop(change["before"]["vehicle_id"], None)
        else:
            state[change["after"]["vehicle_id"]] = change["after"]
    return [state[k] for k in sorted(state)]


def java_helpers(jar: Path | None = None) -> Path:
    """The jar with the job's Java helpers (event time in the source): the one given, else the
    helpers jar, else the connector jar (it holds them too)."""
    for candidate in ([jar] if jar else [HELPERS_JAR, CONNECTOR_JAR]):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"{jar or HELPERS_JAR} is missing: run `make helpers` (it compiles the job's Java helpers)")


def run(input_path: Path | str, out_dir: Path, config: Config, jar: Path | None = None,
        records: list[Record] | None = None, splits: int = 1) -> dict:
    """Replay the capture at input_path, or `records` (read from the archive input_path names);
    `splits`: as that many shards, by vehicle (FileIO; needs job.parallelism >= splits)."""
    started = time.monotonic()
    jar = java_helpers(jar)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / "_flink"
    shutil.rmtree(work, ignore_errors=True)

    t_env = create_table_env(parallelism=config.get("job", "parallelism") or 1, jars=(jar,))
    configure(t_env, config)
    io = FileIO(input_path if records is None else None, work, records=records, splits=splits)
    build(t_env, config, io).execute().wait()

    outputs: dict[str, list] = {}
    for output in OUTPUTS:
        lines = _part_lines(work / output.view) if (work / output.view).exists() else []
        rows = fold_changelog(lines) if output.changelog else lines
        target = out_dir / output.file_name
        text = "\n".join(json.dumps(r, sort_keys=True) if isinstance(r, dict) else r for r in rows)
        target.write_text(text + "\n" if text else "", encoding="utf-8")
        outputs[output.view] = rows
    shutil.rmtree(work, ignore_errors=True)

    windows = [json.loads(line) for line in outputs["window_aggregates"]]
    read = len(records) if records is not None else count_records(Path(input_path))
    valid = sum(w["record_count"] for w in windows if w["vehicle_id"] != FLEET_ID)
    reasons = Counter(json.loads(line)["reason"] for line in outputs["dead_letters"])
    rejected = sum(reasons.values())
    summary = {
        "input": str(input_path), "records_read": read, "valid": valid, "rejected": rejected,
        "reconciled": read == valid + rejected,
        "rejected_by_reason": dict(sorted(reasons.items())),
        "health": health(read, reasons),
        "outputs": {FILE_NAMES[k]: len(v) for k, v in outputs.items()},
        "seconds": round(time.monotonic() - started, 1),
        # What produced these outputs: every job and rule setting that differs from its default.
        "settings": {f"{k.group}.{k.name}": config.get(k.group, k.name) for k in SCHEMA
                     if k.group in ("job", "rules", "sinks") and config.get(k.group, k.name) != k.default},
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def print_summary(summary: dict, out_dir: Path) -> None:
    print(f"replayed {summary['records_read']} records from {summary['input']} in {summary['seconds']} s")
    for name, count in summary["outputs"].items():
        print(f"  {out_dir / name}: {count} rows")
    print(f"  rejected by reason: {summary['rejected_by_reason'] or 'none'}")
    verdict = "OK" if summary["reconciled"] else "MISMATCH"
    print(f"reconciliation: read {summary['records_read']} = valid {summary['valid']} + "
          f"rejected {summary['rejected']} -> {verdict}")
    print(health_line(summary["health"]))


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m tooling.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="captured telemetry, one JSON payload per line; or the raw archive: "
                        "s3://bucket/prefix, a folder of its objects, or one object")
    parser.add_argument("--from", dest="start", metavar="HOUR",
                        help="archive only: first arrival hour to replay, UTC, e.g. 2026-11-23T12")
    parser.add_argument("--to", dest="end", metavar="HOUR", help="archive only: end of the range, exclusive")
    parser.add_argument("--lag-hours", type=int, default=1,
                        help="archive only: how many hours after an arrival Firehose may have filed it (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the output files")
    parser.add_argument("--config", type=Path, help="application properties JSON, MSF's shape; only the groups "
                        "that matter to a replay are needed (rules, job), AWS names are filled in")
    parser.add_argument("--set", action="append", default=[], metavar="GROUP.KEY=VALUE",
                        help="override one property, e.g. rules.threshold.engine=120 (repeatable)")
    parser.add_argument("--jar", type=Path, help="jar with the job's Java helpers (default: build/lib/"
                        "telemetry-helpers.jar from `make helpers`, else the connector jar)")
    parser.add_argument("--manifest", type=Path,
                        help="the simulator's ground-truth manifest: also print alert recall/precision "
                             "and dead letters injected vs rejected")
    args = parser.parse_args(argv)
    archived = archive.is_archive(args.input)
    if not archived and not Path(args.input).is_file():
        parser.error(f"input file {args.input} does not exist")
    if not archived and (args.start or args.end):
        parser.error("--from/--to select hours of the raw archive; the input is a capture file")
    if args.lag_hours < 0:
        parser.error("--lag-hours must be 0 or more")
    if str(args.out) == "-":
        parser.error("--out needs a folder ('-' is not standard output here)")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file; give a folder")
    if args.manifest and not args.manifest.is_file():
        parser.error(f"--manifest {args.manifest} does not exist")
    records = None
    try:
        config = replay_config(args.config, args.set)
        jar = java_helpers(args.jar)
        if archived:
            start = archive.parse_hour(args.start, "--from") if args.start else None
            end = archive.parse_hour(args.end, "--to") if args.end else None
            if start and end and end <= start:
                raise ConfigError(f"--to {args.end} must be after --from {args.start}")
            records, seen = archive.read(args.input, start, end, args.lag_hours,
                                         max_future_skew_ms=config.get("job", "max-future-skew.s") * 1000)
            print(f"archive {args.input}: {seen['objects']} objects, {seen['lines']} lines, {len(records)} records "
                  f"in range, {seen['copies_dropped']} archived twice (kept once)")
    except (ConfigError, archive.ArchiveError) as e:
        return fail(parser.prog, str(e))
    summary = run(args.input, args.out, config, jar, records)
    print_summary(summary, args.out)
    if args.manifest:
        scores = score(read_jsonl(args.manifest), read_jsonl(args.out / FILE_NAMES["alerts"]),
                       read_jsonl(args.out / FILE_NAMES["dead_letters"]))
        (args.out / "scores.json").write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
        print(f"alerts vs manifest: recall {scores['alerts_found']}/{scores['alerts_expected']}, "
              f"precision {scores['alerts_inside_scenarios']}/{scores['alerts_raised']}")
        for reason, n in scores["dead_letters_by_reason"].items():
            print(f"  dead letters {reason}: injected {n['injected']}, rejected {n['rejected']}")
    return 0 if summary["reconciled"] else 1


if __name__ == "__main__":
    import logging

    # py4j logs a traceback for the call Ctrl-C interrupted; the one line below says it all.
    logging.getLogger().addFilter(lambda r: "KeyboardInterrupt" not in r.getMessage())
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("replay interrupted; the output folder is incomplete", file=sys.stderr)
        sys.exit(130)
