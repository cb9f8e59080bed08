"""kapstan.proc: the limits every external program runs under."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

from kapstan import proc

PY = sys.executable


def run(*argv: str, **kw: object) -> proc.Completed:
    return asyncio.run(proc.run(list(argv), **kw))  # type: ignore[arg-type]


def test_stdout_is_returned_and_stdin_fed() -> None:
    done = run(PY, "-c", "import sys; print(sys.stdin.read().upper())", stdin=b"hello")
    assert done.stdout == b"HELLO\n"


def test_hanging_program_is_killed_at_the_timeout() -> None:
    start = time.monotonic()
    with pytest.raises(proc.ProcessTimeout, match=r"timed out after 0\.5s"):
        run(PY, "-c", "import time; time.sleep(60)", timeout=0.5)
    assert time.monotonic() - start < 10


def test_output_over_the_cap_kills_the_program() -> None:
    script = "import sys\nwhile True: sys.stdout.write('x' * 65536)"
    with pytest.raises(proc.OutputTooLarge, match="exceeded 1048576 bytes"):
        run(PY, "-c", script, max_output=1 << 20)


def test_failure_message_is_redacted() -> None:
    script = (
        "import sys; sys.stderr.write('fatal: auth failed for https://bob:s3cr3t@host/r\\n');"
        "sys.exit(128)"
    )
    with pytest.raises(proc.ProcessFailed) as failed:
        run(PY, "-c", script, redact=["s3cr3t"])
    assert "s3cr3t" not in str(failed.value)
    assert "s3cr3t" not in failed.value.stderr
    assert "***" in str(failed.value)
    assert failed.value.returncode == 128


def test_environment_is_an_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAPSTAN_TEST_SECRET", "leak")
    script = "import os; print(os.environ.get('KAPSTAN_TEST_SECRET'), os.environ.get('GIVEN'))"
    assert run(PY, "-c", script, env={"GIVEN": "yes"}).stdout == b"None yes\n"
    assert "PATH" in os.environ


def test_missing_program_is_a_clear_error() -> None:
    with pytest.raises(proc.ProcessError, match="program not found"):
        run("/nonexistent/tool")
