"""Admission checks: one task decided for one target by the pack chain in force there.

``check`` is the service behind ``POST .../admission/check``; ``facts`` gathers every fact a
decision reads (target, source and its department, history), for checks and assignments alike;
``history`` counts the assignments a unit already holds (the ``history.*`` facts); ``deciding``
calls ``Pack.decide``."""
