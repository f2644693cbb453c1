import itertools

import pytest
from django.test import Client

_addresses = (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1))


@pytest.fixture
def client():
    """pytest-django's client, calling from an address of its own: the API's rate limits count per address and
    minute, and a suite makes hundreds of requests a minute (tests/api/test_tokens.py tests the limits themselves)."""
    return Client(REMOTE_ADDR=next(_addresses))
