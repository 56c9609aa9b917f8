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


class Outcomes(unittest.TestCase):
    """Every outcome the harness reports has every field the parent reads."""

    def test_a_run_a_skip_and_a_timeout_have_the_same_fields(self):
        hooks = harness.Hooks(lambda line: None)
        example = {"code": "print(1)  # 1\n", "first_line": 3, "session": False,
                   "claim_lines": [3], "spans": True, "timeout": 5.0}
        ran = harness.run_example(example, GUIDE, {"__builtins__": __builtins__}, 1 << 20, hooks)
        fields = set(harness.outcome())
        self.assertEqual(set(ran), fields)
        self.assertEqual(set(harness.outcome(skipped=True)), fields)
        self.assertEqual(ran["statements"], [[3, 3]])
        self.assertEqual(ran["writes"], [{"s": "out", "t": "1\n", "l": [3]}])

    def test_without_claims_about_statements_no_spans_are_taken(self):
        hooks = harness.Hooks(lambda line: None)
        example = {"code": "x = 1\n", "first_line": 1, "session": False,
                   "claim_lines": [], "spans": False, "timeout": 5.0}
        ran = harness.run_example(example, GUIDE, {"__builtins__": __builtins__}, 1 << 20, hooks)
        self.assertEqual(ran["statements"], [])
        self.assertIsNone(ran["error"])


class Scan(unittest.TestCase):
    """One pass over an example's statements gives what ast.walk gave."""

    SOURCE = (
        "import os\n"
        "def f(x):\n"
        '    """>>> f(1)\n    2\n    """\n'
        "    return x + 1\n"
        "try:\n"
        "    y = f(1)  # 2\n"
        "except ValueError:\n"
        "    pass\n"
        "else:\n"
        "    y += 1  # 3\n"
        "finally:\n"
        "    z = [1]\n"
        "for i in range(2): print(i)  # 0, 1\n"
        "match y:\n"
        "    case 3:\n"
        "        w = 'three'  # 'three'\n"
        "z[0] = 5  # [5]\n"
        "class C:\n"
        '    """no prompts here"""\n'
        "    a = 1; b = 2\n"
        "with open(os.devnull) as fh: fh.read()\n"
        "async def g():\n"
        "    async with h: pass\n"
    )

    def test_statement_spans_match_ast_walk_outermost_first(self):
        import ast

        import snipcheck_repl as repl

        tree = ast.parse(self.SOURCE)
        expected = [[n.lineno, n.end_lineno] for n in ast.walk(tree) if isinstance(n, ast.stmt)]
        scan = repl.Scan(ast.parse(self.SOURCE), [], [])
        self.assertEqual(sorted(scan.statements), sorted(expected))
        # Outermost first: a statement comes after every statement holding it.
        for i, (first, last) in enumerate(scan.statements):
            for outer_first, outer_last in scan.statements[i + 1:]:
                holds = outer_first <= first and last <= outer_last
                self.assertFalse(holds and (outer_first, outer_last) != (first, last))

    def test_docstrings_with_prompts_only(self):
        import ast

        import snipcheck_repl as repl

        scan = repl.Scan(ast.parse(self.SOURCE), [], [])
        self.assertEqual([line for line, _ in scan.docstrings], [3])

    def test_claimed_values_are_probed_in_nested_blocks(self):
        import ast

        import snipcheck_repl as repl

        values = []
        scan = repl.Scan(ast.parse(self.SOURCE), [8, 12, 18, 19], values)
        namespace = {"__builtins__": __builtins__}
        exec(compile(scan.tree, "<scan>", "exec"), namespace)
        self.assertEqual(values, [[8, "2", True], [12, "3", True], [18, "'three'", True],
                                  [19, "[5]", True]])


class NewerSyntax(unittest.TestCase):
    """Each newer construct is recognised on its line, for CPythons older
    than the one that added it, and nothing else is."""

    def test_each_construct_names_the_version_that_reads_it(self):
        import snipcheck_newer as newer

        cases = {
            "class Box[T]: ...": (3, 12),
            "async def fetch[T](x: T) -> T:": (3, 12),
            "type Pair = tuple[int, int]": (3, 12),
            "type Tree[T] = list[Tree[T]]": (3, 12),
            'print(f"{songs["title"]}")': (3, 12),
            "print(f'{\"\\n\".join(xs)}')": (3, 12),
            "class Grid[T = int]: pass": (3, 13),
            'greeting = t"Hi {name}"': (3, 14),
            "except ValueError, TypeError:": (3, 14),
            "except* OSError:": (3, 11),
            "match command.split():": (3, 10),
        }
        for line, version in cases.items():
            with self.subTest(line=line):
                self.assertEqual(newer.needed(line, (3, 9))[0], version)
                self.assertIsNone(newer.needed(line, version))

    def test_code_of_no_python_is_not_recognised(self):
        import snipcheck_newer as newer

        for line in ('print "hi"', "x = [1, 2", "type = 3", "match = re.match(p, s)",
                     "except (A, B) as e:", 'f"{x!r}"', "d[f\"{a}\"]", "class A(B): pass",
                     "f\"{'{'}\" + (", "t = 'x'"):
            with self.subTest(line=line):
                self.assertIsNone(newer.needed(line, (3, 9)))


class Exports(unittest.TestCase):
    """Which module exports a name, read from its source."""

    def test_all_decides_else_public_top_level_names(self):
        import os
        import tempfile

        import snipcheck_exports as exports

        with tempfile.TemporaryDirectory() as folder:
            os.makedirs(os.path.join(folder, "pkg"))
            with open(os.path.join(folder, "pkg", "__init__.py"), "w") as f:
                f.write("from .core import Converter, Hidden\n__all__ = ['Converter']\n")
            with open(os.path.join(folder, "loose.py"), "w") as f:
                f.write("class Widget: ...\ndef _private(): ...\nLIMIT: int = 3\n")
            self.assertEqual(exports.module_exporting("Converter", [folder]),
                             "from pkg import Converter")
            self.assertIsNone(exports.module_exporting("Hidden", [folder]))
            self.assertEqual(exports.module_exporting("LIMIT", [folder]), "from loose import LIMIT")
            self.assertIsNone(exports.module_exporting("_private", [folder]))

    def test_a_module_is_parsed_only_if_its_text_could_define_the_name(self):
        import snipcheck_exports as exports

        source = b"""\
\"\"\"Docs mention Hidden and Inner.\"\"\"
from .core import (
    Loader,  # the reader
    Writer as Saver,
)
from .io import \\
    Stream
import json as codec
x = 1; LIMIT: int = 3
first = second = 0
(paren) = 4
__all__ = ["Listed"]
@decorator
class Widget(Base):
    inner = 1
    def method(self): ...
async def fetch(): ...
if True:
    Indented = 2
value.attribute = 5
flag == 1
"""
        defined = ["Loader", "Saver", "Stream", "LIMIT", "first", "second",
                   "paren", "Listed", "Widget", "fetch"]
        for name in defined:
            with self.subTest(name=name):
                self.assertTrue(exports.may_export(name, source))
        # In a docstring, nested, indented, an attribute, compared, a longer
        # name's part, a decorator, a base class, `import ... as`: nothing
        # `read_exports` counts defines them. (A name renamed on import
        # passes: the check may let through what the parse then rules out,
        # never the reverse.)
        for name in ["Hidden", "Inner", "inner", "method", "Indented", "attribute", "flag",
                     "Widge", "decorator", "Base", "codec"]:
            with self.subTest(name=name):
                self.assertFalse(exports.may_export(name, source))

    def test_what_the_text_rules_in_is_all_the_parse_finds(self):
        """`may_export` is a necessary condition: every name the parse says
        a standard module exports passes it."""
        import glob
        import os

        import snipcheck_exports as exports

        folder = os.path.dirname(os.__file__)
        for path in sorted(glob.glob(os.path.join(folder, "*.py")))[:80]:
            with open(path, "rb") as f:
                source = f.read()
            for name in exports.read_exports(source, path):
                with self.subTest(path=path, name=name):
                    self.assertTrue(exports.may_export(name, source))

    def test_a_changed_module_is_read_again(self):
        import os
        import tempfile

        import snipcheck_exports as exports

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "mod.py")
            with open(path, "w") as f:
                f.write("def old(): ...\n")
            self.assertEqual(exports.module_exporting("old", [folder]), "from mod import old")
            with open(path, "w") as f:
                f.write("def new_name(): ...\n")
            os.utime(path, ns=(1, 1))  # a different stamp even within the clock's tick
            self.assertIsNone(exports.module_exporting("old", [folder]))
            self.assertEqual(exports.module_exporting("new_name", [folder]),
                             "from mod import new_name")
            with open(os.path.join(folder, "added.py"), "w") as f:
                f.write("ADDED = 1\n")
            os.utime(folder, ns=(2, 2))
            self.assertEqual(exports.module_exporting("ADDED", [folder]), "from added import ADDED")

    def test_a_standard_module_is_imported_only_if_it_could_export_the_name(self):
        import snipcheck_exports as exports

        self.assertTrue(exports.may_be_public("sys", "anything"))  # imported already
        self.assertTrue(exports.may_be_public("fractions", "Fraction"))
        self.assertFalse(exports.may_be_public("fractions", "portfolio_cost"))

    def test_typing_has_no_public_t(self):
        import typing

        import snipcheck_exports as exports

        self.assertFalse(exports.public_in(typing, "T"))
        self.assertTrue(exports.public_in(typing, "Any"))


class GuideLines(unittest.TestCase):
    """Code compiled where it stands and moved to its guide line gives the
    same lines as code padded down to it, and what quotes a line (an error,
    a warning) still comes from the padded text."""

    SOURCE = ("def f(x):\n    return 1 / x\n\nclass A:\n    def m(self):\n"
              "        return [1 / i for i in range(2)]\n\nf(0)\n")

    @staticmethod
    def lines(code):
        """(name, positions) of `code` and the code in it; the first
        instruction aside (a module's starts at line 0 when padded)."""
        out = [(code.co_name, list(code.co_positions())[1:])]
        for const in code.co_consts:
            if hasattr(const, "co_positions"):
                out += GuideLines.lines(const)
        return out

    def test_moved_code_has_the_padded_codes_lines(self):
        import snipcheck_repl as repl

        for line in (1, 2, 3000):
            with self.subTest(line=line):
                moved = repl.compile_at(self.SOURCE, GUIDE, "exec", line)
                padded = compile("\n" * (line - 1) + self.SOURCE, GUIDE, "exec")
                self.assertEqual(self.lines(moved), self.lines(padded))
                try:
                    exec(moved, {})
                except ZeroDivisionError as exc:
                    tb = exc.__traceback__
                while tb.tb_next:
                    tb = tb.tb_next
                self.assertEqual(tb.tb_lineno, line + 1)

    def test_errors_and_shown_warnings_quote_the_guide_line(self):
        import warnings

        import snipcheck_repl as repl

        with self.assertRaises(SyntaxError) as raised:
            repl.compile_at("x = 1\ny = (\n", GUIDE, "exec", 40)
        self.assertEqual(raised.exception.lineno, 41)
        with warnings.catch_warnings(record=True) as shown:
            warnings.simplefilter("always")
            repl.compile_at("x = 1\ny = x is 1\n", GUIDE, "exec", 70)
        self.assertEqual([w.lineno for w in shown], [71])

    def test_a_tree_far_down_the_guide_is_moved_not_padded(self):
        import ast

        tree = harness.parse(self.SOURCE, GUIDE, harness.PAD_LIMIT + 5)
        padded = ast.parse("\n" * (harness.PAD_LIMIT + 4) + self.SOURCE, GUIDE)
        self.assertEqual(ast.dump(tree, include_attributes=True),
                         ast.dump(padded, include_attributes=True))


class Loading(unittest.TestCase):
    """What a document's process does before its go."""

    def load(self, rehearsal):
        import json
        import tempfile
        from unittest import mock

        rehearsed = []
        request = {"path": "<loading>", "source": "", "cwd": tempfile.mkdtemp(), "examples": [],
                   "config": {"network": {}, "input": [], "fixtures": {}}}
        with mock.patch.object(harness, "rehearse", lambda: rehearsed.append(True)), \
                mock.patch.object(harness, "use_environment", lambda config: None):
            harness.load_document(json.dumps(request), False, rehearsal)
        return rehearsed

    def test_the_rehearsal_runs_only_when_asked_for(self):
        self.assertEqual(self.load(True), [True])
        self.assertEqual(self.load(False), [])


class Rehearsal(unittest.TestCase):
    """The harness's own example, run while a document's process waits for
    its go, leaves nothing behind that the document could see."""

    def test_it_leaves_the_process_as_it_found_it(self):
        import doctest  # noqa: F401 - so that the `>>>` rehearsal runs too
        import os
        import threading

        before = (sys.stdout, sys.stderr, os.getcwd(), set(sys.modules),
                  threading.active_count(), sys.displayhook, dict(vars(sys.modules["builtins"])))
        harness.rehearse()
        after = (sys.stdout, sys.stderr, os.getcwd(), set(sys.modules),
                 threading.active_count(), sys.displayhook, dict(vars(sys.modules["builtins"])))
        self.assertEqual(before, after)

    def test_its_examples_run_as_a_document_example_does(self):
        hooks = harness.Hooks(lambda line: None)
        ran = harness.run_example(dict(harness.REHEARSAL), "<rehearsal>", {}, 1 << 10, hooks)
        self.assertIsNone(ran["error"])
        self.assertEqual([w["t"] for w in ran["writes"]], ["[1]\n"])
        ran = harness.run_example(dict(harness.REHEARSAL_DOCTEST), "<rehearsal>", {}, 1 << 10, hooks)
        self.assertEqual([d["verdict"] for d in ran["doctests"]], ["holds"])
