"""a leader's 批示 behind a request (约稿), with its time limit

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:25:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instruction_leader', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('instruction_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('time_limit_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_column('time_limit_days')
        batch_op.drop_column('instruction_text')
        batch_op.drop_column('instruction_leader')
