"""The service's behaviour, free of HTTP: each module takes a database
session (or the :class:`~jiceng.platform.services.runtime.Runtime`) and
plain values, and raises :mod:`.errors` for anything a user got wrong."""
