"""checklist first loaded: when each checklist version first existed (``loaded_at`` is rewritten on reload)

Backfilled from what is known: the earliest of its ``loaded_at``, ``frozen_at``, its ``checklist.load`` audit
entry and the times of the visits that used it (so no stored visit is dated before its version).

Revision ID: 0016_checklist_first_loaded
Revises: 0015_heat_tallies
Create Date: 2026-12-03 13:50:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import surveyapp.db

revision = '0016_checklist_first_loaded'
down_revision = '0015_heat_tallies'
branch_labels = None
depends_on = None

UTC = surveyapp.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('checklist_version') as batch:
        batch.add_column(sa.Column('first_loaded_at', UTC, nullable=True))
    bind = op.get_bind()
    version = sa.table('checklist_version', sa.column('id', sa.Integer), sa.column('loaded_at', UTC),
                       sa.column('frozen_at', UTC), sa.column('first_loaded_at', UTC))
    audit = sa.table('audit_entry', sa.column('at', UTC), sa.column('action', sa.String),
                     sa.column('object_type', sa.String), sa.column('object_id', sa.String))
    visit = sa.table('visit', sa.column('checklist_version_id', sa.Integer), sa.column('visited_at', UTC),
                     sa.column('started_at', UTC), sa.column('created_at', UTC))
    earliest = {}
    for vid, loaded, frozen in bind.execute(sa.select(version.c.id, version.c.loaded_at, version.c.frozen_at)):
        earliest[vid] = min(t for t in (loaded, frozen) if t is not None)
    for object_id, at in bind.execute(
            sa.select(audit.c.object_id, sa.func.min(audit.c.at))
            .where(audit.c.object_type == 'checklist_version', audit.c.action == 'checklist.load')
            .group_by(audit.c.object_id)):
        if object_id is not None and object_id.isdigit() and int(object_id) in earliest:
            earliest[int(object_id)] = min(earliest[int(object_id)], at)
    for column in (visit.c.visited_at, visit.c.started_at, visit.c.created_at):
        for vid, at in bind.execute(sa.select(visit.c.checklist_version_id, sa.func.min(column))
                                    .where(visit.c.checklist_version_id.is_not(None))
                                    .group_by(visit.c.checklist_version_id)):
            if at is not None and vid in earliest:
                earliest[vid] = min(earliest[vid], at)
    for vid, at in earliest.items():
        bind.execute(version.update().where(version.c.id == vid).values(first_loaded_at=at))
    with op.batch_alter_table('checklist_version') as batch:
        batch.alter_column('first_loaded_at', existing_type=UTC, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('checklist_version') as batch:
        batch.drop_column('first_loaded_at')
