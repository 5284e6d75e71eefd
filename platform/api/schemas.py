"""Request and response schemas of every endpoint; OpenAPI is generated from them."""
from __future__ import annotations

from marshmallow import validates_schema, ValidationError

from jiceng.platform.api.fields import Bool, Date, Dict, Float, Int, List, Nested, Raw, Str, ZhSchema, int_range, length, one_of

OUTCOMES = ("admit", "conditional", "reject")


# ---------------------------------------------------------------------- common
class ErrorDetailSchema(ZhSchema):
    code = Str(required=True, metadata={"description": "稳定的错误代码"})
    message = Str(required=True, metadata={"description": "中文说明"})
    details = Raw(allow_none=True, metadata={"description": "细节,如 [{path, message}] 或诊断列表"})


class ErrorSchema(ZhSchema):
    error = Nested(ErrorDetailSchema, required=True)


class EmptySchema(ZhSchema):
    """A request that takes no fields (its body may be empty or ``{}``)."""


class HealthSchema(ZhSchema):
    status = Str(required=True)


class PathProblemSchema(ZhSchema):
    path = Str(required=True, metadata={"description": "JSON 指针,如 /task/deadline"})
    message = Str(required=True)
    code = Str(metadata={"description": "有稳定错误码的问题才有,如 unknown_vocabulary_value"})
    suggestions = List(Str(), metadata={"description": "词表取值写错时的候选(您是不是要写……)"})


# ---------------------------------------------------------------------- admission
class CheckRequestSchema(ZhSchema):
    task = Dict(required=True, metadata={"description": "任务(租户任务表单上的字段,SPEC §5)"})
    target = Dict(allow_none=True, metadata={"description": "假设检查:直接给出接收单位的事实,如 {\"level\": \"street\"}"})
    history = Dict(allow_none=True, metadata={"description": "假设检查时的历史事实(仅与 target 同用)"})
    on = Date(allow_none=True, metadata={"description": "假设检查:按这一天判定(用当天生效的规则包,历史事实按当天统计);"
                                                   "不给则按服务器当天判定。给出 on 的检查是假设检查"})
    explain = Bool(load_default=False, metadata={"description": "附上每条规则是否触发及条件看到的值"})


class DictItemsSchema(ZhSchema):
    """A schema dumping dicts that may carry an ``items`` key: a key a dict lacks is absent,
    never one of dict's methods (``items``)."""

    def get_attribute(self, obj, attr, default):
        return obj.get(attr, default) if isinstance(obj, dict) else super().get_attribute(obj, attr, default)


class UsedItemSchema(ZhSchema):
    list = Str(required=True, metadata={"description": "清单名"})
    code = Str(required=True)
    name = Str(required=True)
    example = Bool(required=True, metadata={"description": "示例事项:不是正式公布的清单内容(规则包中标为 example)"})
    cites = List(Dict(), required=True, metadata={"description": "该事项的依据:{source, title, clause, quote?, file, …}"})


#: the list items a decision relied on, whether or not a rule fired because of them
USED_ITEMS = ("判定所依据的清单事项(按事项代码、名称或别名匹配,无论是否有规则因之触发):"
              "[{list, code, name, example, cites}];example 为真的是示例事项,不是正式公布的清单内容")


class ReasonSchema(DictItemsSchema):
    rule = Str(required=True)
    effect = Str(required=True, validate=one_of(("reject", "require", "warn")))
    message = Str(required=True)
    citation = Str(required=True)
    pack = Str(required=True)
    title = Str()
    cites = List(Dict(metadata={"description": "{source, title, clause, quote?, file, full?, issuer?, number?, date?, "
                                              "url?, item?}:依据及所引原文;item 表示是该事项的依据"}))
    requirement = Str()
    requirements = List(Str(), metadata={"description": "一条规则同时提出几项要求时的全部要求代码"})
    items = List(Dict(), metadata={"description": "规则因之触发的清单事项:[{list, code, name, example, cites}]"})
    example = Bool(metadata={"description": "所涉事项中有示例事项(不是正式公布的清单内容)"})


class RequirementSchema(ZhSchema):
    code = Str(required=True)
    message = Str(required=True)


class PackRefSchema(ZhSchema):
    tenant = Str(required=True)
    version = Str(allow_none=True, required=True)
    digest = Str(required=True)
    chain = List(Dict())


class CheckResponseSchema(ZhSchema):
    decision = Str(required=True, validate=one_of(OUTCOMES))
    reasons = List(Nested(ReasonSchema), required=True)
    requirements = List(Nested(RequirementSchema), required=True)
    pack = Nested(PackRefSchema, required=True)
    decision_id = Int(metadata={"description": "决定记录编号(可用于 replay)"})
    decided_on = Str(metadata={"description": "判定所用的日期:on,或服务器当天"})
    what_if = Bool(metadata={"description": "是否假设检查(给出了 on 或 target):同样写入决定记录,但从不计入历史事实"})
    target = Dict(metadata={"description": "判定所用的接收单位事实"})
    unknown = List(Dict(), metadata={"description": "因缺失事实而无法判断的规则:[{rule, pack, missing}](由此要求 information)"})
    trace = List(Dict(), metadata={"description": "explain 时:每条规则是否触发及看到的值"})
    items = List(Nested(UsedItemSchema), required=True, metadata={"description": USED_ITEMS})


# ---------------------------------------------------------------------- lists, units, tenants, standards
class ListItemSchema(ZhSchema):
    code = Str(required=True)
    name = Str(required=True)
    kind = Str(required=True)
    requires = List(Str(), required=True)
    attrs = Dict()
    pack = Str()
    aliases = List(Str(), metadata={"description": "别名:规则按代码、名称或别名找到事项"})
    levels = List(Str(), metadata={"description": "只在这些层级适用;空表示处处适用"})
    example = Bool(metadata={"description": "示例事项,不是正式公布的清单内容"})
    cites = List(Dict(), metadata={"description": "事项自己的依据:[{source, title, clause, quote, …}]"})


class ListsResponseSchema(ZhSchema):
    tenant = Str(required=True)
    pack = Nested(PackRefSchema, required=True)
    lists = Dict(keys=Str(), values=List(Nested(ListItemSchema)), required=True)
    info = Dict(metadata={"description": "每个清单的类别、标题、声明所在规则包和事项数"})


class UnitFactsSchema(ZhSchema):
    code = Str(required=True)
    parent = Str(allow_none=True)
    level = Str(required=True)
    name = Str(required=True)
    population = Int(allow_none=True)
    urban_population = Int(allow_none=True)
    households = Int(allow_none=True)
    workers = Int(allow_none=True)
    grid_workers = Int(allow_none=True)
    facility_area_m2 = Float(allow_none=True)
    tenant = Str()


class UnitNodeSchema(UnitFactsSchema):
    children = List(Nested(lambda: UnitNodeSchema()))


class UnitTreeSchema(ZhSchema):
    tenant = Str(required=True)
    units = List(Nested(UnitNodeSchema), required=True)


class UnitDetailSchema(UnitFactsSchema):
    children = List(Nested(UnitFactsSchema), required=True)


class TenantSchema(ZhSchema):
    code = Str(required=True)
    name = Str(required=True)
    parent = Str(allow_none=True)
    level = Str(required=True)
    division_code = Str(allow_none=True)
    children = List(Str())


class StandardQuerySchema(ZhSchema):
    descendants = Bool(load_default=False, metadata={"description": "包括下级租户的单位(各按本租户生效的规则包评价)"})
    status = Str(metadata={"description": "只列出这些结论的单位,逗号分隔:compliant failing error not_applicable"
                                          "(默认前三种)"})
    level = Str(metadata={"description": "只看该层级的单位(评价多个层级的标准)"})
    under = Str(validate=length(1, 32), metadata={"description": "只看该单位(如某街道)之下的单位"})
    tenant = Str(validate=length(1, 64), metadata={"description": "只看该(下级)租户的单位"})
    order = Str(validate=length(1, 64),
                metadata={"description": "排序:code(默认)或指标、事实名,前加 - 为从大到小,如 -gap"})
    offset = Int(load_default=0, validate=int_range(0, 2**31 - 1))
    limit = Int(load_default=1000, validate=int_range(1, 10000), metadata={"description": "每页单位数(默认 1000)"})
    totals = Str(metadata={"description": "按上级汇总的层级,逗号分隔:province city county street community"})


class StandardsResponseSchema(ZhSchema):
    tenant = Str(required=True)
    pack = Nested(PackRefSchema, required=True)
    packs = List(Dict(), metadata={"description": "评价所用的规则包(judges:用它评价的租户)"})
    standard = Dict(required=True,
                    metadata={"description": "标准:名称、依据、声明它的规则包及版本、所用参数(原文写法)"})
    summary = Dict(required=True, metadata={"description": "范围内单位数:达标、不达标、无法计算、不适用"})
    sums = Dict(metadata={"description": "范围内已评价单位的数值事实与指标之和(如应配、缺员)"})
    totals = Dict(metadata={"description": "{层级: [{code, name, level, units, compliant, failing, errors, sums}]}"})
    page = Dict(metadata={"description": "{offset, limit, total, next_offset}"})
    results = List(Dict(), required=True, metadata={"description": "本页单位:平铺的列(code level 事实 ratio 指标 "
                                                                  "actual)及 unit/measures 嵌套形式"})


class StandardReportQuerySchema(ZhSchema):
    descendants = Bool(load_default=False, metadata={"description": "包括下级租户的单位"})
    under = Str(validate=length(1, 32), metadata={"description": "只看该单位之下的单位"})


class StandardListSchema(ZhSchema):
    tenant = Str(required=True)
    pack = Nested(PackRefSchema, required=True)
    standards = List(Dict(), required=True, metadata={"description": "[{name, title, levels, declared_in, exports}]"})


class GridPlanRequestSchema(ZhSchema):
    households = Int(validate=int_range(0, 10_000_000), metadata={"description": "社区户数"})
    unit = Str(validate=length(1, 32), metadata={"description": "或:社区代码(取其户数)"})
    min = Int(validate=int_range(1, 1_000_000), metadata={"description": "假设的网格户数下限(默认取规则包)"})
    max = Int(validate=int_range(1, 1_000_000), metadata={"description": "假设的网格户数上限(默认取规则包)"})

    @validates_schema
    def _one_source(self, data, **kw):
        if ("households" in data) == ("unit" in data):
            raise ValidationError("households 与 unit 须给出且只给出一个", "_schema")
        if ("min" in data) != ("max" in data):
            raise ValidationError("min 与 max 须同时给出", "_schema")


class GridPlanSchema(ZhSchema):
    tenant = Str(required=True)
    households = Int(required=True)
    unit = Dict(allow_none=True)
    range = Dict(required=True, metadata={"description": "{min, max, param, value, set_by, set_by_version}"})
    fits = Bool(required=True, metadata={"description": "能否全部划分为范围内的网格"})
    grids = Int(required=True, metadata={"description": "建议的网格数"})
    sizes = List(Dict(), required=True, metadata={"description": "[{households, count}]"})
    message = Str(required=True)
    alternatives = List(Dict(), required=True)


class UnitImportSchema(ZhSchema):
    tenant = Str(required=True)
    format = Str(required=True)
    rows = Int(required=True)
    created = Int(required=True)
    updated = Int(required=True)
    unchanged = Int(required=True)
    units = Int(required=True, metadata={"description": "导入后本租户的单位总数"})
    dry_run = Bool(required=True)
    ignored_columns = List(Str(), required=True, metadata={"description": "文件中平台不认识、已忽略的列"})


class UnitImportBodySchema(ZhSchema):
    """The JSON form of an import (the raw file, sent as text/csv or .xlsx, is the other)."""

    csv = Str(validate=length(1), metadata={"description": "CSV 文件的文本"})
    xlsx_base64 = Str(validate=length(1), metadata={"description": "Excel(.xlsx)文件,base64 编码"})

    @validates_schema
    def _one_file(self, data, **kw):
        if ("csv" in data) == ("xlsx_base64" in data):
            raise ValidationError("csv 与 xlsx_base64 须给出且只给出一个", "_schema")


class UnitImportQuerySchema(ZhSchema):
    dry_run = Bool(load_default=False, metadata={"description": "只检查,不写入"})
    filename = Str(validate=length(1, 200), metadata={"description": "文件名(用于判断 .xlsx;也可由内容识别)"})


# ---------------------------------------------------------------------- packs
class DraftRequestSchema(ZhSchema):
    files = Dict(keys=Str(), values=Str(), required=True,
                 metadata={"description": "{文件名: 规则文本},如 {\"pack.jc\": \"pack changsha version ...\"}"})


class PublicationSchema(ZhSchema):
    id = Int(required=True)
    effective_from = Str(required=True)
    published_by = Str(required=True)
    published_at = Str(required=True)


class DiagnosticSchema(ZhSchema):
    file = Str(required=True)
    line = Int(required=True)
    column = Int(required=True)
    code = Str(required=True)
    message = Str(required=True)
    severity = Str()


class PackVersionSchema(ZhSchema):
    tenant = Str(required=True)
    number = Int(required=True, metadata={"description": "版本号(本平台按租户顺序编号)"})
    declared_version = Str(allow_none=True, metadata={"description": "pack 声明中的 version"})
    extends = Str(allow_none=True)
    status = Str(required=True, validate=one_of(("draft", "published")))
    in_force = Bool(required=True)
    base_number = Int(allow_none=True)
    origin = Str(required=True)
    files_digest = Str(required=True)
    created_by = Str(required=True)
    created_at = Str(required=True)
    publications = List(Nested(PublicationSchema), required=True)
    files = Dict(keys=Str(), values=Str())
    warnings = List(Nested(DiagnosticSchema))
    digest = Str()


class PackListSchema(ZhSchema):
    tenant = Str(required=True)
    in_force = Int(allow_none=True, required=True)
    versions = List(Nested(PackVersionSchema), required=True)


class ProposalRequestSchema(ZhSchema):
    effective_from = Date(allow_none=True, metadata={"description": "生效日期(默认今天)"})
    expected_current = Int(allow_none=True, metadata={
        "description": "你所看到的当前最新发布版本号;与实际不符时返回 409(默认:草稿创建时的最新发布版本)"})
    note = Str(load_default="", validate=length(0, 500), metadata={"description": "申请说明(至多 500 字)"})


class ProposalDecisionSchema(ZhSchema):
    note = Str(load_default="", validate=length(0, 500), metadata={"description": "审核意见(至多 500 字)"})


class ProposalSchema(ZhSchema):
    id = Int(required=True)
    tenant = Str(required=True)
    number = Int(required=True, metadata={"description": "申请发布的版本号"})
    effective_from = Str(required=True)
    expected_current = Int(allow_none=True, required=True, metadata={"description": "申请时最新发布的版本号"})
    status = Str(required=True, validate=one_of(("pending", "approved", "rejected", "withdrawn")))
    note = Str(required=True)
    proposed_by = Str(required=True)
    proposer_tenant = Str(required=True)
    proposed_at = Str(required=True)
    decided_by = Str(allow_none=True, required=True)
    decided_at = Str(allow_none=True, required=True)
    decision_note = Str(allow_none=True, required=True)
    publication_id = Int(allow_none=True, required=True)
    rollback = Bool()


class ProposalListSchema(ZhSchema):
    proposals = List(Nested(ProposalSchema), required=True)


class DiffQuerySchema(ZhSchema):
    against = Int(allow_none=True)


class DiffResponseSchema(ZhSchema):
    tenant = Str(required=True)
    number = Int(required=True)
    against = Int(required=True)
    same = Bool(required=True)
    lists = Dict(required=True)
    params = Dict(required=True)
    rules = Dict(required=True)
    disabled_rules = Dict(required=True)
    standards = Dict(required=True)


class TestReportSchema(ZhSchema):
    number = Int(required=True)
    tenant = Str(required=True)
    passed = Bool(required=True)
    total = Int(required=True)
    failed = Int(required=True)
    results = List(Dict(), required=True)
    coverage = Dict(required=True)


# ---------------------------------------------------------------------- tasks and assignments
class TaskCreateSchema(ZhSchema):
    task = Dict(required=True, metadata={"description": "任务表单数据"})


class AssignmentSchema(ZhSchema):
    id = Int(required=True)
    task_id = Int(required=True)
    tenant = Str(required=True)
    target_unit = Str(required=True)
    source_unit = Str(allow_none=True)
    status = Str(required=True, validate=one_of(("pending", "admitted", "rejected")))
    requirements = List(Nested(RequirementSchema), required=True)
    decision_id = Int(required=True)
    decided_on = Str(required=True)
    task = Dict(required=True)
    created_by = Str(required=True)
    created_at = Str(required=True)
    updated_at = Str(required=True)


class TaskSchema(ZhSchema):
    id = Int(required=True)
    tenant = Str(required=True)
    task = Dict(required=True)
    source_unit = Str(allow_none=True)
    created_by = Str(required=True)
    created_at = Str(required=True)
    assignments = List(Nested(AssignmentSchema))


class TaskListSchema(ZhSchema):
    tasks = List(Nested(TaskSchema), required=True)


class AssignRequestSchema(ZhSchema):
    targets = List(Str(validate=length(1, 32)), load_default=list,
                   metadata={"description": "接收单位代码列表"})
    children_of = Str(allow_none=True, metadata={"description": "下派给该单位的全部下级单位(如街道下的全部社区)"})
    on = Date(allow_none=True, metadata={"description": "不接受:下派按服务器当天的日期判定,给出即 422 on_not_allowed"})

    @validates_schema
    def _some_target(self, data, **_kw):
        if not data.get("targets") and not data.get("children_of"):
            raise ValidationError("targets 与 children_of 至少给出一个", "targets")


class AssignResultSchema(DictItemsSchema):
    target = Str(required=True)
    status = Str(required=True, validate=one_of(("admitted", "pending", "rejected", "exists", "invalid")))
    decision = Str(validate=one_of(OUTCOMES))
    reasons = List(Nested(ReasonSchema))
    requirements = List(Nested(RequirementSchema))
    items = List(Nested(UsedItemSchema), metadata={"description": USED_ITEMS})
    pack = Nested(PackRefSchema)
    decision_id = Int()
    assignment = Nested(AssignmentSchema, allow_none=True)
    error = Nested(ErrorDetailSchema)


class AssignResponseSchema(ZhSchema):
    task_id = Int(required=True)
    decided_on = Str(required=True)
    results = List(Nested(AssignResultSchema), required=True)


class AssignmentPatchSchema(ZhSchema):
    evidence = Dict(metadata={"description": "{要求代码: 证明材料},只能是该下派记录等待的代码:funding {amount(元), source}、"
                                            "work_conditions {description}、approval {document_no}、filing {filing_no}、"
                                            "staffing {count}、information 及租户自定的代码 {facts: {任务字段: 取值}}"})
    task = Dict(metadata={"description": "不接受:任务一经建立不可修改,给出即 422 task_immutable"})
    on = Date(allow_none=True, metadata={"description": "不接受:按服务器当天的日期重新判定,给出即 422 on_not_allowed"})


class AssignmentPatchResponseSchema(DictItemsSchema):
    decision = Str(required=True, validate=one_of(OUTCOMES))
    reasons = List(Nested(ReasonSchema), required=True)
    requirements = List(Nested(RequirementSchema), required=True)
    items = List(Nested(UsedItemSchema), required=True, metadata={"description": USED_ITEMS})
    pack = Nested(PackRefSchema, required=True)
    decision_id = Int(required=True)
    status = Str(required=True)
    evidence = Dict(required=True, metadata={"description": "至今补充的全部证明材料(同一代码以最后一次为准)"})
    assignment = Nested(AssignmentSchema, required=True)


# ---------------------------------------------------------------------- forms
class FormSchema(ZhSchema):
    tenant = Str(required=True)
    name = Str(required=True)
    version = Int(required=True)
    schema = Dict(required=True)
    inherited_from = Str(allow_none=True, metadata={"description": "本租户没有自己的表单时,取自哪个上级"})
    id = Int(allow_none=True, metadata={"description": "该版本的编号(任务记录它所依据的表单版本)"})
    owner = Str(metadata={"description": "表单属于哪个租户"})
    latest_version = Int(metadata={"description": "该表单的最新版本号"})


class FormQuerySchema(ZhSchema):
    version = Int(allow_none=True, validate=int_range(1, 10**9), metadata={"description": "取该表单的指定版本(默认最新)"})


class FormSummarySchema(ZhSchema):
    name = Str(required=True)
    title = Str(allow_none=True)
    owner = Str(required=True)
    version = Int(required=True)
    inherited_from = Str(allow_none=True)
    binds_params = Bool(required=True, metadata={"description": "是否用 x-param 绑定了规则包参数"})


class FormListSchema(ZhSchema):
    tenant = Str(required=True)
    forms = List(Nested(FormSummarySchema), required=True)


class FormVersionInfoSchema(ZhSchema):
    version = Int(required=True)
    digest = Str(required=True)
    origin = Str(required=True)
    created_by = Str(required=True)
    created_at = Str(required=True)


class FormVersionsSchema(ZhSchema):
    tenant = Str(required=True)
    name = Str(required=True)
    owner = Str(required=True)
    versions = List(Nested(FormVersionInfoSchema), required=True)


class FormPutSchema(ZhSchema):
    schema = Dict(required=True, metadata={"description": "JSON Schema(2020-12)"})


class FormPutResponseSchema(FormSchema):
    created = Bool(required=True)


class FormValidateRequestSchema(ZhSchema):
    data = Raw(required=True, allow_none=True)
    version = Int(allow_none=True, validate=int_range(1, 10**9),
                  metadata={"description": "按该表单的指定版本校验(默认最新),如任务当初所依据的版本"})


class FormValidateResponseSchema(ZhSchema):
    valid = Bool(required=True)
    errors = List(Nested(PathProblemSchema), required=True)
    form = Dict(required=True)


# ---------------------------------------------------------------------- decisions
class DecisionQuerySchema(ZhSchema):
    limit = Int(load_default=50, validate=int_range(1, 500))
    before = Int(allow_none=True)
    outcome = Str(validate=one_of(OUTCOMES))
    kind = Str(validate=one_of(("check", "assignment")))


class DecisionSchema(DictItemsSchema):
    id = Int(required=True)
    tenant = Str(required=True)
    seq = Int(required=True)
    kind = Str(required=True)
    actor = Str(required=True)
    created_at = Str(required=True)
    decided_on = Str(required=True)
    input = Dict(required=True)
    target = Dict(required=True)
    history = Dict(required=True)
    pack = Dict(required=True)
    outcome = Str(required=True)
    reasons = List(Dict(), required=True)
    requirements = List(Dict(), required=True)
    items = List(Dict(), required=True, allow_none=True,
                 metadata={"description": USED_ITEMS + ";在记录这一项之前写入的决定记录为 null(不参与其哈希)"})
    prev_hash = Str(required=True)
    hash = Str(required=True)


class DecisionListSchema(ZhSchema):
    decisions = List(Nested(DecisionSchema), required=True)
    next_before = Int(allow_none=True, metadata={"description": "下一页的 before 参数"})


class ReplaySchema(ZhSchema):
    decision_id = Int(required=True)
    tenant = Str(required=True)
    decided_on = Str(required=True)
    original = Dict(required=True)
    replayed = Dict(required=True)
    same = Bool(required=True)


class VerifySchema(ZhSchema):
    ok = Bool(required=True)
    chains = List(Dict(), required=True)

