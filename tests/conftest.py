"""Session-wide fixtures: one moto server and one MiniCluster-backed TableEnvironment per run."""
from __future__ import annotations

import os

import pytest

# Shared expectations assert too: let pytest explain their failures as it does in test files.
pytest.register_assert_rewrite("tests.scenario")

from tooling.local_aws import MotoServer  # noqa: E402
from tooling.paths import CONNECTOR_JAR  # noqa: E402

# The environment before any Flink job ran in this process: a local PyFlink run leaves its
# worker variables behind (PYFLINK_GATEWAY_DISABLED, FLINK_HOME, ...), and a child Python
# inheriting them refuses to start a gateway of its own.
PRISTINE_ENV = dict(os.environ)


@pytest.fixture(scope="session")
def moto_server():
    with MotoServer() as server:
        yield server


@pytest.fixture
def moto(moto_server):
    """The session's moto server, emptied before each test that uses it."""
    moto_server.reset()
    return moto_server


@pytest.fixture(scope="session")
def connector_jar():
    """The shaded AWS connector jar. A developer without it gets a skip that says how to build it;
    CI (CI=true) gets a failure, so the AWS leg can never silently stop running there."""
    if not CONNECTOR_JAR.is_file():
        msg = (f"{CONNECTOR_JAR.name} missing: `make jars` could not build it from Maven Central "
               f"(see build-jars.log; `make jars CONNECTOR_REPO=<folder or URL>` adds a repository)")
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return CONNECTOR_JAR


@pytest.fixture(scope="session")
def backlog_fleet():
    """tests/backlog.py's fleet: (records, manifest)."""
    from simulator import generate
    from tests.backlog import FLEET

    sim = generate(FLEET)
    return list(sim), sim.manifest


@pytest.fixture(scope="session")
def backlog_runs(moto_server, connector_jar, backlog_fleet):
    """The backlog through the job without a fault, read by 4, 2 and 1 subtasks: what the shard
    tests compare with each other and the fault tests compare with."""
    from tests.backlog import run_backlog

    records, _ = backlog_fleet
    return {p: run_backlog(moto_server, records, p) for p in (4, 2, 1)}
