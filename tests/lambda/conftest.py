"""Fixtures for the sample functions in lambda_src/: fresh handler imports, AWS fakes, servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
from helpers.lambda_harness import FakeLambdaContext, forget_lambda_modules, load_handler


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    """A Lambda context for handler calls."""
    return FakeLambdaContext()


@pytest.fixture
def load_function() -> Iterator[Callable[[str], ModuleType]]:
    """`load_function("items")` imports that function's handler fresh, as a cold start."""
    yield load_handler
    forget_lambda_modules()


@pytest.fixture
def aws_fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and region for boto3 under moto (never real ones: see tests/conftest.py)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator:
    """A real PostgreSQL server (TLS on, loopback only) for the whole session."""
    from helpers.postgres_server import running_postgres

    with running_postgres() as server:
        yield server
