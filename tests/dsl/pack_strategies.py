"""Hypothesis strategies: random well-typed packs (as source text) and inputs.

The packs use one fixed task form (``TASK_FORM``), lists (items with aliases,
levels, examples and citations; two lists of one kind; a whitelist), a
vocabulary, named conditions and a few params, and combine every kind of
expression the language has: enum tests, list and set membership (by code,
name or alias, at the target's level, by ``kind``), item lookups, quantifiers
over list items, vocabulary tests (``within``), quantities and ratios, ranges,
dates, quantifiers over arrays, functions, and/or/not; some rules say
``unknown reject``, some require several things, cite with quotes. Rule counts go past the
compiler's indexing threshold so the indexed path is exercised too.

Inputs leave facts out, or null, anywhere — top-level fields, history values,
fields of array elements, array elements themselves — and give vocabulary
fields codes, aliases and spellings the vocabulary does not know: the
three-valued logic of missing facts is what the differential tests probe.
"""
from __future__ import annotations

from hypothesis import strategies as st

LEVELS = ["province", "city", "county", "township", "street", "community", "village", "grid"]
KINDS = ["work", "assessment", "inspection", "ledger"]
ROLES = ["responsible", "assist"]
CATEGORIES = ["c1", "c2", "c3", "行政执法"]
CODES = ["A1", "A2", "A3", "B1", "B2", "Z9", "甲一", "a2", "C1", "c1"]  # codes, names, an alias
DATES = ["2024-03-01", "2024-03-05", "2024-03-07", "2024-12-31"]
TOPICS = ["执法", "综合执法", "罚款", "环境", "zf", "未登记"]  # codes, an alias, one the vocabulary lacks
TAGS = ["a", "b", "c"]

TASK_FORM = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "kind": {"type": "string", "enum": KINDS},
        "role": {"type": "string", "enum": ROLES},
        "category": {"type": "string"},
        "item_code": {"type": "string", "default": ""},
        "one_vote_veto": {"type": "boolean", "default": False},
        "topic": {"type": "string", "x-vocabulary": "V"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "funding_provided": {"type": "boolean"},
        "work_conditions_provided": {"type": "boolean"},
        "n": {"type": "integer", "x-unit": "人"},
        "deadline": {"type": "string", "format": "date"},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "kind": {"type": "string", "enum": KINDS}, "n": {"type": "integer", "x-unit": "人"}}}},
    },
}

HEADER = '''pack gen version "1"
source S "生成的规则包"
source "HB-1" "公布的编号" file "hb.txt" issuer "某省民政厅" number "某民发〔2020〕1号" date 2020-01-01
define 社区级 "社区及以下" = target.level in [community, village, grid]
define 社区一票否决 = 社区级 and task.one_vote_veto
param P人 = 5 人 floor
param P范围 = 2..8 人 narrow
param P类别 = ["c1", "c2"] free
param P比 = 18 人 per 1000 户 floor
list L1 kind assist { A1 "a1" alias "甲一" requires funding  A2 "a2" levels community, 村  A3 "a3" requires funding, work_conditions }
list L2 kind self_governance { B1 "b1"  B2 "b2" }
list L3 kind assist { C1 "c1" example cite S "三" quote "示例" { 部门: "民政" }  C2 "c2" cite "HB-1" "一" levels grid }
list W kind permitted { P1 "关于考核" { 部门: "民政" }  P2 "p2" alias "任务名" }
list V kind category {
  执法 "执法" { 别名: ["zf"] }
  综合执法 "综合执法" { 上级: 执法 }
  罚款 "罚款" { 上级: 综合执法 }
  环境 "环境"
}
'''

_lvl = st.sampled_from(LEVELS)
_kind = st.sampled_from(KINDS)
_small = st.integers(min_value=-1, max_value=9)


def _num_expr():
    base = st.one_of(
        st.just("task.n"), st.just("target.workers"), _small.map(lambda k: f"{k} 人"),
        st.just("P人"), st.just("P范围.max"), st.just("P范围.min"),
        st.just("ceil(target.households * P比)"), st.just("target.households * P比"),
        st.just("max(task.n, 1 人)"), st.just("min(task.n, target.workers)"),
        st.just("sum(x in task.items: x.n)"), st.just("abs(task.n)"),
    )
    return st.recursive(base, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, _small.filter(lambda k: k != 0)).map(lambda t: f"({t[0]} * {t[1]})"),
        inner.map(lambda x: f"-{x}" if not x.startswith("-") else x),
    ), max_leaves=3)


def _atom():
    cmp = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    return st.one_of(
        _lvl.map(lambda v: f"target.level == {v}"),
        st.lists(_lvl, min_size=1, max_size=3).map(lambda vs: f"target.level in [{', '.join(vs)}]"),
        _lvl.map(lambda v: f"target.level != {v}"),
        _kind.map(lambda v: f"task.kind == {v}"),
        st.lists(_kind, min_size=1, max_size=2).map(lambda vs: f"task.kind in [{', '.join(vs)}]"),
        st.sampled_from(ROLES).map(lambda v: f"task.role == {v}"),
        st.sampled_from(CATEGORIES).map(lambda v: f'task.category == "{v}"'),
        st.just("task.category in P类别"),
        st.lists(st.sampled_from(CATEGORIES), max_size=3).map(
            lambda vs: "task.category in [" + ", ".join(f'"{v}"' for v in vs) + "]"),
        st.just('task.category not in ["c1"]'),
        st.just('task.category contains "c"'),
        st.sampled_from(["task.item_code in L1", "task.item_code in L1 + L2", "task.item_code not in L2",
                         '"funding" in L1[task.item_code].requires', 'L1[task.item_code].name == "a2"']),
        st.sampled_from(["task.funding_provided", "task.work_conditions_provided"]),
        st.tuples(_num_expr(), cmp, _num_expr()).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.just("task.n in P范围"), st.just("task.n in 1..3 人"),
        _small.map(lambda k: f"history.assessments_this_year >= {k} 次"),
        st.tuples(_kind, _small).map(lambda t: f"count(x in task.items: x.kind == {t[0]}) >= {t[1]}"),
        _small.map(lambda k: f"any(x in task.items: x.n > {k} 人)"),
        _small.map(lambda k: f"all(x in task.items: x.n <= {k} 人)"),
        _small.map(lambda k: f"task.deadline - today < {k} 天"),
        st.sampled_from(DATES).map(lambda d: f"task.deadline >= {d}"),
        st.just("present(task.deadline)"), st.just("missing(task.category)"),
        st.just("task.deadline + 2 天 > today"),
        st.just("task.one_vote_veto"), st.just('task.item_code == ""'),
        st.sampled_from(["执法", "综合执法", "罚款", "环境", "zf"]).map(lambda v: f"task.topic == {v}"),
        st.lists(st.sampled_from(["执法", "综合执法", "环境", "zf"]), min_size=1, max_size=2).map(
            lambda vs: f"task.topic in [{', '.join(vs)}]"),
        st.just("task.topic in V"), st.just("task.topic not in [罚款]"), st.just("task.topic != 环境"),
        st.just("task.topic in [task.category, 环境]"),
        st.sampled_from(TAGS).map(lambda t: f'task.tags contains "{t}"'),
        st.just('task.category in [task.title, "c1"]'), st.just('"a" in task.tags'),
        st.just('starts_with(task.title, "关于")'), st.just("length(task.title) > 3"),
        st.just("present(task.tags)"), st.just("missing(task.item_code)"),
        st.just('L2[task.item_code].code == "B1"'),
        st.sampled_from(["task.item_code in kind assist", "task.item_code in kind assist + kind self_governance",
                         "task.item_code not in kind assist", "task.title in kind permitted", "task.item_code in L1",
                         "社区级", "社区一票否决", "L1[task.item_code].example", "L3[task.item_code].example",
                         "any(i in kind permitted: i.name == task.title or task.title in i.aliases)",
                         'count(i in kind assist: i.部门 == "民政") >= 1',
                         'any(i in L1 + L3: i.code == task.item_code and "grid" in i.levels)']),
    )


def condition():
    return st.recursive(_atom(), lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(" + " and ".join(xs) + ")"),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(" + " or ".join(xs) + ")"),
        inner.map(lambda x: f"not ({x})"),
    ), max_leaves=4)


_effect = st.sampled_from(["reject", 'require funding "经费"', 'require approval "审批"', 'warn "提示"',
                           'require funding, work_conditions "经费和工作条件"'])
_cite = st.one_of(
    st.just(""),
    st.just('\n  cite "HB-1" "一"'),
    st.text(alphabet="不得将基层群众性自治组织作为行政执法", min_size=1, max_size=60).map(
        lambda q: f'\n  cite S "四(四)" quote "{q}"'),
)


@st.composite
def pack_source(draw, min_rules: int = 1, max_rules: int = 24) -> str:
    n_rules = draw(st.integers(min_value=min_rules, max_value=max_rules))
    rules = []
    for i in range(n_rules):
        cond = draw(st.one_of(condition(), st.just(None)))
        when = f"\n  when {cond}" if cond else ""
        unknown = "\n  unknown reject" if cond and draw(st.integers(0, 5)) == 0 else ""
        rules.append(f'rule R{i} "规则{i}"\n  cite S "第{i}条"{draw(_cite)}{when}\n  then {draw(_effect)}{unknown}\n')
    return HEADER + "\n".join(rules)


@st.composite
def decision_input(draw):
    """(task, target, history, today): any field absent or null (history values
    null, never absent: the runtime must supply what a pack reads)."""
    maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731 - a missing field is None or absent
    item = st.fixed_dictionaries({"kind": maybe(_kind), "n": maybe(_small)})
    task = {}
    for key, strat in [("kind", _kind), ("role", st.sampled_from(ROLES)),
                       ("category", st.sampled_from(CATEGORIES)), ("item_code", st.sampled_from(CODES + [""])),
                       ("funding_provided", st.booleans()), ("work_conditions_provided", st.booleans()),
                       ("one_vote_veto", st.booleans()), ("topic", st.sampled_from(TOPICS)),
                       ("title", st.sampled_from(["关于考核", "t", "c1", "任务名", "p2", "甲一"])),
                       ("tags", st.lists(maybe(st.sampled_from(TAGS)), max_size=3)),
                       ("n", _small), ("deadline", st.sampled_from(DATES)),
                       ("items", st.lists(item, max_size=3))]:
        if draw(st.booleans()):
            task[key] = draw(maybe(strat))
    target = {}
    if draw(st.booleans()) or True:
        target["level"] = draw(maybe(_lvl))
    if draw(st.booleans()):
        target["workers"] = draw(st.integers(0, 12))
    if draw(st.booleans()):
        target["households"] = draw(st.integers(0, 1200))
    history = {"assessments_this_year": draw(maybe(st.integers(0, 3)))}
    today = draw(st.sampled_from(DATES))
    return task, target, history, today
