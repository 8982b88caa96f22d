"""kept analysis: the token streams of each item's one analysis (a status change re-indexes without
cutting), SimHash band buckets and the near-duplicate pairs found once on submission

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 18:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'item_analysis',
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('title_tokens', sa.Text(), nullable=False),
        sa.Column('body_tokens', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['item_id'], ['item.id'], name=op.f('fk_item_analysis_item_id_item'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('item_id', name=op.f('pk_item_analysis')),
    )
    op.create_table(
        'simhash_band',
        sa.Column('key', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ['item_id'], ['item.id'], name=op.f('fk_simhash_band_item_id_item'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('key', 'item_id', name=op.f('pk_simhash_band')),
    )
    with op.batch_alter_table('simhash_band', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_simhash_band_item_id'), ['item_id'], unique=False)
    _file_bands()
    op.create_table(
        'item_duplicate',
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('other_id', sa.Integer(), nullable=False),
        sa.Column('similarity', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ['item_id'], ['item.id'], name=op.f('fk_item_duplicate_item_id_item'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['other_id'], ['item.id'], name=op.f('fk_item_duplicate_other_id_item'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('item_id', 'other_id', name=op.f('pk_item_duplicate')),
    )
    with op.batch_alter_table('item_duplicate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_duplicate_other_id'), ['other_id'], unique=False)


def _file_bands() -> None:
    """File the bands of the items already stored (from their fingerprints: no text is cut), so the
    duplicate check finds them; their token streams are kept when they are next analysed."""
    conn = op.get_bind()
    item = sa.table('item', sa.column('id', sa.Integer()), sa.column('fingerprint', sa.BigInteger()))
    band = sa.table(
        'simhash_band',
        sa.column('key', sa.Integer()),
        sa.column('item_id', sa.Integer()),
        sa.column('fingerprint', sa.BigInteger()),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(item.c.id, item.c.fingerprint).where(item.c.id > last).order_by(item.c.id).limit(1000)
        ).all()
        if not rows:
            return
        conn.execute(
            band.insert(),
            [
                {'key': k * 256 + (((fp or 0) & (2**64 - 1)) >> (8 * k) & 0xFF), 'item_id': i, 'fingerprint': fp or 0}
                for i, fp in rows
                for k in range(8)
            ],
        )
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('item_duplicate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_duplicate_other_id'))
    op.drop_table('item_duplicate')
    with op.batch_alter_table('simhash_band', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_simhash_band_item_id'))
    op.drop_table('simhash_band')
    op.drop_table('item_analysis')
