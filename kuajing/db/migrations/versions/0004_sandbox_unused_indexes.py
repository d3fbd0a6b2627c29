"""sandbox unused indexes: three indexes of customs_sandbox_declarations no query reads (buyer key, enterprise
code, transport message id); each declaration row is written about eight times on its way to release

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 06:21:53.915031
"""
from alembic import op
import sqlalchemy as sa
import kuajing.db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customs_sandbox_declarations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customs_sandbox_declarations_buyer_key'))
        batch_op.drop_index(batch_op.f('ix_customs_sandbox_declarations_enterprise_code'))
        batch_op.drop_index(batch_op.f('ix_customs_sandbox_declarations_transport_message_id'))



def downgrade() -> None:
    with op.batch_alter_table('customs_sandbox_declarations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customs_sandbox_declarations_transport_message_id'), ['transport_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customs_sandbox_declarations_enterprise_code'), ['enterprise_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_customs_sandbox_declarations_buyer_key'), ['buyer_key'], unique=False)

