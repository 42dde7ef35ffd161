"""Helpers for the batch and bounded-cost validation tests: the files the validation tests
validate (recorded while their test functions run), and hostile files at the size limit."""

from __future__ import annotations

import importlib
import inspect
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from expectations.validate import FileToValidate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
LIMIT = 10 * 1024 * 1024

# The modules whose test functions validate files through ``validate_bytes``.
RECORDED_MODULES = ("tests.test_validation", "tests.test_contract_review", "tests.test_reading")
# Modules that import ``validate_bytes`` by name: the recorder replaces it there.
_PATCHED = ("tests.test_validation_builders", *RECORDED_MODULES)


def _calls(function: Any) -> Iterator[dict[str, Any]]:
    """Keyword arguments for every case of a test function taking only parametrized
    arguments (no fixture); nothing for a test that needs a fixture."""
    names = list(inspect.signature(function).parameters)
    marks = [m for m in getattr(function, "pytestmark", []) if m.name == "parametrize"]
    grids: list[list[dict[str, Any]]] = []
    covered: list[str] = []
    for mark in marks:
        argnames, argvalues = mark.args[0], mark.args[1]
        keys = [a.strip() for a in argnames.split(",")] if isinstance(argnames, str) else argnames
        covered += keys
        cases = []
        for value in argvalues:
            value = value.values if hasattr(value, "values") and hasattr(value, "marks") else value
            values = (
                value
                if len(keys) > 1
                else (value[0] if isinstance(value, tuple) and len(value) == 1 else value,)
            )
            cases.append(dict(zip(keys, values, strict=True)))
        grids.append(cases)
    if set(names) - set(covered):
        return
    for combination in itertools.product(*grids) if grids else [()]:
        kwargs: dict[str, Any] = {}
        for part in combination:
            kwargs.update(part)
        yield kwargs


def files_of_the_validation_tests() -> list[FileToValidate]:
    """Run the validation tests' functions and record every file they validate (with the
    sender they declare) when they use the defaults (no custom reference or limit)."""
    import expectations.validate as validate_module

    real = validate_module.validate_bytes
    recorded: list[FileToValidate] = []

    def recorder(content: bytes, filename: str, **kwargs: Any) -> Any:
        if not {k for k, v in kwargs.items() if v is not None} - {"sender_chu"}:
            recorded.append(FileToValidate(content, filename, kwargs.get("sender_chu")))
        return real(content, filename, **kwargs)

    modules = [importlib.import_module(name) for name in _PATCHED]
    saved = [getattr(m, "validate_bytes", None) for m in modules]
    try:
        for module in modules:
            if hasattr(module, "validate_bytes"):
                module.validate_bytes = recorder
        for name in RECORDED_MODULES:
            module = importlib.import_module(name)
            for attribute, function in vars(module).items():
                if not attribute.startswith("test_") or not callable(function):
                    continue
                if "speed" in attribute:
                    continue  # a timing guard, not a file
                for kwargs in _calls(function):
                    function(**kwargs)
    finally:
        for module, original in zip(modules, saved, strict=True):
            if original is not None:
                module.validate_bytes = original
    return recorded


def sample_files() -> list[FileToValidate]:
    """Every file of data/sample, half of them with their folder's CHU as sender."""
    files = []
    for i, path in enumerate(sorted(SAMPLE_DIR.rglob("*.csv"))):
        sender = path.parent.name if i % 2 == 0 else None
        files.append(FileToValidate(path.read_bytes(), path.name, sender))
    return files


# --------------------------------------------------------------------------- hostile files


def fill_to_limit(header: bytes, row: bytes, limit: int = LIMIT) -> tuple[bytes, int]:
    """``header`` then as many ``row`` as fit under ``limit`` bytes, and their count."""
    count = (limit - len(header)) // len(row)
    return header + row * count, count


def million_tiny_rows() -> tuple[bytes, int]:
    """A maturite header, then rows « 1;1;1;1 » up to the limit (1.3 million rows)."""
    return fill_to_limit(b"chu;annee;mesure_id;niveau\n", b"1;1;1;1\n")


def distinct_rows(limit: int = LIMIT) -> tuple[bytes, int]:
    """Rows that are all different (« FES;2025;M<n>;1 »): no two alike to share a check."""
    out = bytearray(b"chu;annee;mesure_id;niveau\n")
    count = 0
    while True:
        row = b"FES;2025;M%d;1\n" % count
        if len(out) + len(row) > limit:
            return bytes(out), count
        out += row
        count += 1


def wide_file(columns: int = 50_000) -> bytes:
    """A maturite header with ``columns`` unknown columns, then rows as wide, to the limit."""
    header = b"chu;annee;mesure_id;niveau;" + b";".join(b"c%d" % i for i in range(columns)) + b"\n"
    return fill_to_limit(header, b"FES;2025;X;3" + b";x" * columns + b"\n")[0]


def single_line(limit: int = LIMIT) -> tuple[bytes, int]:
    """One line of a maturite header followed by unknown columns « a », to the limit."""
    head = b"chu;annee;mesure_id;niveau"
    count = (limit - len(head)) // 2
    return head + b";a" * count, count


# Run in the child: report its own peak resident memory when it exits, whatever the exit.
_CHILD = """
import atexit, resource, runpy, sys
atexit.register(lambda: sys.stderr.write(
    "\\nPEAK_RSS_KIB=%d\\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
sys.argv = ["chu-bench"] + sys.argv[1:]
runpy.run_module("pipelines.cli", run_name="__main__")
"""


def run_validate(
    path: Path,
    *extra: str,
    env_listed: int | None = None,
    json_output: bool = True,
    timeout: float = 900,
) -> tuple[int, str, int]:
    """``chu-bench validate [--json] PATH`` in a fresh process: exit code, stdout, and the
    process's own peak resident memory in bytes. ``env_listed`` sets the findings listed
    per rule. The timeout is only a guard against a hang, never a speed assertion."""
    flags = ["--json"] if json_output else []
    return run_cli("validate", *flags, str(path), *extra, env_listed=env_listed, timeout=timeout)


def run_cli(
    *args: str, env_listed: int | None = None, timeout: float = 900
) -> tuple[int, str, int]:
    """``chu-bench ARGS`` in a fresh process: exit code, stdout, and the process's own peak
    resident memory in bytes (no traceback allowed on stderr)."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    if env_listed is not None:
        env["CHU_BENCH_MAX_LISTED"] = str(env_listed)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        capture_output=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=timeout,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    peak = next(
        int(line.split("=", 1)[1])
        for line in stderr.splitlines()
        if line.startswith("PEAK_RSS_KIB=")
    )
    assert "Traceback" not in stderr, stderr[-2000:]
    return done.returncode, done.stdout.decode("utf-8"), peak * 1024
