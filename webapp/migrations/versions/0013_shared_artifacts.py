"""shared artifacts: the refined kind model and the keyword IDF table live in the database, so that
every host uses what one of them trained (the instance files are imported once)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'shared_artifact',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=False, server_default=''),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_shared_artifact')),
    )


def downgrade() -> None:
    op.drop_table('shared_artifact')
