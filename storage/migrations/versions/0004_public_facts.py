"""facts a statement carries to the public

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:05:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_COLUMNS = (('public_title', 200), ('public_severity', 8), ('public_state', 16))


def upgrade() -> None:
    for name, length in _COLUMNS:
        op.add_column('statements', sa.Column(name, sa.String(length=length), nullable=True))
    # Statements approved before this revision carried the incident's facts as they are
    # now (that was the old behaviour); a resolution always said "resolved".
    for name, source in (('public_title', 'title'), ('public_severity', 'severity')):
        op.execute(
            f"UPDATE statements SET {name} = (SELECT incidents.{source} FROM incidents "
            "WHERE incidents.id = statements.incident_id) "
            "WHERE state IN ('approved', 'published')"
        )
    op.execute(
        "UPDATE statements SET public_state = CASE WHEN kind IN ('resolution', 'postmortem') "
        "THEN 'resolved' ELSE (SELECT CASE WHEN incidents.state = 'resolved' THEN "
        "'monitoring' ELSE incidents.state END FROM incidents "
        "WHERE incidents.id = statements.incident_id) END "
        "WHERE state IN ('approved', 'published')"
    )


def downgrade() -> None:
    with op.batch_alter_table('statements', schema=None) as batch_op:
        for name, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
