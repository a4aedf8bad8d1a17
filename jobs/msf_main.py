"""Entry file MSF runs: `tooling.package` copies this file to `main.py` at the root of the zip.

MSF's run options name it (`python = main.py`); the PythonDriver runs it as a script. It imports
nothing heavy at module level so that importing it (tests, tooling) has no side effects; `main()`
puts the zip root on sys.path (so `jobs`, `udfs` and `sql/` resolve from the unpacked zip, whatever
the driver's working directory) and calls the job: with no arguments, as MSF runs it, in MSF mode
(read /etc/flink/application_properties.json, submit, return).
"""
from __future__ import annotations

import os
import sys


def main() -> None:
    root = os.path.dirname(os.path.abspath(__file__))
    if root not in sys.path:
        sys.path.insert(0, root)
    from jobs.telemetry_job import main as job_main

    # MSF passes no arguments: MSF mode (reads the application properties, returns after submit).
    # `flink run -py main.py --config FILE` runs the packaged job locally the same way MSF does.
    job_main(sys.argv[1:])


if __name__ == "__main__":
    main()
