"""The draft pack a new tenant starts with: a header extending its parent, an empty list of
each kind its parent's chain declares, and one sample test.

The sample test sends the first 依法自治事项 of the parent's chain to a community and expects
what the chain decides today (written first expecting ``admit``, run once, and rewritten with
the chain's answer when that differs), so the draft passes its own tests from the start; it
shows an admin the shape of a test, to be replaced by tests of the tenant's own lists and rules.
"""
from __future__ import annotations

from typing import Optional

from jiceng.dsl import clock
from jiceng.dsl.pack import Pack

from jiceng.platform.lists.declarations import quote

PACK_FILE = "pack.jc"
LISTS_FILE = "lists.jc"
TEST_FILE = "tests/sample.jc"
SAMPLE_TEST = "示例:上级清单中的依法自治事项下派到社区"
#: what the sample task says beyond its title and item, where the task form has the field
SAMPLE_FACTS = (("kind", "work"), ("role", "responsible"), ("statutory_duty", "false"), ("one_vote_veto", "false"))


def scaffold_files(code: str, name: str, parent: str, parent_pack: Pack, decision: str = "admit") -> dict[str, str]:
    """The draft's files; ``decision`` is the sample test's expectation."""
    header = (f"# {name}规则包:由平台在建立租户时生成的草稿。继承上级 {parent} 的全部清单、参数、规则和标准;\n"
              "# 只写本地新增或更严的内容(见 docs/tenants.md、docs/onboarding.md)。\n\n"
              f"pack {code} version {quote(clock.today().strftime('%Y.%m'))} extends {parent}\n"
              f"title {quote(name + '社区工作事项准入规则')}\n")
    lists = ["# 本地清单:与上级同名的清单自动合并,只写本地新增的事项。",
             "# 也可以用 jiceng lists import 从 Excel 或 CSV 清单表生成。", ""]
    for list_name, info in parent_pack.list_info.items():
        lists.append(f"# {info['title'] or list_name}(类别 {info['kind']},上级已有 {info['size']} 项)")
        lists.append(f"list {list_name} {{\n}}\n")
    files = {PACK_FILE: header, LISTS_FILE: "\n".join(lists)}
    test = sample_test(parent_pack, decision)
    if test is not None:
        files[TEST_FILE] = test
    return files


def sample_item(parent_pack: Pack) -> Optional[dict]:
    """The first item of the chain's first self-governance list, None when it has none."""
    for list_name, info in parent_pack.list_info.items():
        if info["kind"] == "self_governance":
            items = parent_pack.lists[list_name]
            if items:
                return items[0]
    return None


def sample_test(parent_pack: Pack, decision: str) -> Optional[str]:
    item = sample_item(parent_pack)
    if item is None:
        return None
    fields = parent_pack.checked.task_form.record.fields
    task = [f"title: {quote(item['name'])}", f"item_code: {quote(item['code'])}"]
    task += [f"{k}: {v}" for k, v in SAMPLE_FACTS if k in fields]
    return ("# 示例测试(平台生成):期望的结论是上级规则包链现在的判定。\n"
            "# 请为本地新增的每条规则各写两个测试:一个会触发,一个不会触发。\n\n"
            f"test {quote(SAMPLE_TEST)} {{\n"
            f"  given task {{ {', '.join(task)} }}\n"
            "  given target { level: community }\n"
            f"  expect {decision}\n}}\n")


def sample_decision(pack: Pack) -> Optional[str]:
    """What ``pack`` (compiled from a scaffold) decides in its sample test."""
    report = pack.run_tests()
    for r in report.results:
        if r.name == SAMPLE_TEST and r.decision:
            return r.decision
    return None
