"""Decision pages show what the engine returns about citations: the quote, the items a rule
fired on (an example item marked as such) and, once on the notice, each cited document's metadata."""
from __future__ import annotations

import html

from jinja2 import Environment, PackageLoader

from jiceng.dsl import clock
from jiceng.dsl.api import compile_pack
from jiceng.dsl.loader import MemoryLoader
from jiceng.platform.decisions.notice import documents as documents_of

PACK = '''pack p effective 2024-06-01
source S002 "2017 意见" file "002.txt" issuer "中共中央 国务院" number "中发〔2017〕13号" date 2017-06-12 full "关于加强和完善城乡社区治理的意见"
list 证明 kind certificate_excluded { "M1" "婚育状况证明" alias "生育状况证明" example cite S002 "四(四)" quote "全面清理" }
rule 证明 "不得要求社区出具已清理的证明"
  cite S002 "四(四)" quote "全面清理基层政府各职能部门要求基层群众性自治组织出具的各类证明"
  when task.title in kind certificate_excluded
  then reject
'''


# the service's own templates, rendered without a request: they show only what they are given
ENV = Environment(loader=PackageLoader("jiceng.platform", "templates"), autoescape=True)
ENV.filters["china_time"] = clock.china_time  # as create_app registers it


def _reasons():
    pack = compile_pack("p", MemoryLoader({"p": {"pack.jc": PACK}}))
    return pack.decide({"title": "生育状况证明"}, {}).reasons


def test_the_reason_list_shows_quotes_items_and_examples():
    page = html.unescape(str(ENV.get_template("decision_parts.html").module.reasons(_reasons(), {"reject": "不予准入"})))
    assert "“全面清理基层政府各职能部门要求基层群众性自治组织出具的各类证明”" in page
    assert "婚育状况证明(M1,清单 证明)" in page and "示例事项,不是正式公布的清单内容" in page
    assert "事项 M1 的依据" in page and "“全面清理”" in page


def test_the_notice_lists_each_cited_document_once_with_its_metadata():
    context = {"heading": "不予准入告知书", "number": "p-000001", "task": [], "task_other": [],
               "target": {"what_if": True, "level": "社区"}, "outcome": "reject", "outcome_label": "不予准入",
               "decided_on": "2024-07-01", "tenant_name": "p", "kind": "准入检查", "actor": "x",
               "reasons": _reasons(), "documents": documents_of(_reasons(), []), "requirements": [],
               "effect_labels": {"reject": "不予准入"},
               "pack": {"tenant": "p", "digest": "d", "chain": []}, "tenant": "p", "seq": 1, "id": 1,
               "created_at": "", "hash": "h", "prev_hash": "g"}
    page = html.unescape(ENV.get_template("decision_notice.html").render(**context))
    documents = page.split("依据文件")[1].split("</ul>")[0]
    assert documents.count("<li>") == 1
    assert "S002:关于加强和完善城乡社区治理的意见,中共中央 国务院,中发〔2017〕13号,2017-06-12" in documents


def test_documents_cited_only_by_an_item_are_listed_too():
    pack = compile_pack("p", MemoryLoader({"p": {"pack.jc": PACK}}))
    d = pack.decide({"title": "生育状况证明"}, {})
    item_only = [{**d.items[0], "cites": [{**d.items[0]["cites"][0], "source": "S9", "full": "另一文件"}]}]
    listed = documents_of(d.reasons, item_only)
    assert [c["source"] for c in listed] == ["S002", "S9"] and listed[1]["full"] == "另一文件"
