"""A pack's chain is the tenant tree: ``extends`` must name the registry's parent (SPEC §4.4).

Given a registry (``parent_of``), the resolver refuses a pack whose ``extends``
names anything else, a non-root pack without ``extends`` and a root pack with
one (E412), and a pack of a tenant the registry does not know (E413); it never
reads the pack a wrong ``extends`` names. ``load_pack`` uses ``tenants/*.toml``
beside the packs' root as the registry when there is one.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from jiceng.dsl.api import check_pack, compile_pack, load_pack
from jiceng.dsl.diagnostics import CompileError
from jiceng.dsl.loader import MemoryLoader, TenantFiles, tenant_registry
from jiceng.dsl.resolver import load_chain

PARENTS = {"national": None, "hunan": "national", "changsha": "hunan", "heilongjiang": "national"}
PACKS = {"national": "pack national\nlist 协助 kind assist { A \"甲\" }",
         "hunan": "pack hunan extends national",
         "heilongjiang": "pack heilongjiang extends national\nlist 黑龙江秘密清单 kind assist { H \"黑\" }",
         "changsha": "pack changsha extends hunan"}


def registry(tenant: str):
    if tenant not in PARENTS:
        raise LookupError(tenant)
    return PARENTS[tenant]


class Recording(MemoryLoader):
    """Remembers which packs were read."""

    def __init__(self, packs):
        super().__init__({t: {"pack.jc": s} for t, s in packs.items()})
        self.read: list[str] = []

    def load(self, tenant):
        self.read.append(tenant)
        return super().load(tenant)


def codes(tenant: str, packs: dict, parent_of=registry) -> list:
    _pack, diags, _ = check_pack(tenant, Recording(packs), parent_of=parent_of)
    return [d for d in diags if d.is_error]


def test_the_registry_chain_compiles():
    pack = compile_pack("changsha", Recording(PACKS), parent_of=registry)
    assert [c["tenant"] for c in pack.chain] == ["national", "hunan", "changsha"]


def test_extends_another_tenant_is_refused_naming_both_and_the_other_pack_is_never_read():
    loader = Recording({**PACKS, "changsha": "pack changsha extends heilongjiang"})
    _pack, diags, _ = check_pack("changsha", loader, parent_of=registry)
    [d] = [d for d in diags if d.is_error]
    assert d.code == "E412"
    assert "extends heilongjiang" in d.message and "hunan" in d.message
    assert "heilongjiang" not in loader.read  # a wrong extends reads nothing of the pack it names


def test_a_non_root_pack_without_extends_is_refused():
    [d] = codes("changsha", {**PACKS, "changsha": "pack changsha"})
    assert d.code == "E412" and "hunan" in d.message and "extends" in d.message


def test_the_root_pack_may_not_extend_anything():
    [d] = codes("national", {**PACKS, "national": "pack national extends hunan"})
    assert d.code == "E412" and "extends hunan" in d.message and "没有上级" in d.message


def test_an_ancestor_bound_wrongly_is_refused_too():
    errors = codes("changsha", {**PACKS, "hunan": "pack hunan extends heilongjiang"})
    assert [d.code for d in errors] == ["E412"] and "hunan" in errors[0].message


def test_a_tenant_unknown_to_the_registry():
    [d] = codes("zhuzhou", {**PACKS, "zhuzhou": "pack zhuzhou extends hunan"})
    assert d.code == "E413" and "zhuzhou" in d.message


def test_the_header_must_name_the_tenant():
    [d] = codes("changsha", {**PACKS, "changsha": "pack chengdu extends hunan"})
    assert d.code == "E212"


def test_without_a_registry_extends_is_trusted():
    pack = compile_pack("changsha", Recording({**PACKS, "changsha": "pack changsha extends heilongjiang"}))
    assert [c["tenant"] for c in pack.chain] == ["national", "heilongjiang", "changsha"]
    units, diags = load_chain("changsha", Recording(PACKS))
    assert diags == [] and [u.tenant for u in units] == ["national", "hunan", "changsha"]


def _tree(root: Path, tenants: dict, packs: dict) -> Path:
    (root / "tenants").mkdir(parents=True)
    for code, parent in tenants.items():
        text = f'code = "{code}"\nname = "{code}"\nlevel = "province"\n'
        (root / "tenants" / f"{code}.toml").write_text(text + (f'parent = "{parent}"\n' if parent else ""),
                                                       encoding="utf-8")
    for code, source in packs.items():
        (root / "rule_packs" / code).mkdir(parents=True)
        (root / "rule_packs" / code / "pack.jc").write_text(source, encoding="utf-8")
    return root / "rule_packs"


def test_load_pack_uses_the_tenant_files_beside_the_packs(tmp_path):
    packs = _tree(tmp_path, PARENTS, {**PACKS, "changsha": "pack changsha extends heilongjiang"})
    with pytest.raises(CompileError) as info:
        load_pack("changsha", packs)
    assert [d.code for d in info.value.errors] == ["E412"]
    assert [c["tenant"] for c in load_pack("hunan", packs).chain] == ["national", "hunan"]


def test_tenant_files_registry(tmp_path):
    _tree(tmp_path, PARENTS, {})
    reg = tenant_registry(tmp_path / "tenants")
    assert isinstance(reg, TenantFiles)
    assert reg("changsha") == "hunan" and reg("national") is None
    with pytest.raises(LookupError):
        reg("nowhere")
    assert tenant_registry(tmp_path / "missing") is None


def test_an_unreadable_tenant_file_is_a_diagnostic_not_a_traceback(tmp_path):
    packs = _tree(tmp_path, PARENTS, PACKS)
    (tmp_path / "tenants" / "hunan.toml").write_text("code = \n", encoding="utf-8")
    with pytest.raises(CompileError) as info:
        load_pack("changsha", packs)
    assert [d.code for d in info.value.errors] == ["E100"] and "hunan.toml" in info.value.errors[0].message


def test_lint_checks_the_chain_against_tenants_beside_the_packs(tmp_path):
    """`jiceng lint` reads ``tenants/*.toml`` beside ``rule_packs/`` as the registry, as `test` and `check` do."""
    from click.testing import CliRunner

    from jiceng.dsl.commands import lint

    (tmp_path / "tenants").mkdir()
    for tenant, parent in (("national", None), ("hunan", "national"), ("changsha", "hunan")):
        line = f'parent = "{parent}"\n' if parent else ""
        (tmp_path / "tenants" / f"{tenant}.toml").write_text(
            f'code = "{tenant}"\nname = "{tenant}"\n{line}level = "province"\ndivision_code = "430000000000"\n',
            encoding="utf-8")
    packs = {**PACKS, "changsha": "pack changsha extends national"}
    for tenant, text in packs.items():
        if tenant != "heilongjiang":
            (tmp_path / "rule_packs" / tenant).mkdir(parents=True)
            (tmp_path / "rule_packs" / tenant / "pack.jc").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(lint, [str(tmp_path / "rule_packs")])
    assert result.exit_code == 1, result.output
    assert "E412" in result.output and "changsha" in result.output
