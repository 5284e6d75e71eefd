"""The runtime's commands of the ``jiceng`` CLI: serve, init, token, decisions (standards,
units and grids are in :mod:`.units`, which uses this module's database and error report).

They use the database named by ``JICENG_DATABASE_URL`` (default
``sqlite:///instance/jiceng.db``) and print zh-CN; exit 0 on success, 1 when
something was found wrong (a broken hash chain, a pack that does not
compile), 2 on unusable input.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import click

from jiceng.dsl import clock
from jiceng.platform.config import load_config
from jiceng.platform.db.engine import Database
from jiceng.platform.errors import ServiceError


def _database() -> Database:
    """The database the commands use (tests substitute this function)."""
    cfg = load_config()
    return Database(cfg["DATABASE_URL"], schema=cfg["DATABASE_SCHEMA"])


def _fail(e: ServiceError) -> None:
    click.echo(f"错误 {e.code}:{e.message}", err=True)
    if isinstance(e.details, list):
        for d in e.details[:20]:
            click.echo(f"  {json.dumps(d, ensure_ascii=False)}", err=True)
    sys.exit(2)


# ----------------------------------------------------------------------- serve
@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1 或 $HOST")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "8000")), type=int,
              show_default="8000 或 $PORT")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="进程数(默认 2 或 $JICENG_WORKERS)")
@click.option("--threads", default=None, type=click.IntRange(1, 64), help="每个进程的线程数(默认 4 或 $JICENG_THREADS)")
def serve(host: str, port: int, workers: Optional[int], threads: Optional[int]) -> None:
    """启动 HTTP 服务(gunicorn,设置见 platform/serving/gunicorn_conf.py;没有 gunicorn 的系统上用开发服务器)。"""
    click.echo(f"jiceng 服务:http://{host}:{port}/  接口文档:http://{host}:{port}/docs")
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:  # gunicorn runs on POSIX only
        from werkzeug.serving import run_simple
        from jiceng.platform.app import create_app
        run_simple(host, port, create_app(), threaded=True, use_reloader=False)
        return
    from jiceng.platform.serving.gunicorn_conf import settings

    class Server(BaseApplication):
        def load_config(self):
            for name, value in settings(host, port, workers, threads).items():
                self.cfg.set(name, value)

        def load(self):
            from jiceng.platform.app import create_app
            return create_app()

    Server().run()


# ----------------------------------------------------------------------- init
@click.command("init")
@click.option("--root", default=".", type=click.Path(file_okay=False, path_type=Path),
              help="含 tenants/、rule_packs/、form_schemas/ 的目录", show_default=True)
@click.option("--demo-tokens", is_flag=True, help="为演示租户的每个角色签发新令牌(吊销上次的演示令牌)")
@click.option("--demo-tenant", default=None, help="演示令牌所属租户(默认:最下级的有规则包的租户)")
def init(root: Path, demo_tokens: bool, demo_tenant: Optional[str]) -> None:
    """初始化数据库并载入租户、表单与规则包(可重复运行:未改动的不会重复载入)。"""
    from jiceng.platform.config import token_days
    from jiceng.platform.tenants.bootstrap import run_init
    try:
        days = token_days(load_config())  # demo tokens live as long as any other new token
    except ValueError as e:
        click.echo(f"错误 config_invalid:{e}", err=True)
        sys.exit(2)
    try:
        report = run_init(_database(), root, demo_tokens=demo_tokens, demo_tenant=demo_tenant, token_days=days)
    except ServiceError as e:
        _fail(e)
    click.echo(f"租户:{report.tenants_changed} 个有更新,写入 {report.units_written} 个组织单位;"
               f"表单:新增 {report.forms_added} 个版本")
    for p in report.packs:
        if p["status"] == "error":
            click.echo(f"规则包 {p['tenant']}:未发布 — {p['message']}", err=True)
            for t in p.get("tests") or []:
                click.echo(f"  {t['file']}:{t['line']}: 测试“{t['test']}”未通过:{t['message']}", err=True)
            for d in p.get("diagnostics") or []:
                click.echo(f"  {d['file']}:{d['line']}:{d['column']}: {d['code']}: {d['message']}", err=True)
        elif p["status"] == "published":
            click.echo(f"规则包 {p['tenant']}:第 {p['number']} 版已发布,自 {p['effective_from']} 起生效")
        else:
            click.echo(f"规则包 {p['tenant']}:未改动(第 {p['number']} 版)")
    if report.tokens:
        click.echo(f"\n演示令牌(租户 {report.demo_tenant},每次运行重新签发):")
        for role, token in report.tokens.items():
            click.echo(f"  {role:<10} {token}")
    sys.exit(0 if report.ok else 1)


# ----------------------------------------------------------------------- token
@click.group("token")
def token() -> None:
    """身份令牌。"""


@token.command("issue")
@click.option("--tenant", required=True, help="令牌所属租户")
@click.option("--role", required=True, help="admin designer department township auditor 之一")
@click.option("--unit", default=None, help="令牌代表的单位代码(可选)")
@click.option("--label", default="", help="备注")
@click.option("--expires", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="截止日期 YYYY-MM-DD(含当天,北京时间)")
@click.option("--days", default=None, type=int, help="有效天数(默认 $JICENG_TOKEN_DAYS,未设置时 90)")
def token_issue(tenant: str, role: str, unit: Optional[str], label: str, expires, days: Optional[int]) -> None:
    """签发令牌;令牌只显示这一次,单独打印在最后一行。"""
    from datetime import datetime, timezone
    from jiceng.platform.auth import tokens
    from jiceng.platform.config import token_days
    from jiceng.platform.tenants.directory import TenantDirectory
    try:
        default_days = token_days(load_config())
    except ValueError as e:
        click.echo(f"错误 config_invalid:{e}", err=True)
        sys.exit(2)
    db = _database()
    try:
        expires_at = tokens.expiry(datetime.now(timezone.utc), days, expires.date() if expires else None, default_days)
        with db.write() as session:
            text, row = tokens.issue(session, TenantDirectory.load(session), tenant, role, unit, label, expires_at)
            token_id = row.id
    except ServiceError as e:
        _fail(e)
    until = expires_at.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")
    click.echo(f"已签发令牌 #{token_id}:租户 {tenant},角色 {role}" + (f",单位 {unit}" if unit else "")
               + f",有效至 {until}(北京时间)", err=True)
    click.echo(text)


@token.command("list")
@click.option("--tenant", default=None, help="只列出该租户及其下级租户的令牌")
@click.option("--json", "as_json", is_flag=True)
def token_list(tenant: Optional[str], as_json: bool) -> None:
    """列出令牌:编号、租户、角色、单位、签发、到期与吊销时间(不显示令牌本身)。"""
    from jiceng.platform.auth import tokens
    from jiceng.platform.tenants.directory import TenantDirectory
    db = _database()
    with db.read() as session:
        directory = TenantDirectory.load(session)
        if tenant is not None and directory.get(tenant) is None:
            click.echo(f"错误 tenant_not_found:租户 {tenant} 不存在", err=True)
            sys.exit(2)
        rows = tokens.listing(session, directory.descendants(tenant) if tenant is not None else None)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'编号':<6}{'租户':<14}{'角色':<12}{'单位':<16}{'签发':<22}{'到期':<22}吊销")
    for r in rows:
        click.echo(f"{'#' + str(r['id']):<8}{r['tenant']:<16}{r['role']:<14}{r['unit'] or '-':<18}"
                   f"{r['issued_at']:<26}{r['expires_at']:<26}{r['revoked_at'] or '-'}")
    click.echo(f"共 {len(rows)} 个令牌")


@token.command("revoke")
@click.argument("which")
def token_revoke(which: str) -> None:
    """吊销令牌:WHICH 是签发时显示的编号(如 12 或 #12),或令牌本身。

    运行中的服务从下一个请求起拒绝该令牌(每个请求都核对令牌是否已吊销)。"""
    from jiceng.platform.auth import tokens
    db = _database()
    with db.write() as session:
        if which.startswith(tokens.TOKEN_PREFIX):
            token_id = tokens.token_id(session, which)
        else:
            digits = which.removeprefix("#")
            # ids fit an integer column: at most 9 digits, as in the API's URLs
            token_id = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else None
        revoked = token_id is not None and tokens.revoke(session, token_id)
    if not revoked:
        click.echo(f"错误 token_not_found:没有可吊销的令牌 {which}(不存在或已吊销)", err=True)
        sys.exit(2)
    click.echo(f"已吊销令牌 #{token_id}")


# ----------------------------------------------------------------------- decisions
@click.group("decisions")
def decisions() -> None:
    """决定记录:校验哈希链,签发与核对检查点。"""


def _checkpoint_key_path() -> Optional[str]:
    return load_config()["CHECKPOINT_KEY"]


def _usage_error(code: str, message: str) -> None:
    click.echo(f"错误 {code}:{message}", err=True)
    sys.exit(2)


def _open_checkpoint(path: Path, public_key_file: Optional[Path]):
    """The signed checkpoint in ``path``, its signature checked with ``public_key_file`` (default: the
    public half of ``JICENG_CHECKPOINT_KEY``). Exits 2 on unusable input, 1 on a bad signature."""
    from jiceng.platform.decisions import checkpoint as cp
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        _usage_error("checkpoint_unreadable", f"无法读取检查点文件 {path}:{getattr(e, 'strerror', None) or e}")
    try:
        doc = cp.parse(text)
        if public_key_file is not None:
            public_key = cp.load_public_key(public_key_file)
        else:
            public_key = cp.load_signing_key(_checkpoint_key_path()).public_key()
        return cp.open_document(doc, public_key)
    except cp.SignatureInvalid as e:
        click.echo(f"错误 {e.code}:{e.message}", err=True)
        sys.exit(1)
    except cp.KeyUnavailable as e:
        _usage_error(e.code, f"{e.message}(或用 --public-key 指定公钥文件)")
    except ServiceError as e:
        _fail(e)


@decisions.command("verify")
@click.option("--tenant", default=None, help="只校验该租户的记录链")
@click.option("--checkpoint", "checkpoint_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="另行保存的检查点文件:核对每个租户的记录链仍是检查点所签链尾的延续")
@click.option("--public-key", "public_key_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="核对检查点签名用的公钥(默认取 JICENG_CHECKPOINT_KEY 私钥的公钥)")
@click.option("--json", "as_json", is_flag=True)
def decisions_verify(tenant: Optional[str], checkpoint_file: Optional[Path], public_key_file: Optional[Path],
                     as_json: bool) -> None:
    """校验决定记录的哈希链:发现被修改、删除、截断或改写的记录时退出码为 1,输入无法使用时为 2。

    不带 --checkpoint 只能发现破坏了链接的改动;连同链尾一起重写的记录,要用之前签发并另行保存的检查点才能发现。"""
    from jiceng.platform.decisions.log import verify
    if public_key_file is not None and checkpoint_file is None:
        _usage_error("usage", "--public-key 只与 --checkpoint 一起使用")
    signed = _open_checkpoint(checkpoint_file, public_key_file) if checkpoint_file is not None else None
    db = _database()
    with db.read() as session:
        reports = verify(session, [tenant] if tenant else None, signed.heads if signed is not None else None)
    bad = [p for r in reports for p in r.problems]
    if as_json:
        click.echo(json.dumps({"ok": not bad, "checkpoint": None if signed is None else {
            "issued_at": signed.issued_at, "key_id": signed.key_id, "signature_valid": True,
            "tenants": len(signed.heads)}, "chains": [r.to_dict() for r in reports]}, ensure_ascii=False, indent=2))
    else:
        if signed is not None:
            click.echo(f"检查点:签发于 {signed.issued_at},密钥 {signed.key_id},签名有效,记有 {len(signed.heads)} 个租户")
        for r in reports:
            state = "完好" if not r.problems else f"发现 {len(r.problems)} 处问题"
            head = f"链尾哈希 {r.head_hash}" if r.head_hash is not None else "没有链尾"
            click.echo(f"{r.tenant}:{r.entries} 条记录,{state};{head}")
            if r.checkpoint is not None:
                click.echo(f"  检查点:第 {r.checkpoint.size} 条,哈希 {r.checkpoint.head}")
            for p in r.problems:
                click.echo(f"  [{p.code}] {p.message}")
        click.echo("全部完好" if not bad else f"共发现 {len(bad)} 处问题")
    sys.exit(1 if bad else 0)


@decisions.command("keygen")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="私钥文件(权限 600;公钥写在同目录的“文件名.pub”)")
def decisions_keygen(out: Path) -> None:
    """生成签发检查点用的 Ed25519 密钥。私钥放在数据库以外,由 JICENG_CHECKPOINT_KEY 指向;公钥交给审计方另行保存。"""
    from jiceng.platform.decisions import checkpoint as cp
    try:
        kid = cp.generate_key(out)
    except ServiceError as e:
        _fail(e)
    click.echo(f"已生成密钥 {kid}:私钥 {out}(权限 600),公钥 {cp.public_key_path(out)}")
    click.echo(f"请设置 JICENG_CHECKPOINT_KEY={out.resolve()},并把公钥交给审计方另行保存")


@decisions.command("public-key")
def decisions_public_key() -> None:
    """打印 JICENG_CHECKPOINT_KEY 的公钥(PEM),供审计方保存。"""
    from jiceng.platform.decisions import checkpoint as cp
    try:
        public_key = cp.load_signing_key(_checkpoint_key_path()).public_key()
    except ServiceError as e:
        _fail(e)
    click.echo(f"密钥 {cp.key_id(public_key)}", err=True)
    click.echo(cp.public_pem(public_key), nl=False)


@decisions.command("checkpoint")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="写入该文件(默认打印到标准输出)")
def decisions_checkpoint(out: Optional[Path]) -> None:
    """签发检查点:校验全部记录链后,用 JICENG_CHECKPOINT_KEY 签名每个租户的记录条数和链尾哈希。

    记录链有问题时不签发,退出码 1;密钥不可用时退出码 2。检查点文件应交审计方另行保存。"""
    from jiceng.platform.decisions import checkpoint as cp
    from jiceng.platform.errors import Conflict
    try:
        key = cp.load_signing_key(_checkpoint_key_path())
        checkpoint_id, doc = cp.make_checkpoint(_database(), key, "cli")
    except Conflict as e:
        click.echo(f"错误 {e.code}:{e.message}", err=True)
        for d in (e.details or [])[:20]:
            click.echo(f"  [{d['code']}] {d['message']}", err=True)
        sys.exit(1)
    except ServiceError as e:
        _fail(e)
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as e:
            _usage_error("checkpoint_unwritable", f"无法写入 {out}:{e.strerror or e}(检查点 #{checkpoint_id} 已存入数据库)")
    st = doc["checkpoint"]
    click.echo(f"已签发检查点 #{checkpoint_id}:{st['issued_at']},密钥 {st['key_id']},{len(st['tenants'])} 个租户"
               + (f",已写入 {out}" if out is not None else ""), err=True)


COMMANDS = [serve, init, token, decisions]
