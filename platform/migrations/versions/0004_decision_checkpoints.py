"""decision checkpoints: the signed heads of every tenant's decision-log chain (a convenience copy)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('decision_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.String(length=32), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_checkpoints'))
    )


def downgrade() -> None:
    op.drop_table('decision_checkpoints')
