"""outbox order number: the parcel of each outbox row, so the scale-out relay sends a list once its own
documents are sent (not after every older document of every parcel)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:07:31.048012
"""
from alembic import op
import sqlalchemy as sa
import kuajing.db.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_no', sa.String(length=60), nullable=True))
        batch_op.create_index('ix_import_outbox_order', ['order_no', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('import_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_import_outbox_order')
        batch_op.drop_column('order_no')

