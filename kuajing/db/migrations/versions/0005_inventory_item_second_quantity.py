"""inventory item second quantity: a list line keeps its second legal quantity and unit (第二法定数量/单位), so the
tax engine can read a cosmetic's net content from whichever legal unit is a mass or a volume

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 08:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import kuajing.db.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_inventory_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qty2', kuajing.db.types.ExactDecimal(18, 5), nullable=True))
        batch_op.add_column(sa.Column('unit2', sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('import_inventory_items', schema=None) as batch_op:
        batch_op.drop_column('unit2')
        batch_op.drop_column('qty2')
