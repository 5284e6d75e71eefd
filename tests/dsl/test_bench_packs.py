"""The packs ``make bench`` generates for its scaling step stay within the language's limits.

A full ``make bench`` once stopped at its largest pack: 3,200 rules written so that no field
can be indexed are over the per-file token limit (E108) in one file, a limit added after the
bench was written, and only the full run (not ``--quick``) builds that pack. The bench now
writes its packs as a large pack is written, the rules spread over files."""
import sys
from pathlib import Path

import pytest

from jiceng.dsl.api import compile_pack
from jiceng.dsl.diagnostics import CompileError
from jiceng.dsl.loader import MemoryLoader

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from generated_packs import RULES_PER_FILE, SCALING_SIZES, pack_files, pack_source  # noqa: E402


@pytest.mark.parametrize("indexable", [True, False])
def test_the_largest_scaling_pack_compiles(indexable):
    n = max(SCALING_SIZES)
    pack = compile_pack("bench", MemoryLoader({"bench": pack_files(n, indexable=indexable)}))
    assert len(pack.rules) == n and len(pack.files["bench"]) == 1 + -(-n // RULES_PER_FILE)


def test_the_largest_scaling_pack_in_one_file_is_over_the_limit():
    source = pack_source(max(SCALING_SIZES), indexable=False)
    with pytest.raises(CompileError) as err:
        compile_pack("bench", MemoryLoader({"bench": {"pack.jc": source}}))
    assert [d.code for d in err.value.diagnostics] == ["E108"]
