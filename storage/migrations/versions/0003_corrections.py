"""corrections

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:12:41.508113
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand: on SQLite a batch "move and copy" of `statements` would drop a table
    # that other rows reference (foreign keys are on), so the column is added in place with
    # an inline REFERENCES, which SQLite allows for a nullable column.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    column = sa.Column(
        'corrects_id',
        sa.Integer(),
        sa.ForeignKey('statements.id', name=op.f('fk_statements_corrects_id_statements')),
        nullable=True,
    )
    if sqlite:
        op.add_column('statements', column, inline_references=True)
    else:
        op.add_column('statements', sa.Column('corrects_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_statements_corrects_id_statements'),
            'statements', 'statements', ['corrects_id'], ['id'],
        )
    op.create_index(op.f('ix_statements_corrects_id'), 'statements', ['corrects_id'], unique=False)
    op.add_column(
        'deliveries',
        sa.Column('amended_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('amended_at')
    op.drop_index(op.f('ix_statements_corrects_id'), table_name='statements')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':
            batch_op.drop_constraint(
                op.f('fk_statements_corrects_id_statements'), type_='foreignkey'
            )
        batch_op.drop_column('corrects_id')
