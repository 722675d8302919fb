"""email sends remember the delivery attempt that claimed them

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A claim made by an earlier attempt of the delivery belongs to a sender whose lease
    # lapsed (it died, or gave up): the next attempt takes it over at once. Rows from
    # before this column count as attempt 0, older than any attempt.
    op.add_column(
        'email_sends',
        sa.Column('attempt', sa.Integer(), nullable=False, server_default='0'),
    )


def downgrade() -> None:
    with op.batch_alter_table('email_sends') as batch:
        batch.drop_column('attempt')
