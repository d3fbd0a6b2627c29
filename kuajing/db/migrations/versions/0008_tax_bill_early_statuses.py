"""tax bill early statuses: a CEB818 status that arrives before its CEB816 e-tax bill is kept and applied when the
bill arrives (it used to be ignored and lost)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 19:15:00.000000
"""
from alembic import op
import sqlalchemy as sa
import kuajing.db.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'tax_bill_early_statuses',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('tax_no', sa.String(length=50), nullable=False),
        sa.Column('agent_enterprise_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=1), nullable=False),
        sa.Column('ent_duty_no', sa.String(length=50), nullable=True),
        sa.Column('received_at', kuajing.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['agent_enterprise_id'], ['enterprises.id'],
                                name=op.f('fk_tax_bill_early_statuses_agent_enterprise_id_enterprises')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_bill_early_statuses')),
    )
    with op.batch_alter_table('tax_bill_early_statuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tax_bill_early_statuses_tax_no'), ['tax_no'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tax_bill_early_statuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tax_bill_early_statuses_tax_no'))
    op.drop_table('tax_bill_early_statuses')
