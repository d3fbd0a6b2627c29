"""tax bills: an e-tax bill the guarantee could not cover is kept (covered false) and covered by the next top-up
or payment; the date a bill was summarised (its payment form's due date counts from it) and the date it was paid;
the payments of payment forms (缴款书) that give the guarantee back

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 18:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import kuajing.db.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tax_bills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('covered', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('summarised_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
    # bills summarised before: their payment form's due date counts from the day the status changed (Shanghai)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE tax_bills SET summarised_on = (status_at AT TIME ZONE 'Asia/Shanghai')::date "
                   "WHERE status = '2'")
    else:
        op.execute("UPDATE tax_bills SET summarised_on = date(status_at, '+8 hours') WHERE status = '2'")
    op.create_table(
        'tax_payments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agent_enterprise_id', sa.Integer(), nullable=False),
        sa.Column('ent_duty_no', sa.String(length=50), nullable=False),
        sa.Column('amount', kuajing.db.types.Money(), nullable=False),
        sa.Column('restored', kuajing.db.types.Money(), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('reference', sa.String(length=64), nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('at', kuajing.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint('amount > 0', name=op.f('ck_tax_payments_amount_positive')),
        sa.ForeignKeyConstraint(['agent_enterprise_id'], ['enterprises.id'],
                                name=op.f('fk_tax_payments_agent_enterprise_id_enterprises')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_payments')),
        sa.UniqueConstraint('ent_duty_no', name=op.f('uq_tax_payments_ent_duty_no')),
    )
    with op.batch_alter_table('tax_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tax_payments_agent_enterprise_id'), ['agent_enterprise_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tax_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tax_payments_agent_enterprise_id'))
    op.drop_table('tax_payments')
    with op.batch_alter_table('tax_bills', schema=None) as batch_op:
        batch_op.drop_column('paid_on')
        batch_op.drop_column('summarised_on')
        batch_op.drop_column('covered')
