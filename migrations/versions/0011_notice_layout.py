"""notices: a layout per notice (report, or a formal company document)

Revision ID: 0011_notice_layout
Revises: 0010_jobs_outbox
Create Date: 2026-12-03 08:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_notice_layout'
down_revision = '0010_jobs_outbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('layout', sa.String(length=20), server_default='report', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('layout')
