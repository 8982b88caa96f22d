"""page costs: the grassroots bodies each item names are kept (the dashboard counted them by scanning
every text on every request); only withdrawn items are indexed by withdrawn_at (an index over the
NULLs of every live item led SQLite's planner to scan the whole table for the live ones); an index
covers the dashboard's aggregates per unit

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:00:00

"""
from collections.abc import Collection

from alembic import op
import sqlalchemy as sa

from nlp.entities import grassroots_kinds


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grassroots', sa.String(length=64), nullable=True))
        batch_op.drop_index('ix_item_withdrawn_at')
    op.create_index(
        'ix_item_withdrawn_at',
        'item',
        ['withdrawn_at'],
        unique=False,
        sqlite_where=sa.text('withdrawn_at IS NOT NULL'),
        postgresql_where=sa.text('withdrawn_at IS NOT NULL'),
    )
    _fill_grassroots()
    # Covers the dashboard's aggregates per unit (webapp.models.FIGURE_COLUMNS).
    op.create_index(
        'ix_item_figures',
        'item',
        ['unit_id', 'event_date', 'status', 'kind', 'withdrawn_at', 'contains_problems', 'grassroots',
         'genre', 'submitted_at'],
        unique=False,
    )


def _fill_grassroots() -> None:
    """Compute the kept kinds of the items already stored, a batch at a time."""
    conn = op.get_bind()
    item = sa.table(
        'item', sa.column('id', sa.Integer), sa.column('simplified_text', sa.Text),
        sa.column('grassroots', sa.String),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(item.c.id, item.c.simplified_text)
            .where(item.c.id > last)
            .order_by(item.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        conn.execute(
            item.update().where(item.c.id == sa.bindparam('b_id')).values(grassroots=sa.bindparam('b_kinds')),
            [{'b_id': row.id, 'b_kinds': _kept(grassroots_kinds(row.simplified_text or ''))} for row in rows],
        )
        last = rows[-1].id


def _kept(kinds: Collection[str]) -> str:
    return ',' + ','.join(sorted(kinds)) + ',' if kinds else ','


def downgrade() -> None:
    op.drop_index('ix_item_figures', table_name='item')
    op.drop_index('ix_item_withdrawn_at', table_name='item')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index('ix_item_withdrawn_at', ['withdrawn_at'], unique=False)
        batch_op.drop_column('grassroots')
