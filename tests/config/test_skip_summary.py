"""The test run says why tests were skipped (the deeper runs need --run-slow)."""

from types import SimpleNamespace

from tests.conftest import pytest_terminal_summary


class Reporter:
    def __init__(self, skipped):
        self.stats = {"skipped": skipped}
        self.lines = []

    def section(self, title):
        self.lines.append(f"== {title}")

    def write_line(self, line):
        self.lines.append(line)


def test_skipped_tests_are_counted_by_reason():
    slow = SimpleNamespace(longrepr=("x.py", 1, "Skipped: deeper run: pass --run-slow"))
    other = SimpleNamespace(longrepr=("y.py", 2, "Skipped: something else"))
    reporter = Reporter([slow, slow, other])
    pytest_terminal_summary(reporter, 0, None)
    assert reporter.lines == [
        "== skipped tests, and why",
        "    2  deeper run: pass --run-slow",
        "    1  something else",
    ]


def test_nothing_said_when_nothing_skipped():
    reporter = Reporter([])
    pytest_terminal_summary(reporter, 0, None)
    assert reporter.lines == []
