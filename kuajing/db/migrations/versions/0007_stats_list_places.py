"""stats list places: the enterprise, district and park a released list was counted in, kept so that reversals and
backfills use the place at release, not the enterprise's current one

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 18:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stats_list_places',
        sa.Column('direction', sa.String(length=6), nullable=False),
        sa.Column('inventory_id', sa.BigInteger(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('district', sa.String(length=12), nullable=False),
        sa.Column('park', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('direction', 'inventory_id', name=op.f('pk_stats_list_places')),
    )


def downgrade() -> None:
    op.drop_table('stats_list_places')
