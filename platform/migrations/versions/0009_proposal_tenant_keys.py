"""proposal tenant keys: publication proposals keyed by (tenant_code, id), their foreign keys to
pack versions and publications carry tenant_code (as 0007 did for the other tenant tables;
docs/scaling.md)

Revision ID: 0009
Revises: 0008
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

#: (old foreign key, column, new foreign key, referred table)
KEYED = [('fk_publication_proposals_version_id_pack_versions', 'version_id',
          'fk_publication_proposals_tenant_code_pack_versions', 'pack_versions'),
         ('fk_publication_proposals_publication_id_publications', 'publication_id',
          'fk_publication_proposals_tenant_code_publications', 'publications')]


def upgrade() -> None:
    op.create_index('uq_publication_proposals_tenant_id', 'publication_proposals', ['tenant_code', 'id'],
                    unique=True)
    with op.batch_alter_table('publication_proposals') as batch:
        for old, column, new, referred in KEYED:
            batch.drop_constraint(old, type_='foreignkey')
            batch.create_foreign_key(new, referred, ['tenant_code', column], ['tenant_code', 'id'])


def downgrade() -> None:
    with op.batch_alter_table('publication_proposals') as batch:
        for old, column, new, referred in KEYED:
            batch.drop_constraint(new, type_='foreignkey')
            batch.create_foreign_key(old, referred, [column], ['id'])
    op.drop_index('uq_publication_proposals_tenant_id', table_name='publication_proposals')
