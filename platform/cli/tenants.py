"""CLI commands for the tenant registry: ``tenant new``, ``tenant list``, ``tenant show``.

They act on the database named by ``JICENG_DATABASE_URL`` as the parent tenant's admin would
through the API (:mod:`jiceng.platform.tenants.registry`): a tenant is created directly below
its parent, with a draft pack extending it. Exit 0 on success, 2 on unusable input.
"""
from __future__ import annotations

import json
import sys
from typing import Optional

import click

from jiceng.platform.cli import service

CLI_ACTOR = "jiceng tenant new(命令行)"
LEVEL_LABEL = {"national": "全国", "province": "省", "city": "市"}


def admin_of(tenant: str):
    """The principal a command acts as: the tenant's admin (the operator runs it on the server)."""
    from jiceng.platform.auth.tokens import Principal
    return Principal(0, tenant, "admin", None)


@click.group("tenant")
def tenant() -> None:
    """租户:建立下级租户、列出、查看。"""


@tenant.command("new")
@click.option("--parent", required=True, help="上级租户(全国之下建省,省之下建市)")
@click.option("--code", required=True, help="租户代码:小写拼音,同时是规则包名,如 zhuzhou")
@click.option("--name", required=True, help="名称,如 株洲市")
@click.option("--division-code", required=True, help="12 位统计用区划代码,如 430200000000")
@click.option("--json", "as_json", is_flag=True)
def tenant_new(parent: str, code: str, name: str, division_code: str, as_json: bool) -> None:
    """在上级租户之下建立租户,并生成继承上级的规则包草稿(空清单和一个示例测试)。"""
    from jiceng.platform.errors import ServiceError
    from jiceng.platform.runtime import Runtime
    from jiceng.platform.tenants.registry import create_tenant
    body = {"code": code, "name": name, "division_code": division_code, "parent": parent}
    try:
        out = create_tenant(Runtime(service._database()), admin_of(parent), body, actor=CLI_ACTOR)
    except ServiceError as e:
        service._fail(e)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(f"已建立租户 {out['code']}({out['name']},{LEVEL_LABEL.get(out['level'], out['level'])}级,"
                   f"上级 {out['parent']},区划代码 {out['division_code']})")
        click.echo(f"规则包草稿:第 {out['draft']} 版(继承 {parent});下一步:导入清单(jiceng lists import)"
                   if out["draft"] else f"上级 {parent} 还没有生效的规则包,未生成草稿")
    sys.exit(0)


@tenant.command("list")
@click.option("--under", default=None, help="只列出该租户及其下级(默认:全部)")
@click.option("--json", "as_json", is_flag=True)
def tenant_list(under: Optional[str], as_json: bool) -> None:
    """列出租户:代码、名称、层级、上级、区划代码、来源。"""
    from jiceng.platform.errors import ServiceError
    from jiceng.platform.runtime import Runtime
    from jiceng.platform.tenants.registry import get_tenant, list_tenants
    rt = Runtime(service._database())
    under = under or _root(rt)
    try:
        get_tenant(rt, admin_of(under), under)
        rows = list_tenants(rt, admin_of(under))
    except ServiceError as e:
        service._fail(e)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for t in rows:
        origin = "种子文件" if t["origin"] == "init" else "接口建立"
        click.echo(f"{t['code']:<16}{t['name']:<10}{LEVEL_LABEL.get(t['level'], t['level'])}  "
                   f"上级 {t['parent'] or '—':<14}{t['division_code'] or '—'}  {origin}")


@tenant.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True)
def tenant_show(code: str, as_json: bool) -> None:
    """查看一个租户。"""
    from jiceng.platform.errors import ServiceError
    from jiceng.platform.runtime import Runtime
    from jiceng.platform.tenants.registry import get_tenant
    rt = Runtime(service._database())
    try:
        t = get_tenant(rt, admin_of(_root(rt)), code)
    except ServiceError as e:
        service._fail(e)
    if as_json:
        click.echo(json.dumps(t, ensure_ascii=False, indent=2))
        return
    click.echo(f"{t['name']}({t['code']})")
    for label, value in (("层级", LEVEL_LABEL.get(t["level"], t["level"])), ("上级", t["parent"] or "—"),
                         ("区划代码", t["division_code"] or "—"), ("下级", "、".join(t["children"]) or "—"),
                         ("来源", "种子文件(tenants/)" if t["origin"] == "init" else f"接口建立:{t['created_by']}")):
        click.echo(f"  {label}:{value}")


def _root(rt) -> str:
    """The registry's root tenant: the command line sees every tenant."""
    from jiceng.platform.tenants.directory import TenantDirectory
    with rt.db.read() as session:
        roots = sorted(t.code for t in TenantDirectory.load(session).by_code.values() if t.parent is None)
    return roots[0] if roots else "national"


COMMANDS = [tenant]
