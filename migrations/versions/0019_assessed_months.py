"""assessed months: a month's results kept in the database under the assessment stamp, for every process

Revision ID: 0019_assessed_months
Revises: 0018_preview_digest
Create Date: 2026-12-03 18:45:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import surveyapp.db

revision = '0019_assessed_months'
down_revision = '0018_preview_digest'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assessed_month',
    sa.Column('slot', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('token', sa.String(length=36), nullable=False),
    sa.Column('stored_at', surveyapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('slot', name=op.f('pk_assessed_month'))
    )


def downgrade() -> None:
    op.drop_table('assessed_month')
