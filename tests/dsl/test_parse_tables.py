"""The parse tables Lark keeps between processes (``dsl/parser.py`` ``_tables_cache``).

A file that is there is read; a new one is written only where Python writes bytecode, or when
asked (``make install``); a damaged or stale file is rebuilt, never trusted; and a parser read
from the file parses exactly as one built from the grammar.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jiceng.dsl import parser

ROOT = Path(__file__).resolve().parents[2]
PACKS = sorted((ROOT / "rule_packs").glob("*/pack.jc"))


@pytest.fixture
def tables(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "__pycache__" / "grammar.lark-tables"
    monkeypatch.setattr(parser, "TABLES_FILE", path)
    return path


def test_no_file_is_written_where_python_writes_no_bytecode_unless_asked(tables, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    parser._Language()
    assert not tables.exists()
    parser._Language(write=True)
    assert tables.exists()


def test_a_file_is_written_where_python_writes_bytecode(tables, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    parser._Language()
    assert tables.stat().st_size > 10_000


def test_a_damaged_file_is_rebuilt_not_trusted(tables, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    tables.parent.mkdir()
    tables.write_bytes(b"not the tables\n\x80\x04garbage")
    lang = parser._Language()  # carries on with tables built from the grammar
    assert lang.keywords and lang.punctuation
    assert not tables.read_bytes().startswith(b"not the tables")  # and keeps the good ones


BROKEN = "pack p\nrule R \"规则\"\n  when task.kind ==\n  then reject\n"  # a syntax error: same message, same place


def _parsed_with(lang, monkeypatch) -> list:
    """The shipped packs and a broken one, parsed with ``lang``."""
    with monkeypatch.context() as m:
        m.setattr(parser, "_language", lambda: lang)
        return [parser.parse(p.read_text(encoding="utf-8"), p.name) for p in PACKS] + [parser.parse(BROKEN, "b.jc")]


def test_a_parser_read_from_the_file_parses_as_one_built_from_the_grammar(tables, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    built = parser._Language()
    assert not tables.exists()
    parser.write_parse_tables()
    loaded = parser._Language()
    assert (loaded.keywords, loaded.punctuation, loaded.literals) == (built.keywords, built.punctuation, built.literals)
    from_file = _parsed_with(loaded, monkeypatch)
    assert from_file == _parsed_with(built, monkeypatch)
    assert from_file[-1][1], "the broken pack should have a syntax error"
