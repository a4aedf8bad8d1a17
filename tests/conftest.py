"""Session-wide fixtures: one moto server and one MiniCluster-backed TableEnvironment per run."""
from __future__ import annotations

import pytest

from jobs.local_aws import MotoServer


@pytest.fixture(scope="session")
def moto_server():
    with MotoServer() as server:
        yield server


@pytest.fixture
def moto(moto_server):
    """The session's moto server, emptied before each test that uses it."""
    moto_server.reset()
    return moto_server
