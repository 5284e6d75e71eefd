"""Tasks and their downward assignment (department → street/township → community → grid).

Each target of an assignment is decided like an admission check, at the target's tenant,
and the outcome is stored with the assignment; conditional ones wait for their requirements."""
