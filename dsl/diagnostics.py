"""Diagnostics: stable codes, zh-CN messages, and the `file:line:col` rendering.

Every error a user can cause in a pack is a :class:`Diagnostic` with a code
from :data:`MESSAGES`. ``docs/errors.md`` documents each code with an example
that ``tests/test_errors_doc.py`` compiles to prove it still triggers.
"""
from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence

from .nodes import NOWHERE, Span

ERROR = "error"
WARNING = "warning"
SEVERITY_LABEL = {ERROR: "错误", WARNING: "警告"}

#: code -> message template (str.format fields). The codes are a public
#: contract: never renumber, only add.
MESSAGES: dict[str, str] = {
    # input and syntax
    "E100": "无法读取规则文件:{reason}",
    "E101": "无法识别的字符 {char!r}",
    "E102": "语法错误:此处不应出现{found},应为{expected}",
    "E103": "语法错误:文件在{context}处意外结束,应为{expected}",
    "E104": "字符串缺少结束引号",
    "E105": "表达式嵌套过深(超过 {limit} 层),请拆分为多条规则或参数",
    "E106": "规则文件过大({size} 字节,上限 {limit} 字节)",
    "E107": "日期 {value} 无效,应为 YYYY-MM-DD 格式的真实日期",
    "E108": "规则包内容过多:{what} 超过上限 {limit}",
    "E109": "数字 {value} 超出范围:{reason}",
    # names and structure
    "E201": "未知名称 {name}",
    "E202": "{what} {name} 重复定义",
    "E203": "未知单位 {unit}",
    "E204": "任务表单中没有字段 {field}",
    "E205": "{owner} 没有字段 {field}",
    "E206": "未知函数 {name}",
    "E207": "未知清单类别 {kind},应为:{allowed}",
    "E208": "未知要求代码 {code}",
    "E209": "未声明的依据来源 {source}",
    "E210": "未知规则 {rule}",
    "E211": "{problem}",
    "E212": "规则包名 {name} 与所在目录 {folder} 不一致",
    "E213": "找不到上级规则包 {name}",
    "E214": "规则包继承出现循环:{cycle}",
    "E215": "规则 {rule} {problem}",
    "E216": "{name} 是保留名称,不能用作{what}",
    "E217": "{value} 不是 {owner} 的有效取值,应为:{allowed}",
    "E218": "标准 {standard} {problem}",
    "E219": "测试 {test}:{problem}",
    "E220": "新清单 {name} 必须用 kind 指明清单类别",
    "E221": "未知标准 {name}",
    # controlled vocabularies (lists of kind category / task_kind, dsl/vocabulary.py)
    "E230": "词表 {name} 中 {code} 的上级 {parent} 不存在",
    "E231": "词表 {name} 的上级关系出现循环:{cycle}",
    "E232": "词表 {name} 中 {code} 的{what} {text} 与{other} 相同,同一写法只能指一项",
    "E233": "词表 {name} 中 {code} 的别名 {alias} 与它自己的代码相同",
    "E234": "词表 {name} 中 {code} 的属性 {attr} {problem}",
    "E235": "词表 {name} 中 {code} 的上级已由规则包 {pack} 定为 {inherited},下级规则包不能改为 {parent}",
    "E236": "任务表单字段 {field} 的 x-vocabulary 指向 {name},{problem}",
    # named conditions (define)
    "E240": "命名条件出现循环引用:{cycle}",
    # types and units
    "E301": "类型不符:{detail}",
    "E302": "单位不一致:{detail}",
    "E303": "{what}必须是真假值(布尔),此处是{actual}",
    "E304": "函数 {name} 需要 {expected} 个参数,实际 {actual} 个",
    "E305": "正则表达式无效:{detail}",
    "E306": "参数 {name} 的值必须是常量(数字、数量、范围、字符串、日期或集合)",
    "E307": "测试 {test} 中 {path} 的值类型不符:应为{expected},实际为{actual}",
    "E308": "除数为零",
    "E309": "函数 {name} 的正则表达式必须直接写成带引号的文字,不能来自任务数据、参数或计算",
    # inheritance and override policies
    "E401": "参数 {name} 设为 {value},低于上级规则包的下限 {bound}(floor:只能提高,不能降低)",
    "E402": "参数 {name} 设为 {value},高于上级规则包的上限 {bound}(ceiling:只能降低,不能提高)",
    "E403": "参数 {name} 设为 {value},超出上级规则包的范围 {bound}(narrow:只能收窄)",
    "E404": "参数 {name} 由上级规则包固定为 {bound}(fixed),不能改为 {value}",
    "E405": "参数 {name} 的覆盖策略已由上级规则包定为 {inherited},不能改为 {policy}",
    "E406": "规则 {rule} 未被上级规则包标记为 overridable,不能关闭",
    "E407": "清单 {name} 在上级规则包中的类别是 {inherited},不能改为 {kind}",
    "E408": "清单 {name} 中没有事项 {code},无法移除",
    "E409": "参数 {name} 的类型 {value_type} 与上级规则包的 {inherited_type} 不一致",
    "E410": "参数 {name} 的覆盖策略 {policy} 不适用于 {value_type}",
    "E411": "清单 {name} 是{kind_label}清单,下级规则包只能增加事项,不能移除 {code}",
    "E412": "规则包 {name} 的继承与租户登记不符:规则包{declared},而租户登记中 {registered};规则包只能继承本租户登记的上级",
    "E413": "租户登记中没有租户 {name},无法确定规则包 {name} 的上级",
    # citations proved against the documents (jiceng lint, dsl/citations.py)
    "E501": "引文在 {source}({file})中找不到:“{quote}”",
    "E502": "依据来源 {source} 没有写 file,无法核对引文",
    "E503": "找不到依据文件 {file}(查找了:{folders})",
    "E504": "{what} 没有引用依据(cite):每条规则都须引用文件条款",
    # decision input (raised by Pack.decide, not by the compiler)
    "E701": "输入数据不符合规则所需的类型:{path} 应为{expected},实际为{actual}",
    "E702": "计算规则 {rule} 时出错:{detail}",
    "E703": "判定缺少历史事实 {names}:规则包的规则读取它们,运行时必须提供(不知道的值给 null,视为未知)",
    # warnings
    "W301": "规则 {rule} 的条件永远不成立,规则不会触发:{reason}",
    "W302": "测试 {test} 没有任何 expect 断言",
    "W303": "规则 {rule} 的条件不读取任何事实,不会未知;unknown reject 不起作用",
    "W304": "规则 {rule} 不予准入(reject),但所引原文有保留措辞“{word}”,不是绝对禁止;"
            "按 docs/tenants.md 的措辞约定改为有条件准入(require)或提示(warn)",
}


@dataclass(frozen=True)
class Note:
    span: Span
    message: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    severity: str = ERROR
    notes: tuple[Note, ...] = ()
    hint: Optional[str] = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict:
        """The API shape: ``{file, line, column, code, message, severity}``."""
        out = {"file": self.span.file, "line": self.span.line, "column": self.span.column,
               "end_line": self.span.end_line, "end_column": self.span.end_column,
               "code": self.code, "severity": self.severity, "message": self.full_message()}
        if self.notes:
            out["notes"] = [{"file": n.span.file, "line": n.span.line, "column": n.span.column,
                             "message": n.message} for n in self.notes]
        return out

    def full_message(self) -> str:
        return f"{self.message}{';' + self.hint if self.hint else ''}"


def make(code: str, span: Span, /, *, notes: Iterable[Note] = (), hint: Optional[str] = None,
         **fields) -> Diagnostic:
    """Build a diagnostic from its code's template."""
    severity = WARNING if code.startswith("W") else ERROR
    return Diagnostic(code, MESSAGES[code].format(**fields), span or NOWHERE, severity,
                      tuple(notes), hint)


def close_matches(name: str, candidates: Iterable[str]) -> list[str]:
    """Up to three candidates close to ``name``, closest first."""
    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=3, cutoff=0.5)
    if not close and name:
        # Chinese names differ by one or two characters a lot more often than
        # difflib's ratio tolerates for short words: fall back to containment.
        close = [c for c in pool if name in c or (len(c) >= 2 and c in name)][:3]
    return close


def did_you_mean(name: str, candidates: Iterable[str]) -> Optional[str]:
    """'您是不是要写 X?' for the closest candidate, if any is close enough."""
    close = close_matches(name, candidates)
    if not close:
        return None
    return "您是不是要写 " + "、".join(close) + "?"


class CompileError(Exception):
    """A pack that does not compile: carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: Mapping[str, str] | None = None):
        self.diagnostics = sorted(diagnostics, key=sort_key)
        self.sources = dict(sources or {})
        super().__init__(render_all(self.errors, self.sources))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    def to_list(self) -> list[dict]:
        return [d.to_dict() for d in self.diagnostics]


def sort_key(d: Diagnostic):
    return (d.span.file, d.span.line, d.span.column, d.code)


def display_width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _excerpt(span: Span, sources: Mapping[str, str]) -> list[str]:
    text = sources.get(span.file)
    if text is None or span.line < 1:
        return []
    lines = text.splitlines()
    if span.line > len(lines):
        return []
    line = lines[span.line - 1].replace("\t", " ")
    col = max(span.column, 1)
    end = span.end_column if span.end_line == span.line and span.end_column > col else col + 1
    pad = display_width(line[: col - 1])
    width = max(display_width(line[col - 1: end - 1]), 1)
    return ["    " + line, "    " + " " * pad + "^" * width]


def render(d: Diagnostic, sources: Mapping[str, str] | None = None) -> str:
    """``file:line:col: 错误 E123: message``, the source line and a caret."""
    sources = sources or {}
    out = [f"{d.span}: {SEVERITY_LABEL[d.severity]} {d.code}: {d.full_message()}"]
    out += _excerpt(d.span, sources)
    for n in d.notes:
        out.append(f"{n.span}: 说明: {n.message}")
        out += _excerpt(n.span, sources)
    return "\n".join(out)


def render_all(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str] | None = None) -> str:
    return "\n".join(render(d, sources) for d in diagnostics)
