"""The tenant registry and its seed files, and ``jiceng init`` (bootstrap)."""
