"""checklists: versions loaded from forms files, one row per item

Revision ID: 0002_checklists
Revises: 0001
Create Date: 2026-11-27 03:05:39.322425
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import surveyapp.db

revision = '0002_checklists'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checklist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('created_at', surveyapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist')),
    sa.UniqueConstraint('slug', name=op.f('uq_checklist_slug'))
    )
    op.create_table('checklist_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('loaded_at', surveyapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('frozen_at', surveyapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklist.id'], name=op.f('fk_checklist_version_checklist_id_checklist'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_version')),
    sa.UniqueConstraint('checklist_id', 'version', name=op.f('uq_checklist_version_checklist_id_version'))
    )
    op.create_table('checklist_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=129), nullable=False),
    sa.Column('section_id', sa.String(length=64), nullable=False),
    sa.Column('section_title', sa.String(length=200), nullable=False),
    sa.Column('section_title_en', sa.String(length=200), nullable=True),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=True),
    sa.Column('kind', sa.Enum('check', 'count', 'scale', 'text', 'staff', name='itemkind', native_enum=False, length=20), nullable=False),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('per', sa.Integer(), nullable=True),
    sa.Column('redline', sa.Boolean(), nullable=False),
    sa.Column('evidence', sa.Enum('none', 'optional', 'on-fail', 'required', name='evidencerule', native_enum=False, length=20), nullable=False),
    sa.Column('visit_types', sa.JSON(), nullable=True),
    sa.Column('hall_types', sa.JSON(), nullable=True),
    sa.Column('guidance', sa.Text(), nullable=True),
    sa.Column('guidance_en', sa.Text(), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['checklist_version.id'], name=op.f('fk_checklist_item_version_id_checklist_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_item')),
    sa.UniqueConstraint('version_id', 'key', name=op.f('uq_checklist_item_version_id_key'))
    )


def downgrade() -> None:
    op.drop_table('checklist_item')
    op.drop_table('checklist_version')
    op.drop_table('checklist')
