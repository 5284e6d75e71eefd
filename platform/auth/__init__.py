"""Bearer tokens, roles and what each role may do (SPEC §1, §7)."""
