"""trends: the assessment stamp, the key of each process's cache of assessed months

Revision ID: 0014_trends
Revises: 0011_notice_layout
Create Date: 2026-12-03 07:40:00.000000
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0014_trends'
down_revision = '0011_notice_layout'
branch_labels = None
depends_on = None


def upgrade() -> None:
    stamp = op.create_table('assessment_stamp',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('token', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_stamp'))
    )
    op.bulk_insert(stamp, [{'id': 1, 'token': str(uuid.uuid4())}])


def downgrade() -> None:
    op.drop_table('assessment_stamp')
