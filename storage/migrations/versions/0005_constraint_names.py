"""every constraint named by the convention, on databases made before it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00.000000

Databases created by 0001–0003 before `storage.models.NAMING_CONVENTION` hold unnamed
constraints on SQLite and server-chosen names (`member_pkey`, `member_household_id_fkey`) on
PostgreSQL. This gives them the names a fresh database gets, so autogenerate finds nothing to
change and later migrations can drop or alter a constraint by its name on every database.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy, not an import: this revision must keep meaning what it meant when it was written.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Parents before children; every table that existed at 0003.
TABLES = (
    "household",
    "member",
    "identity",
    "pairing_code",
    "inbox_event",
    "action_record",
    "outbox_message",
    "pending_confirmation",
    "audit_entry",
    "stranger_notice",
    "conversation_message",
    "memory_fact",
    "member_chat",
    "scheduled_job",
    "job_firing",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot rename a constraint: each table is rebuilt with its constraints named.
        # storage.database runs migrations with foreign keys off, so no rebuild cascades.
        for table in TABLES:
            with op.batch_alter_table(
                table, recreate="always", naming_convention=NAMING_CONVENTION
            ):
                pass
        return
    inspector = sa.inspect(op.get_bind())
    for table in TABLES:
        for old, new in _names(inspector, table):
            if old and old != new:
                op.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{old}" TO "{new}"')


def _names(inspector: sa.Inspector, table: str) -> list[tuple[str | None, str]]:
    """(current name, conventional name) of the table's primary key, uniques and foreign keys."""
    names: list[tuple[str | None, str]] = [
        (inspector.get_pk_constraint(table).get("name"), f"pk_{table}")
    ]
    for unique in inspector.get_unique_constraints(table):
        columns = "_".join(str(c) for c in unique["column_names"])
        names.append((unique["name"], f"uq_{table}_{columns}"))
    for key in inspector.get_foreign_keys(table):
        columns = "_".join(key["constrained_columns"])
        names.append((key["name"], f"fk_{table}_{columns}_{key['referred_table']}"))
    return names


def downgrade() -> None:
    """Nothing to undo: earlier revisions work the same with named constraints."""
