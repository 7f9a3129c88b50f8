"""notices: the hash of each draft previewed, kept in the database so any worker's publish request finds it

Revision ID: 0018_preview_digest
Revises: 0017_notice_formal
Create Date: 2026-12-03 18:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import surveyapp.db

revision = '0018_preview_digest'
down_revision = '0017_notice_formal'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notice_preview_digest',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('made_at', surveyapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_notice_preview_digest')),
    )
    with op.batch_alter_table('notice_preview_digest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_preview_digest_made_at'), ['made_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notice_preview_digest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_preview_digest_made_at'))
    op.drop_table('notice_preview_digest')
