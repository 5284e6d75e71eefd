"""A pack draft near the request limit made of one pathological construct is refused at the
construct's limit, with the diagnostic's code and position (issue 11: a 1 MiB draft of "(" used
to be parsed to its end — about 5 s — before it was refused)."""
from __future__ import annotations

import pytest

from jiceng.dsl.parser import MAX_OPEN, MAX_PACK_TOKENS, MAX_TOKENS
from jiceng.platform.config import MAX_CONTENT_LENGTH

PACKS = "/api/v1/tenants/changsha/packs"
ADMIN = ("changsha", "admin")
HEAD = "pack changsha extends hunan\nrule R when "


def _draft(api, text: str):
    body = {"files": {"pack.jc": text}}
    return api.post(PACKS, ADMIN, json=body)


def _diagnostic(resp) -> tuple:
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    error = resp.json["error"]
    assert error["code"] == "pack_invalid"
    [d] = [d for d in error["details"] if d["file"].endswith("pack.jc")]
    return d["code"], d["line"], d["column"], d["message"]


@pytest.mark.parametrize("pile", ["(", "not ", "-"])
def test_a_megabyte_of_openers_is_refused_by_counting_tokens(api, pile):
    text = HEAD + pile * ((MAX_CONTENT_LENGTH - 1000) // len(pile))
    code, line, column, message = _diagnostic(_draft(api, text))
    past = MAX_TOKENS + 1 - 7  # the header and "rule R when" hold 7 tokens: the pile's number past the limit
    assert (code, line, column) == ("E108", 2, len("rule R when ") + len(pile) * (past - 1) + 1)
    assert str(MAX_TOKENS) in message


@pytest.mark.parametrize("pile", ["(", "not ", "-"])
def test_openers_past_their_own_limit_are_refused_there(api, pile):
    text = HEAD + pile * (MAX_OPEN + 10)
    code, line, column, message = _diagnostic(_draft(api, text))
    assert (code, line, column) == ("E105", 2, len("rule R when ") + len(pile) * MAX_OPEN + 1)
    assert str(MAX_OPEN) in message


def test_a_draft_of_too_many_tokens_is_refused_where_they_pass_the_limit(api):
    text = "pack changsha extends hunan\n" + "# x\n" + "a " * (MAX_TOKENS + 10)
    code, line, column, _ = _diagnostic(_draft(api, text))
    # 4 tokens on line 1, none in the comment: the first past the limit is line 3's a number MAX_TOKENS - 3
    assert (code, line, column) == ("E108", 3, 2 * (MAX_TOKENS - 4) + 1)


def test_a_draft_of_many_files_is_refused_where_their_tokens_together_pass_the_pack_limit(api):
    # each file is under the per-file limit; together they pass the pack's: the file and position
    # of the first token past MAX_PACK_TOKENS are named, before any file is parsed
    per_file = MAX_TOKENS - 10
    files = {"pack.jc": "pack changsha extends hunan\n"}  # 4 tokens
    for i in range(MAX_PACK_TOKENS // per_file + 1):
        files[f"part{i}.jc"] = "a " * per_file
    resp = api.post(PACKS, ADMIN, json={"files": files})
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    [d] = resp.json["error"]["details"]
    left = MAX_PACK_TOKENS - 4 - per_file  # what part1.jc may still hold (files are read in name order)
    assert (d["code"], d["file"], d["line"], d["column"]) == ("E108", "changsha/part1.jc", 1, 2 * left + 1)
    assert str(MAX_PACK_TOKENS) in d["message"]


def test_a_pack_just_within_the_token_budget_is_parsed(api):
    per_file = MAX_TOKENS - 10
    files = {"pack.jc": "pack changsha extends hunan\n", "part0.jc": "a " * per_file,
             "part1.jc": "a " * (MAX_PACK_TOKENS - 4 - per_file)}
    resp = api.post(PACKS, ADMIN, json={"files": files})
    # parsed (the stray names are syntax errors of their own), not refused for its size
    assert resp.status_code == 422 and all(d["code"] != "E108" for d in resp.json["error"]["details"])
