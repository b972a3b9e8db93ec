"""The type stubs (_core.pyi, py.typed) match the runtime module (mypy.stubtest) and type-check
ordinary use of the API."""
import os
import subprocess
import sys
import textwrap

import pytest


def _mypy_available():
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.fail("mypy is not installed: pip install -r tests/python/requirements.txt")


def test_stubs_match_the_runtime(tmp_path):
    _mypy_available()
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", "ruddercore"], capture_output=True,
                       text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_typical_code_type_checks(tmp_path):
    _mypy_available()
    src = tmp_path / "usage.py"
    src.write_text(textwrap.dedent("""
        import datetime
        import ruddercore
        import ruddercore.analytics as rudder_analytics

        def on_error(e: ruddercore.Error, events: list) -> None:
            print(e.code, e.name, len(events))

        with ruddercore.Client("wk", "http://127.0.0.1:1", flush_at=50, on_error=on_error) as c:
            mid: str = c.track("u", "E", {"a": 1}, timestamp=datetime.datetime.now())
            left: int = c.flush(timeout=1.5)
            n: int = len(c)
            stats: dict = c.stats()
        d = ruddercore.Destination({"settings": {}}, fns={"f": lambda v, ctx: v})
        d.push({"name": "a b"})
        calls = d.map('{"name": "a b"}')
        rudder_analytics.write_key = "wk"
        rudder_analytics.dataPlaneUrl = "http://127.0.0.1:1"
        rudder_analytics.track("u", "E")
        rudder_analytics.flush()
    """))
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                        "--allow-untyped-calls", "--allow-any-generics",
                        "--allow-untyped-defs", str(src)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
