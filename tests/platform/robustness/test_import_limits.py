"""Unit imports are bounded (issue 11): the file as sent, an .xlsx unpacked, and its sheet's
rows — each refused with ``units_file_too_large`` and a zh-CN message before it is read whole
(an import costs ~2 s a MB, and it used to accept 256 MiB)."""
from __future__ import annotations

import dataclasses

import pytest

from jiceng.platform.units import importer
from jiceng.platform.units.importer import ImportProblems, read_file
from tests.platform.workbooks import xlsx

HEADER = ["code", "parent", "level", "name"]
ROW = ["430202009000", "430200000000", "street", "新街道"]


def _refusal(data: bytes, layout=importer.UNITS, filename="") -> dict:
    with pytest.raises(ImportProblems) as e:
        read_file(data, filename, layout)
    [problem] = e.value.details
    assert problem["code"] == f"{layout.prefix}_file_too_large"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["message"])
    return problem


def test_a_file_over_the_byte_limit_is_refused_unread():
    csv = (",".join(HEADER) + "\n").encode()
    data = csv + b"\n" * (importer.MAX_FILE_BYTES - len(csv) + 1)
    assert str(importer.MAX_FILE_BYTES // (1024 * 1024)) in _refusal(data)["message"]
    with pytest.raises(ImportProblems) as e:  # one byte less is read (and found empty below its header)
        read_file(data[:-1])
    assert e.value.details[0]["code"] == "units_file_empty"


def test_the_api_refuses_a_larger_upload_with_413(api):
    body = b"x" * (importer.MAX_FILE_BYTES + 1)
    resp = api.post("/api/v1/tenants/zhuzhou/units/import", ("zhuzhou", "admin"), data=body, content_type="text/csv")
    assert resp.status_code == 413 and resp.json["error"]["code"] == "payload_too_large"
    assert resp.json["error"]["details"]["limit"] == importer.MAX_FILE_BYTES


def test_an_xlsx_is_bounded_by_its_unpacked_size(monkeypatch):
    data = xlsx([HEADER, ROW])
    assert len(read_file(data).rows) == 1
    monkeypatch.setattr(importer, "MAX_XLSX_UNPACKED", len(data))  # unpacked XML is larger than the zip
    assert "解压后" in _refusal(data)["message"]


def test_a_sheet_longer_than_the_row_limit_is_refused_even_with_blank_rows():
    layout = dataclasses.replace(importer.UNITS, max_rows=5)
    rows = [["标题"], HEADER] + [ROW] * 5
    assert len(read_file(xlsx(rows), layout=layout).rows) == 5
    spaced = [["标题"], HEADER] + [ROW, []] * 30  # blank rows count toward how much is read
    _refusal(xlsx(spaced), layout)
    _refusal(xlsx([["标题"], HEADER] + [ROW] * 6), layout)
