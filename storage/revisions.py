"""The newest migration revisions, read from the migration files without loading Alembic.

Alembic costs more to import than a `gepeto say` costs to run, so start-up compares these heads
with the database's `alembic_version` rows and only brings Alembic in when they differ.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

LINKS = ("revision", "down_revision", "depends_on")


def known_heads(locations: Iterable[Path]) -> frozenset[str] | None:
    """The head revisions of the migrations in these folders, or None when unsure.

    Unsure (a file whose revision is not a plain literal) means "let Alembic decide": the
    caller then runs the full upgrade. `depends_on` (a skill's branch needing a core revision)
    does not make that revision stop being a head, as in Alembic's own version table; were it
    ever read wrongly, the heads would differ from the table's and Alembic would decide — a
    slower start, never a skipped migration, since a new file always brings a new head.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for folder in locations:
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith(("__init__", ".#")):
                continue  # the files Alembic skips too
            links = _links(path)
            if links is None:
                return None
            revision, down, _depends_on = links
            if not isinstance(revision, str):
                return None
            revisions.add(revision)
            if isinstance(down, str):
                parents.add(down)
            elif isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
                parents.update(down)
            elif down is not None:
                return None
    return frozenset(revisions - parents)


def known_revisions(locations: Iterable[Path]) -> frozenset[str]:
    """Every revision named in these folders' migration files."""
    found = set()
    for folder in locations:
        for path in folder.glob("*.py"):
            links = None if path.name.startswith(("__init__", ".#")) else _links(path)
            if links is not None and isinstance(links[0], str):
                found.add(links[0])
    return frozenset(found)


def _links(path: Path) -> tuple[object, object, object] | None:
    """The literal `revision`, `down_revision` and `depends_on` of one migration file."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    found: dict[str, object] = {}
    targets: list[ast.expr]
    for statement in tree.body:
        if isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        elif isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in LINKS:
                try:
                    found[target.id] = ast.literal_eval(value)
                except ValueError:
                    return None
    if "revision" not in found:
        return None
    return found["revision"], found.get("down_revision"), found.get("depends_on")
