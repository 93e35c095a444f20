"""healthaid.stack.serve_until_ctrl_c: what `make run` and `make run-production` share."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from healthaid import stack
from healthaid.stack import StackError, serve_until_ctrl_c


def test_a_stack_that_cannot_start_says_why_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    @contextmanager
    def failing() -> Iterator[None]:
        raise StackError("port 8000 is taken")
        yield

    assert serve_until_ctrl_c(failing(), lambda: "never shown") == 1
    out = capsys.readouterr()
    assert out.err.strip() == "healthaid could not start: port 8000 is taken"
    assert "never shown" not in out.out


def test_ctrl_c_stops_what_was_started(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    events: list[str] = []

    @contextmanager
    def running() -> Iterator[None]:
        events.append("started")
        try:
            yield
        finally:
            events.append("stopped")

    def ctrl_c() -> None:
        events.append("waiting")
        raise KeyboardInterrupt

    monkeypatch.setattr(stack, "wait_for_ctrl_c", ctrl_c)
    assert serve_until_ctrl_c(running(), lambda: "healthaid is running") == 0
    assert events == ["started", "waiting", "stopped"]
    assert capsys.readouterr().out.splitlines() == ["healthaid is running", "stopped."]
