"""Build the application zip that MSF runs.

    python -m tooling.package [--out build/telemetry-job.zip] [--jar build/lib/telemetry-connectors.jar]

Layout (MSF unpacks the zip and reads the run options group `kinesis.analytics.flink.run.options`):

    main.py                         jobs/msf_main.py: the entry file (run options `python`)
    jobs/*.py, udfs/*.py            the job's packages, imported from the zip root
    udfs/telemetry_record.schema.json  the record contract, read by udfs/telemetry.py at import
    sql/*.sql                       the business SQL, read by jobs/sql_files.py at ../sql
    lib/telemetry-connectors.jar    the shaded AWS connectors (run options `jarfile`)

Python dependencies: none are packaged. The only runtime dependency is apache-flink, which the
MSF runtime provides; anything pure-Python added later must be vendored into the zip, because
MSF installs nothing with pip. Tests, the simulator, benchmarks and __pycache__ stay out.

The zip is deterministic (sorted entries, fixed timestamps and permissions), so unchanged sources
give identical bytes: the same SHA-256, hence the same S3 key in `tooling.deploy` and no new
application version for a no-op deploy. The default name matches infra/ (`code_object_key`).
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import zipfile
from pathlib import Path

from jobs.cli import Parser
from tooling.paths import CONNECTOR_JAR, PROJECT_DIR

DEFAULT_OUT = PROJECT_DIR / "build" / "telemetry-job.zip"
DEFAULT_JAR = CONNECTOR_JAR
ENTRY_FILE = "main.py"
JAR_IN_ZIP = "lib/telemetry-connectors.jar"
PACKAGES = ("jobs", "udfs")
# .json: udfs/telemetry_record.schema.json, the record contract the parser reads at import.
PACKAGE_FILE_TYPES = (".py", ".json")
CONNECTOR_ARTIFACTS = ("org.apache.flink:flink-connector-aws-kinesis-streams:6.0.0-2.0",
                       "org.apache.flink:flink-connector-aws-kinesis-firehose:6.0.0-2.0",
                       "org.apache.flink:flink-connector-dynamodb:6.0.0-2.0")
# The earliest time a zip can store; any fixed value works, this one is conventional.
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(RuntimeError):
    pass


def run_options() -> dict[str, str]:
    """MSF's run options group: entry file and connector jar, as paths inside the zip."""
    return {"python": ENTRY_FILE, "jarfile": JAR_IN_ZIP}


def sources(root: Path = PROJECT_DIR) -> dict[str, Path]:
    """Zip entry name -> file, for everything but the jar."""
    files = {ENTRY_FILE: root / "jobs" / "msf_main.py"}
    for package in PACKAGES:
        for path in (root / package).rglob("*"):
            if path.suffix in PACKAGE_FILE_TYPES and "__pycache__" not in path.parts:
                files[path.relative_to(root).as_posix()] = path
    for path in (root / "sql").glob("*.sql"):
        files[f"sql/{path.name}"] = path
    return files


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def missing_jar_message(jar: Path) -> str:
    return (f"connector jar {jar} is missing: run `make jars` first (Maven resolves "
            f"{', '.join(CONNECTOR_ARTIFACTS)} from Maven Central; see README 'Connector jars'). "
            f"Without the jar the application cannot start on MSF.")


def build_package(out: Path, jar: Path | None, *, python_only: bool = False, root: Path = PROJECT_DIR) -> Path:
    """Write the zip to `out` and return it.

    jar=None is refused unless python_only=True: that zip has no lib/ and CANNOT run on MSF (no
    connectors); it exists for tests of the deploy API and of the packaged Python code.
    """
    if python_only:
        if jar is not None:
            raise PackageError("python_only=True builds a zip without the jar; do not pass one")
    elif jar is None or not Path(jar).is_file():
        raise PackageError(missing_jar_message(Path(jar) if jar else DEFAULT_JAR))
    files = sources(root)
    if not python_only:
        files[JAR_IN_ZIP] = Path(jar)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a failed build never leaves a half zip to upload.
    fd, tmp = tempfile.mkstemp(prefix=out.name, suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.create_system = 3  # Unix, so the permission bits below are honoured
                info.external_attr = 0o644 << 16
                # The jar is already compressed; deflating it again costs time and gains nothing.
                info.compress_type = zipfile.ZIP_STORED if name.endswith(".jar") else zipfile.ZIP_DEFLATED
                zf.writestr(info, files[name].read_bytes())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m tooling.package",
                    description="Build the MSF application zip (main.py, jobs/, udfs/, sql/, lib/).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default {DEFAULT_OUT})")
    parser.add_argument("--jar", type=Path, default=DEFAULT_JAR, help=f"connector jar (default {DEFAULT_JAR})")
    parser.add_argument("--python-only", action="store_true",
                        help="leave out the jar: for tests only, such a zip CANNOT run on MSF")
    args = parser.parse_args(argv)
    try:
        out = build_package(args.out, None if args.python_only else args.jar, python_only=args.python_only)
    except PackageError as e:
        print(f"package: error: {e}", file=sys.stderr)
        return 2
    with zipfile.ZipFile(out) as zf:
        count = len(zf.namelist())
    print(f"{out}: {count} entries, {out.stat().st_size} bytes, sha256 {sha256(out)}")
    if args.python_only:
        print("WARNING: no connector jar inside: this zip cannot run on MSF", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
