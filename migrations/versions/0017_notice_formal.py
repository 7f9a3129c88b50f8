"""notices: the formal layout's issuing unit and distribution lines (主送, 抄报, 抄送) per notice

Revision ID: 0017_notice_formal
Revises: 0016_checklist_first_loaded
Create Date: 2026-12-03 14:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017_notice_formal'
down_revision = '0016_checklist_first_loaded'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('formal', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('formal')
