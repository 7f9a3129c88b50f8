"""jobs and outbox: background jobs, the mail outbox, hall letters stored with their revision

Revision ID: 0010_jobs_outbox
Revises: 0009_evidence_integrity
Create Date: 2026-12-03 07:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import surveyapp.db

revision = '0010_jobs_outbox'
down_revision = '0009_evidence_integrity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=True),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('result_url', sa.String(length=300), nullable=True),
    sa.Column('result_name', sa.String(length=200), nullable=True),
    sa.Column('result', sa.LargeBinary(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', surveyapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', surveyapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', surveyapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_job_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_job_idempotency_key'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_status', ['status'], unique=False)

    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', surveyapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', surveyapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', surveyapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_status_next', ['status', 'next_attempt_at'], unique=False)

    op.create_table('notice_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', surveyapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['notice_revision.id'], name=op.f('fk_notice_letter_revision_id_notice_revision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_letter')),
    sa.UniqueConstraint('revision_id', 'hall_id', name=op.f('uq_notice_letter_revision_id_hall_id'))
    )


def downgrade() -> None:
    op.drop_table('notice_letter')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_status_next')
    op.drop_table('outbox_message')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_status')
    op.drop_table('job')
