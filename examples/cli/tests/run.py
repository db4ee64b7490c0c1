"""Run the CLI suite: one line per test, then "N passed, N failed[, N skipped]".

    python3 tests/run.py [-k PATTERN] [test_module ...]

Every test runs under a watchdog (TEST_TIMEOUT_S): a test that hangs prints its stack and the
run exits non-zero. Exit status 0 when nothing failed.
"""
from __future__ import annotations

import argparse
import faulthandler
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_TIMEOUT_S = 90        # per test; each CLI run inside has its own, shorter timeout


class LineResult(unittest.TestResult):
    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.out = stream
        self.passed = 0
        self.failed_names = []      # type: list
        self.skipped_count = 0
        self._t0 = 0.0

    def _line(self, tag: str, test: unittest.TestCase, extra: str = "") -> None:
        started = isinstance(test, unittest.TestCase)      # not a class-level skip or error
        ms = f" ({(time.monotonic() - self._t0) * 1000:.0f} ms)" if started else ""
        self.out.write(f"{tag:<6}{test.id()}{ms}{extra}\n")
        self.out.flush()

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self._t0 = time.monotonic()
        faulthandler.dump_traceback_later(TEST_TIMEOUT_S, exit=True)

    def stopTest(self, test: unittest.TestCase) -> None:
        faulthandler.cancel_dump_traceback_later()
        super().stopTest(test)

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        self.passed += 1
        self._line("ok", test)

    def addFailure(self, test, err) -> None:  # type: ignore[no-untyped-def]
        super().addFailure(test, err)
        self.failed_names.append(test.id())
        self._line("FAIL", test)

    def addError(self, test, err) -> None:  # type: ignore[no-untyped-def]
        super().addError(test, err)
        self.failed_names.append(test.id())
        self._line("ERROR", test)

    def addSubTest(self, test, subtest, err) -> None:  # type: ignore[no-untyped-def]
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.failed_names.append(test.id())        # the test counts once
            self.out.write(f"FAIL  {subtest.id()}\n")

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        super().addSkip(test, reason)
        self.skipped_count += 1
        self._line("skip", test, f": {reason}")

    def addExpectedFailure(self, test, err) -> None:  # type: ignore[no-untyped-def]
        super().addExpectedFailure(test, err)
        self.skipped_count += 1
        self._line("xfail", test, ": expected failure")

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        super().addUnexpectedSuccess(test)
        self.failed_names.append(test.id())
        self._line("XPASS", test, ": passes now; remove @expectedFailure")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="patterns", action="append", default=None,
                    help="only tests whose name contains this (unittest -k)")
    ap.add_argument("modules", nargs="*", help="test modules (default: tests/test_*.py)")
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [p if "*" in p else f"*{p}*" for p in args.patterns]
    if args.modules:
        suite = loader.loadTestsFromNames([os.path.basename(m)[:-3] if m.endswith(".py") else m
                                           for m in args.modules])
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = LineResult(sys.stdout)
    suite.run(result)
    for test, trace in result.errors + result.failures:
        sys.stdout.write(f"\n==== {test.id()}\n{trace}")
    failed = len(set(result.failed_names))
    summary = f"{result.passed} passed, {failed} failed"
    if result.skipped_count:
        summary += f", {result.skipped_count} skipped"
    sys.stdout.write(("\n" if result.errors or result.failures else "") + summary + "\n")
    nothing_ran = result.testsRun == 0 and result.skipped_count == 0
    return 0 if failed == 0 and not nothing_ran else 1


if __name__ == "__main__":
    sys.exit(main())
