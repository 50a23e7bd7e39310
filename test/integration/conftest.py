"""Fixtures of the worker and dispatch integration tests."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from pgserver import PgServer  # noqa: E402
from sink import Sink  # noqa: E402

from pgserver import PORT_OFFSET  # noqa: E402

# Ports: PostgreSQL 55431, sinks 18082-18083, a closed port 18089, each
# moved by CAMPAIGNS_IT_PORT_OFFSET so that two checkouts can run the suite
# at once.
PG_PORT_BASE = int(os.environ.get("CAMPAIGNS_IT_PG_PORT", 55431 + PORT_OFFSET))
SINK_PORT_BASE = int(os.environ.get("CAMPAIGNS_IT_SINK_PORT", 18082 + PORT_OFFSET))
DEAD_PORT = int(os.environ.get("CAMPAIGNS_IT_DEAD_PORT", 18089 + PORT_OFFSET))


@pytest.fixture
def sink():
    s = Sink(SINK_PORT_BASE).start()
    yield s
    s.stop()


@pytest.fixture
def sink2():
    s = Sink(SINK_PORT_BASE + 1).start()
    yield s
    s.stop()


def make_server(request, settings):
    srv = PgServer(PG_PORT_BASE, settings)
    request.addfinalizer(srv.cleanup)
    srv.start()
    return srv


@pytest.fixture
def pg(request, sink):
    """A server whose worker delivers to the sink, with quick retries."""
    return make_server(request, {
        "campaigns.outbound_allow": "'127.0.0.1/32'",
        "campaigns.email_endpoint": "'%s'" % sink.url,
        "campaigns.linkedin_endpoint": "'%s'" % sink.url,
        "campaigns.retry_base_ms": "200",
        "campaigns.retry_max_ms": "2000",
        "campaigns.request_timeout_ms": "1000",
        "campaigns.lease_seconds": "1",
        "campaigns.max_attempts": "3",
    })
