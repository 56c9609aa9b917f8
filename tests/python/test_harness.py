"""Unit tests of the Python side (`src/run/*.py`), run by tests/harness.rs
inside the embedded interpreter, with the harness modules loaded as the
worker loads them."""

import sys
import unittest

import snipcheck_harness as harness

GUIDE = "/docs/guide.md"


def guide_code(source, first_line):
    """Code compiled as if it stood at `first_line` of the guide."""
    namespace = {}
    exec(compile("\n" * (first_line - 1) + source, GUIDE, "exec"), namespace)
    return namespace


class WriteAttribution(unittest.TestCase):
    """Every write carries every guide line on the call stack."""

    def capture(self, body, limit=1 << 20):
        recorder = harness.Recorder(GUIDE, limit)
        saved = sys.stdout
        sys.stdout = harness.CaptureStream(recorder, "out")
        try:
            body()
        finally:
            sys.stdout = saved
        return recorder

    def test_a_print_inside_a_guide_function_names_both_lines(self):
        ns = guide_code("def greet(name):\n    print('Hi', name)\n", 10)
        caller = guide_code("def call(greet):\n    greet('Al')\n", 20)
        recorder = self.capture(lambda: caller["call"](ns["greet"]))
        self.assertEqual(recorder.writes, [{"s": "out", "t": "Hi Al\n", "l": [11, 21]}])

    def test_value_and_newline_of_one_print_are_one_write(self):
        ns = guide_code("def show():\n    print(1)\n    print(2)\n", 5)
        recorder = self.capture(ns["show"])
        self.assertEqual([w["t"] for w in recorder.writes], ["1\n", "2\n"])
        self.assertEqual([w["l"] for w in recorder.writes], [[6], [7]])

    def test_writes_from_outside_the_guide_have_no_guide_line(self):
        recorder = self.capture(lambda: print("library"))
        self.assertEqual(recorder.writes, [{"s": "out", "t": "library\n", "l": []}])

    def test_output_past_the_limit_is_cut_and_said(self):
        recorder = self.capture(lambda: print("x" * 10), limit=4)
        self.assertEqual(recorder.stdout_since(0), "xxxx")
        self.assertTrue(recorder.truncated)

    def test_stdout_since_a_mark(self):
        recorder = self.capture(lambda: (print("a"), print("b")))
        self.assertEqual(recorder.stdout_since(2), "b\n")


class Clock(unittest.TestCase):
    """One virtual clock behind time and datetime."""

    def test_sleep_advances_every_reading_together(self):
        import datetime
        import time

        harness.CLOCK.reset("2024-01-15T14:30:45")
        start = time.monotonic()
        time.sleep(90)
        self.assertEqual(time.monotonic() - start, 90)
        self.assertEqual(str(datetime.datetime.now()), "2024-01-15 14:32:15")
        self.assertEqual(time.strftime("%H:%M:%S"), "14:32:15")
        self.assertEqual(repr(datetime.date.today()), "datetime.date(2024, 1, 15)")


class ReplTracebacks(unittest.TestCase):
    """Exceptions as a REPL transcript shows them."""

    def test_a_syntax_error_without_a_traceback_header(self):
        import snipcheck_repl as repl

        want = 'File "<stdin>", line 1\n    a := "x"\n      ^^\nSyntaxError: invalid syntax\n'
        self.assertEqual(repl.traceback_tail(want), "SyntaxError: invalid syntax\n")
        self.assertIsNone(repl.traceback_tail("'just a value'\n"))
