"""Quotes found in the documents they cite: normalisation, ellipses, mojibake, suggestions, hedges."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.dsl.citations import MARK, closest, document_of, find, hedge_of, normalise, read_document

DOCUMENTS = Path(__file__).resolve().parents[2] / "documents"
SEEDS = sorted(DOCUMENTS.glob("*.txt"))


def test_normalising_ignores_script_width_punctuation_whitespace_and_pinyin():
    assert normalise("國(guó)家治理 的基石,統(tǒng)籌推進") == normalise("国家治理的基石,统筹推进") == "国家治理的基石统筹推进"
    assert normalise("第(一)項 ABC123") == normalise("第(一)项abc123".upper()) == "第一项ABC123"
    assert normalise("社會(huì )保障") == "社会保障"  # pinyin with a space inside, as the seed pages have it


def test_a_lone_surrogate_is_a_broken_character_not_a_crash():
    # a file's undecodable byte (read with surrogateescape) or a "\\udc97" escape in JSON: OpenCC
    # cannot encode it, and the whole check of a pack's tests once failed with UnicodeEncodeError
    assert normalise("市、县级政府\udc97\udcaa规范") == normalise("市、县级政府\ufffd\ufffd规范") == "市县级政府规范"
    assert normalise("\ud83d\ude00") == ""  # two lone halves are not a pair in a str either


def test_the_project_keeps_its_own_copy_of_the_documents():
    assert [p.name for p in SEEDS][:1] == ["000_9e12efd01c9016d5.txt"] and len(SEEDS) == 5
    assert (DOCUMENTS / "national.json").is_file()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_clean_stretch_of_a_seed_is_found_however_it_is_punctuated(data):
    doc = read_document(data.draw(st.sampled_from(SEEDS)))
    length = data.draw(st.integers(8, 40))
    start = data.draw(st.integers(0, len(doc.norm) - length - 1))
    stretch = doc.norm[start:start + length]
    if MARK in stretch:  # a broken run: covered by its own tests below
        return
    # the document's words, re-punctuated and in traditional-looking full-width form
    noise = data.draw(st.lists(st.sampled_from([",", "、", " ", "\n", "。", ";"]), min_size=length, max_size=length))
    quote = "".join(ch + sep for ch, sep in zip(stretch, noise))
    found = find(doc, quote)
    assert found is not None and normalise(doc.excerpt(*found)).replace(MARK, "") == stretch


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_quote_with_words_the_document_lacks_is_not_found(data):
    doc = read_document(data.draw(st.sampled_from(SEEDS)))
    start = data.draw(st.integers(8, len(doc.norm) - 30))
    if MARK in doc.norm[start - 8:start + 28]:  # words inserted where the page is broken cannot be told apart
        return
    stretch = doc.norm[start:start + 20]
    cut = data.draw(st.integers(1, len(stretch) - 1))
    assert find(doc, stretch[:cut] + "鸮鹦鹉螺" + stretch[cut:]) is None


def test_ellipses_stand_for_omitted_words_in_order_and_within_reach():
    doc = document_of("d", "不得将基层群众性自治组织作为行政执法、拆迁拆违、环境整治等事项的责任主体。" + "别的话。" * 200 + "最后一句。")
    assert find(doc, "不得将基层群众性自治组织作为行政执法……等事项的责任主体") is not None
    assert find(doc, "不得将...责任主体") is not None
    assert find(doc, "责任主体……不得将") is None  # order matters
    assert find(doc, "不得将……最后一句") is None  # 400 characters at most between the parts


def test_a_broken_run_matches_the_few_characters_it_garbled():
    doc = read_document(DOCUMENTS / "002_767a5add348c0b88.txt")
    assert find(doc, "各省(自治区、直辖市)按照条块结合、以块为主的原则") is not None
    assert find(doc, "基层政府切实履行城乡社区治理主导职责") is not None
    assert find(doc, "基层政府切实履行城乡社区治理辅助职责") is None  # a difference outside the run
    assert find(doc, "各市按照条块结合") is None  # the run cannot swallow what the quote leaves out
    assert document_of("d", "甲乙\ufffd\ufffd丙丁戊己").norm == "甲乙" + MARK + "丙丁戊己"


def test_json_documents_are_searched_in_their_text_values(tmp_path):
    path = tmp_path / "n.json"
    path.write_text(json.dumps({"items": ["婚育状况证明"], "rule": "凡是没有法律法规依据的证明事项,不予出具"},
                               ensure_ascii=False), encoding="utf-8")
    doc = read_document(path)
    assert find(doc, "婚育状况证明") and find(doc, "凡是没有法律法规依据的证明事项,不予出具")
    assert find(doc, "items") is None  # keys are not text


def test_the_closest_passage_is_suggested():
    doc = read_document(DOCUMENTS / "000_9e12efd01c9016d5.txt")
    assert find(doc, "严格控制考核总量和频率") is None
    assert "严格控制考核总量和频次" in closest(doc, "严格控制考核总量和频率")
    assert closest(doc, "鸮鹦鹉螺") is None


@pytest.mark.parametrize("quote, hedge", [
    ("未纳入清单的事项原则上不得转嫁给社区", "原则上"), ("上级职能部门一般不对街道进行直接考核", "一般"),
    ("可通过向基层群众性自治组织等购买服务方式提供", "可"), ("严格控制考核总量和频次", "严格控制"),
    ("清理规范工作台账、报表", "清理规范"), ("鼓励社会力量参与", "鼓励"),
    ("不得将基层群众性自治组织作为行政执法的责任主体", None), ("不可擅自增加", None), ("许可证明", None),
])
def test_hedged_wording_is_recognised(quote, hedge):
    assert hedge_of(quote) == hedge
