"""Where the build puts things (Makefile targets `jars` and `helpers`)."""
from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONNECTOR_JAR = PROJECT_DIR / "build" / "lib" / "telemetry-connectors.jar"
# The project's Java helpers alone (also inside CONNECTOR_JAR): enough for file replays.
HELPERS_JAR = PROJECT_DIR / "build" / "lib" / "telemetry-helpers.jar"
