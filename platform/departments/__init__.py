"""The department registry (职能部门名录): per tenant, the 职能部门 and 党委政府 bodies that
assign tasks downward, the org unit each belongs to, and its 权责清单.

``importer`` reads the registry from CSV or XLSX (API, CLI and `jiceng init`'s seed files);
``registry`` lists, reads and resolves departments and checks a task's ``source_department``;
``facts`` derives what rules read about the sending department from the registry, so the
sender is not asked to tick it (SPEC §4.5)."""
