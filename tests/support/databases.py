"""`pytest --database=postgres` (or GEPETO_TEST_DATABASE=postgres): households in PostgreSQL.

One throw-away cluster serves the whole run and each household gets a fresh database, so the
same tests check the same behaviour on both engines. Tests about the SQLite file itself are
marked `sqlite_only` and skipped there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.home import DATABASE
from tests.support.postgres import Cluster, throwaway_cluster

OPTION = "--database"
VARIABLE = "GEPETO_TEST_DATABASE"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION,
        choices=("sqlite", "postgres"),
        default=os.environ.get(VARIABLE, "sqlite"),
        help="where test households keep their database (default: sqlite, or $" + VARIABLE + ")",
    )


def on_postgres(config: pytest.Config) -> bool:
    return bool(config.getoption(OPTION) == "postgres")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_postgres(config):
        return
    skip = pytest.mark.skip(reason="about the SQLite file itself")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server on a loopback port for this run, removed afterwards."""
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture(autouse=True)
def household_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """In the PostgreSQL run, every bot.toml a test writes names a new, empty database."""
    if not on_postgres(request.config):
        yield
        return
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    households: dict[Path, str] = {}

    def database_for(directory: Path) -> str:
        folder = directory.resolve()
        if folder not in households:
            households[folder] = cluster.new_database()
        return households[folder]

    DATABASE.database_for = database_for
    try:
        yield
    finally:
        DATABASE.database_for = None
