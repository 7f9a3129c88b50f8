"""month close: closed months, late visits, halls' creation time, what a revision was published from, and a
PostgreSQL trigger that keeps published notice revisions unchanged

Revision ID: 0008_month_close
Revises: 0007_feedback
Create Date: 2026-12-03 07:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import surveyapp.db

revision = '0008_month_close'
down_revision = '0007_feedback'
branch_labels = None
depends_on = None

#: A published revision never changes: no UPDATE (bulk or not) and no DELETE reaches its row. Only a deliberate
#: maintenance transaction that says so (``SET LOCAL surveyapp.maintenance = 'on'``, e.g. emptying a test
#: database) may delete rows.
FROZEN_FUNCTION = """
CREATE OR REPLACE FUNCTION notice_revision_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('surveyapp.maintenance', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'notice revision % is published and never changes', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""
FROZEN_TRIGGER = """
CREATE TRIGGER notice_revision_frozen BEFORE UPDATE OR DELETE ON notice_revision
    FOR EACH ROW EXECUTE FUNCTION notice_revision_frozen()
"""


def upgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', surveyapp.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notice_closed_by_id_user'), 'user', ['closed_by_id'], ['id'])
    with op.batch_alter_table('notice_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('preview_sha256', sa.String(length=64), nullable=True))
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('hall', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', surveyapp.db.UTCDateTime(timezone=True), nullable=True))
    # A month already published is closed since its first publication.
    op.execute("UPDATE notice SET closed_at = (SELECT MIN(r.published_at) FROM notice_revision r "
               "WHERE r.notice_id = notice.id) WHERE status = 'published'")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(FROZEN_FUNCTION)
        op.execute(FROZEN_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS notice_revision_frozen ON notice_revision")
        op.execute("DROP FUNCTION IF EXISTS notice_revision_frozen()")
    with op.batch_alter_table('hall', schema=None) as batch_op:
        batch_op.drop_column('created_at')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('late')
    with op.batch_alter_table('notice_revision', schema=None) as batch_op:
        batch_op.drop_column('preview_sha256')
        batch_op.drop_column('draft_version')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notice_closed_by_id_user'), type_='foreignkey')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')
