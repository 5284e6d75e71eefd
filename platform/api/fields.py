"""marshmallow fields and a base schema whose error messages are zh-CN.

marshmallow merges ``default_error_messages`` along the class hierarchy, so a
mixin placed before the marshmallow class replaces the English defaults.
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class _Zh:
    default_error_messages = {"required": "缺少必填字段", "null": "不能为 null", "validator_failed": "取值无效"}


class Str(_Zh, fields.String):
    default_error_messages = {"invalid": "应为字符串", "invalid_utf8": "不是有效的 UTF-8 字符串"}


class Int(_Zh, fields.Integer):
    """A JSON integer (not a float, not text) that fits the database's integer columns."""

    default_error_messages = {"invalid": "应为整数", "too_large": "数值过大"}
    LIMIT = 2**31 - 1

    def __init__(self, **kw):
        kw.setdefault("strict", True)
        super().__init__(**kw)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        number = super()._deserialize(value, attr, data, **kwargs)
        if number is not None and abs(number) > self.LIMIT:
            raise self.make_error("too_large")
        return number


class Float(_Zh, fields.Float):
    default_error_messages = {"invalid": "应为数字", "too_large": "数值过大", "special": "不能是 NaN 或无穷大"}


class Bool(_Zh, fields.Boolean):
    default_error_messages = {"invalid": "应为真假值(true 或 false)"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):  # JSON true/false only: not 1, "yes" or "true"
            raise self.make_error("invalid")
        return value


class Date(_Zh, fields.Date):
    default_error_messages = {"invalid": "应为日期(YYYY-MM-DD)", "format": "无法格式化为日期"}


class Dict(_Zh, fields.Dict):
    default_error_messages = {"invalid": "应为对象"}


class List(_Zh, fields.List):
    default_error_messages = {"invalid": "应为数组"}


class Nested(_Zh, fields.Nested):
    default_error_messages = {"type": "应为对象"}


class Raw(_Zh, fields.Raw):
    pass


def one_of(choices) -> validate.OneOf:
    return validate.OneOf(list(choices), error="取值无效,应为以下之一:" + "、".join(map(str, choices)))


def int_range(lo: int, hi: int) -> validate.Range:
    return validate.Range(min=lo, max=hi, error=f"应在 {lo} 到 {hi} 之间")


def length(lo: int = 0, hi: int | None = None) -> validate.Length:
    return validate.Length(min=lo, max=hi, error=f"长度应在 {lo} 到 {hi} 之间" if hi else f"长度不能少于 {lo}")


class ZhSchema(Schema):
    """Unknown fields are refused; messages are zh-CN."""

    error_messages = {"type": "应为 JSON 对象", "unknown": "未知字段"}

    class Meta:
        unknown = RAISE
        ordered = True
