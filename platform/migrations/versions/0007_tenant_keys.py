"""tenant keys: (tenant_code, id) unique on tasks, decisions, assignments, pack versions and
publications; the assignment → decision and publication → pack version foreign keys include
tenant_code (docs/scaling.md: the tables can be distributed by tenant)

The unique keys are unique indexes: both databases accept them as a foreign key's target, and
SQLite adds them without rebuilding the table. Only ``assignments`` and ``publications`` are
rebuilt on SQLite (batch mode), to change their foreign keys; nothing references them.

Revision ID: 0007
Revises: 0006
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

#: table -> its (tenant_code, id) unique index
KEYS = {'tasks': 'uq_tasks_tenant_id', 'decisions': 'uq_decisions_tenant_id',
        'pack_versions': 'uq_pack_versions_tenant_id', 'publications': 'uq_publications_tenant_id',
        'assignments': 'uq_assignments_tenant_id'}
#: (table, old foreign key, old column, new foreign key, referred table)
KEYED = [('assignments', 'fk_assignments_decision_id_decisions', 'decision_id',
          'fk_assignments_tenant_code_decisions', 'decisions'),
         ('publications', 'fk_publications_version_id_pack_versions', 'version_id',
          'fk_publications_tenant_code_pack_versions', 'pack_versions')]


def upgrade() -> None:
    for table, name in KEYS.items():
        op.create_index(name, table, ['tenant_code', 'id'], unique=True)
    for table, old, column, new, referred in KEYED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(old, type_='foreignkey')
            batch.create_foreign_key(new, referred, ['tenant_code', column], ['tenant_code', 'id'])


def downgrade() -> None:
    for table, old, column, new, referred in KEYED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(new, type_='foreignkey')
            batch.create_foreign_key(old, referred, [column], ['id'])
    for table, name in KEYS.items():
        op.drop_index(name, table_name=table)
