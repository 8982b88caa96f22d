"""upward channels as data: outlets, items sent up and adopted there, external standings

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 18:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The codes of the two legacy levels, so existing rule sets (upward_points by level) keep scoring.
DEFAULT_OUTLETS = [
    ("province", "省委、省政府办公厅采用", "province", 1),
    ("central", "国办、中办采用", "central", 2),
    ("zryq", "国办《昨日要情》", "central", 3),
]


def upgrade() -> None:
    outlet = op.create_table(
        'outlet',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('tier', sa.String(length=16), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outlet')),
        sa.UniqueConstraint('code', name=op.f('uq_outlet_code')),
    )
    op.bulk_insert(
        outlet,
        [
            {"code": code, "name": name, "tier": tier, "sort_order": n, "active": True}
            for code, name, tier, n in DEFAULT_OUTLETS
        ],
    )
    op.create_table(
        'upward_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('outlet_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('reported_on', sa.Date(), nullable=False),
        sa.Column('awarded_points', sa.Float(), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_upward_report_item_id_item'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['outlet_id'], ['outlet.id'], name=op.f('fk_upward_report_outlet_id_outlet')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_upward_report_recorded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_upward_report')),
    )
    with op.batch_alter_table('upward_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upward_report_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_upward_report_outlet_id'), ['outlet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_upward_report_reported_on'), ['reported_on'], unique=False)
    # Every recorded upward adoption moves over, under the outlet of its level; its free-text outlet
    # (e.g. 《昨日要情》) is kept as the note.
    op.execute(
        "INSERT INTO upward_report (item_id, outlet_id, kind, reported_on, awarded_points, note, "
        "recorded_by_id, created_at) "
        "SELECT u.item_id, o.id, 'adopted', u.adopted_on, NULL, u.outlet, u.recorded_by_id, u.created_at "
        "FROM upward_adoption u JOIN outlet o ON o.code = u.level"
    )
    op.drop_table('upward_adoption')
    op.create_table(
        'external_standing',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=32), nullable=False),
        sa.Column('measure', sa.String(length=32), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('out_of', sa.Integer(), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_external_standing_recorded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_standing')),
        sa.UniqueConstraint('period', 'measure', name=op.f('uq_external_standing_period_measure')),
    )
    with op.batch_alter_table('external_standing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_standing_period'), ['period'], unique=False)


def downgrade() -> None:
    op.drop_table('external_standing')
    op.create_table(
        'upward_adoption',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('outlet', sa.String(length=100), nullable=False),
        sa.Column('adopted_on', sa.Date(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_upward_adoption_item_id_item'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_upward_adoption_recorded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_upward_adoption')),
    )
    op.execute(
        "INSERT INTO upward_adoption (item_id, level, outlet, adopted_on, recorded_by_id, created_at) "
        "SELECT r.item_id, o.tier, COALESCE(NULLIF(r.note, ''), o.name), r.reported_on, r.recorded_by_id, r.created_at "
        "FROM upward_report r JOIN outlet o ON o.id = r.outlet_id WHERE r.kind = 'adopted'"
    )
    op.drop_table('upward_report')
    op.drop_table('outlet')
