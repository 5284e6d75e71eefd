"""``from jiceng.dsl import load_pack`` — the contract entry point.

``dsl/`` has no ``__init__.py`` (SPEC §2: ``jiceng.dsl`` is a namespace package
so that neither it nor ``platform/`` can shadow a standard-library module). A
namespace package cannot define attributes, so ``from jiceng.dsl import
load_pack`` imports *this module*; it is made callable, forwarding to
:func:`jiceng.dsl.api.load_pack`. Everything else is imported from its own
module (``jiceng.dsl.api``, ``jiceng.dsl.diagnostics`` …).
"""
import inspect
import sys
import types

from .api import CompileError, PackNotFound, check_pack, compile_pack  # noqa: F401 - re-exported
from .api import load_pack as _load_pack
from .pack import Decision, Pack  # noqa: F401 - re-exported


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return _load_pack(*args, **kwargs)


__doc__ = _load_pack.__doc__
__signature__ = inspect.signature(_load_pack)
sys.modules[__name__].__class__ = _CallableModule
