"""Every error code the code base raises is in docs/api.md's error section (issue 11, item 3):
clients program against ``code``, so a code that is not documented is a broken contract."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
#: ``Invalid("code", …)`` and its kin, ``ApiError(422, "code", …)``, the HTTP errors' table
RAISED = re.compile(r'\b(?:Invalid|NotFound|Conflict|Forbidden|ServiceError|ImportProblems)\(\s*"([a-z_]+)"'
                    r'|\bApiError\(\s*\d+,\s*"([a-z_]+)"'
                    r'|^\s*\d{3}: \("([a-z_]+)",', re.MULTILINE)


def raised_codes() -> dict[str, str]:
    """``{code: first file raising it}`` over platform/."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "platform").rglob("*.py")):
        for m in RAISED.finditer(path.read_text(encoding="utf-8")):
            code = next(g for g in m.groups() if g)
            found.setdefault(code, str(path.relative_to(ROOT)))
    return found


def documented_codes() -> set[str]:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("## 3. 错误", 1)[1].split("\n## 4.", 1)[0]
    return set(re.findall(r"`([a-z_]+)`", section))


def test_the_search_finds_codes():
    codes = raised_codes()
    assert {"form_invalid", "invalid_json", "uri_too_long", "assignment_not_found"} <= set(codes)


def test_every_raised_code_is_documented():
    documented = documented_codes()
    missing = {code: where for code, where in raised_codes().items() if code not in documented}
    assert not missing, "docs/api.md 第 3 节缺少这些错误码:" + ", ".join(f"{c} ({w})" for c, w in sorted(missing.items()))
