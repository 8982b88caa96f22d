"""office records: the writer roster (信息员), request verdicts, emergency grades, 不报 apart from 漏报,
Word tables kept with an item, and the "contains problems" mark

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'writer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('full_time', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('leader_in_charge', sa.String(length=50), nullable=False, server_default=''),
        sa.Column('phone', sa.String(length=32), nullable=False, server_default=''),
        sa.Column('in_post', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('trainings', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_writer_unit_id_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_writer')),
        sa.UniqueConstraint('unit_id', 'name', name=op.f('uq_writer_unit_id_name')),
    )
    with op.batch_alter_table('writer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_writer_unit_id'), ['unit_id'], unique=False)
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('writer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('request_verdict', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('event_grade', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('tables', sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column('contains_problems', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_foreign_key(batch_op.f('fk_item_writer_id_writer'), 'writer', ['writer_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_item_writer_id'), ['writer_id'], unique=False)
    with op.batch_alter_table('missed_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='missed'))


def downgrade() -> None:
    with op.batch_alter_table('missed_report', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_writer_id'))
        batch_op.drop_constraint(batch_op.f('fk_item_writer_id_writer'), type_='foreignkey')
        batch_op.drop_column('contains_problems')
        batch_op.drop_column('tables')
        batch_op.drop_column('event_grade')
        batch_op.drop_column('request_verdict')
        batch_op.drop_column('writer_id')
    op.drop_table('writer')
