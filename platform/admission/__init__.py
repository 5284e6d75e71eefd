"""Admission checks: one task decided for one target by the pack chain in force there.

``check`` is the service behind ``POST .../admission/check``; ``deciding`` gathers the
facts a pack needs and calls ``Pack.decide``; ``history`` counts the assignments a unit
already holds (the ``history.*`` facts)."""
