"""SPEC §2: platform/ and dsl/ are mapped under ``jiceng`` without an
``__init__.py`` at their top, so the standard library's ``platform`` is never
shadowed, and a wheel carries the grammar."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_init_at_the_top_of_platform_and_dsl():
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert not (ROOT / "dsl" / "__init__.py").exists()


def test_running_from_the_root_does_not_shadow_the_stdlib_platform():
    probe = ("import platform, sys; platform.system(); import jiceng.platform.cli, jiceng.dsl.api; "
             "from jiceng.dsl import load_pack; print(platform.__file__)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).parent != ROOT / "platform"
    collect = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                              "tests/dsl/test_layout.py"], cwd=ROOT, capture_output=True, text=True)
    assert collect.returncode == 0, collect.stdout + collect.stderr
    assert "test_no_init_at_the_top_of_platform_and_dsl" in collect.stdout


def test_a_wheel_installed_elsewhere_imports_with_its_grammar(tmp_path):
    dist = tmp_path / "dist"
    had_build = (ROOT / "build").exists()
    try:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(dist), str(ROOT)], check=True, capture_output=True)
    finally:
        if not had_build:  # setuptools builds inside the source tree; leave no trace
            shutil.rmtree(ROOT / "build", ignore_errors=True)
    (wheel,) = dist.glob("jiceng-*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    assert (target / "jiceng" / "dsl" / "grammar.lark").is_file()
    assert not (target / "jiceng" / "dsl" / "__init__.py").exists()
    probe = ("import jiceng.dsl.api as api, pathlib, sys; "
             "from jiceng.dsl.api import compile_pack; from jiceng.dsl.loader import MemoryLoader; "
             "p = compile_pack('w', MemoryLoader({'w': {'pack.jc': 'pack w\\nrule R when task.one_vote_veto then reject'}})); "
             "print(api.__file__); print(p.decide({'title': 't', 'one_vote_veto': True}).decision)")
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    module_file, decision = out.stdout.split()
    assert module_file.startswith(str(target)) and decision == "reject"
