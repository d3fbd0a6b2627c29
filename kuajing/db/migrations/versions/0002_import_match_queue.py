"""import match queue (待对碰队列): parcels whose match runs in the pipeline (setting match_in = "pipeline")

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 05:25:04.794690
"""
from alembic import op
import sqlalchemy as sa
import kuajing.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_match_queue',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_no', sa.String(length=60), nullable=False),
    sa.Column('ebp_code', sa.String(length=18), nullable=True),
    sa.Column('enqueued_at', kuajing.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_match_queue'))
    )


def downgrade() -> None:
    op.drop_table('import_match_queue')
