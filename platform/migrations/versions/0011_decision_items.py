"""decision items: the list items a logged decision relied on (``Decision.items``), NULL in entries
logged before; an entry without them hashes as it always did (decisions/chain.py OPTIONAL_FIELDS)

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('items', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('items')
