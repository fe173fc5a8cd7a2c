"""The corpus of bad and odd files: `sheetkit check FILE` gives one line and the right exit code.

The corpus is written at test time by ``tests/corpus/make_corpus.py``. The
command runs in a child process with a 2 GiB memory cap and a timeout, so a
file that would crash or exhaust the reader fails the test instead of the run.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from sheetkit.errors import UnreadableWorkbook
from sheetkit.reading.limits import inspect_workbook

REPO = Path(__file__).resolve().parent.parent


def _load_make_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", REPO / "tests" / "corpus" / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_corpus = _load_make_corpus()
CASES: dict[str, tuple[int, str]] = make_corpus.CASES


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    built: dict[str, Path] = make_corpus.build(tmp_path_factory.mktemp("corpus"))
    return built


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _sheetkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sheetkit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        preexec_fn=_cap_memory,
    )


def test_corpus_is_small_and_deterministic(tmp_path: Path) -> None:
    first = make_corpus.build(tmp_path / "one")
    second = make_corpus.build(tmp_path / "two")
    assert sorted(first) == sorted(CASES)
    for name in CASES:
        assert first[name].read_bytes() == second[name].read_bytes(), name
        assert first[name].stat().st_size <= 4096, name


@pytest.mark.parametrize("name", sorted(CASES))
def test_inspection_judges_the_corpus(corpus: dict[str, Path], name: str) -> None:
    """What the safety layer alone says; the tracker-level cases pass it."""
    code, text = CASES[name]
    if name in ("not-a-tracker.xlsx", "far-cell.xlsx"):
        source = inspect_workbook(corpus[name])
        assert all(text in problem.cell for problem in source.problems)
        return
    with pytest.raises(UnreadableWorkbook) as raised:
        inspect_workbook(corpus[name])
    assert code == 1 and text in str(raised.value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_over_the_corpus(corpus: dict[str, Path], name: str) -> None:
    code, text = CASES[name]
    result = _sheetkit("check", str(corpus[name]))
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output, output
    if code == 1:
        # `check` lists problems on stdout, one per line; a file that is no tracker at all is one error.
        lines = result.stdout.strip().splitlines()
        assert len(lines) == 1, output
        assert lines[0].startswith(f"{corpus[name]}: ") and text in lines[0], lines[0]
    else:
        assert text in result.stdout, output
