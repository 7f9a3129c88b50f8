"""heat tallies: a token per month, and each month's failures and points per item and unit, kept under it

Revision ID: 0015_heat_tallies
Revises: 0014_trends
Create Date: 2026-12-03 14:00:00.000000
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0015_heat_tallies'
down_revision = '0014_trends'
branch_labels = None
depends_on = None


def upgrade() -> None:
    stamp = op.create_table('month_stamp',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('token', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_month_stamp'))
    )
    op.bulk_insert(stamp, [{'period': '*', 'token': str(uuid.uuid4())}])
    op.create_table('heat_tally_month',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('stamp', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_heat_tally_month'))
    )
    op.create_table('heat_tally',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('earned', sa.Integer(), nullable=False),
    sa.Column('possible', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period', 'item_id', 'unit_id', name=op.f('pk_heat_tally'))
    )


def downgrade() -> None:
    op.drop_table('heat_tally')
    op.drop_table('heat_tally_month')
    op.drop_table('month_stamp')
