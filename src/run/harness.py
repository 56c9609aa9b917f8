"""snipcheck's harness: runs a document's examples inside the embedded CPython.

Loaded once per interpreter from Rust (`include_str!`). Rust sends one JSON
request per document and gets back one JSON outcome: the facts of the run
(what was written, from which guide lines, which statements exist, what
raised). Judging those facts against the guide's claims happens in Rust.

Everything here is about making a guide's examples run as its reader imagines:
top to bottom in one namespace, instantly (a virtual clock), offline (a stubbed
network), and deterministically (seeded random, fixed hash seed, fed input).
"""

import ast
import builtins
import contextlib
import io
import json
import linecache
import os
import random
import re
import signal
import sys
import threading
import time
import traceback
import types

import snipcheck_exports as exports
import snipcheck_newer as newer
import snipcheck_repl as repl
from snipcheck_clock import CLOCK
from snipcheck_network import NETWORK

# asyncio, urllib.request, http.client and unittest.mock are heavy to import
# and many guides never use them: they are patched when imported (see
# `after_import`), and the worker preloads those its documents mention.

# --- capture ---------------------------------------------------------------


class Recorder:
    """Every write, with the guide lines on the call stack when it happened.

    Attributing a write to *every* guide frame on the stack is what lets
    `greet("Al")  # Hi Al` see the print inside `greet`, and `print(n)  # 1, 2`
    inside a loop see each iteration.
    """

    def __init__(self, path, limit, below=None):
        self.path = path
        self.limit = limit
        # The code of the harness's frame every example runs above: the walk
        # stops there (going on would make a frame object of each below it).
        self.below = below
        self.size = 0
        self.truncated = False
        self.writes = []
        self.stdout_parts = []

    def mark(self):
        return len(self.stdout_parts)

    def stdout_since(self, mark):
        return "".join(self.stdout_parts[mark:])

    def record(self, stream, text):
        if not text:
            return
        if self.size + len(text) > self.limit:
            text = text[: max(0, self.limit - self.size)]
            self.truncated = True
            if not text:
                return
        self.size += len(text)
        if stream == "out":
            self.stdout_parts.append(text)
        lines = []
        frame, path, below = sys._getframe(2), self.path, self.below
        while frame is not None:
            code = frame.f_code
            if code is below:
                break
            if code.co_filename == path:
                lines.append(frame.f_lineno)
            frame = frame.f_back
        last = self.writes[-1] if self.writes else None
        # print() writes the value and the newline separately: merge them.
        if last is not None and last["s"] == stream and last["l"] == lines:
            last["t"] += text
        else:
            self.writes.append({"s": stream, "t": text, "l": lines})


class CaptureStream(io.TextIOBase):
    """Stands in for sys.stdout / sys.stderr during an example."""

    def __init__(self, recorder, stream):
        self._recorder = recorder
        self._stream = stream

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        # Past the limit nothing more is kept (see `Recorder.record`): an
        # example printing millions of lines pays a test per write, not a call.
        if not self._recorder.truncated:
            self._recorder.record(self._stream, text)
        return len(text)

    def writable(self):
        return True

    def isatty(self):
        return False

    @property
    def encoding(self):
        return "utf-8"

    def fileno(self):
        raise io.UnsupportedOperation("snipcheck captures this stream: no file descriptor")


# --- patching modules as they are imported ----------------------------------

PENDING = {}


class PatchOnImport:
    """A meta path finder (duck-typed: importlib.abc costs 25 ms to import)
    that runs the patch registered for a module right after it executes."""

    def find_spec(self, name, path, target=None):
        if name not in PENDING:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        patch, execute = PENDING.pop(name), spec.loader.exec_module

        def exec_module(module):
            execute(module)
            patch(module)

        spec.loader.exec_module = exec_module
        return spec


def after_import(name, patch):
    """`patch(module)` once `name` is imported: now, if it already is."""
    if name in sys.modules:
        patch(sys.modules[name])
    else:
        PENDING[name] = patch


sys.meta_path.insert(0, PatchOnImport())


# Standard modules whose import does something a reader would see (prints
# the Zen, opens a browser, wants a display): never imported ahead.
EFFECTFUL = {"this", "antigravity", "__hello__", "__phello__", "idlelib", "turtle",
             "turtledemo", "tkinter", "test", "__main__", "site", "sitecustomize"}


def preload(names):
    """Imports (and so patches) modules before the worker forks, so that each
    document's child finds them imported: a fork copies them for free, an
    import per document costs milliseconds.

    Only standard-library modules: the worker is outside the sandbox, and a
    package from the user's project is document code. And only those that
    import quietly: one that prints or warns (a deprecated module) is taken
    back out, so that the example still sees what a reader would.
    """
    import gc
    import warnings

    for name in names:
        top = name.partition(".")[0]
        if top in EFFECTFUL or top not in sys.stdlib_module_names or name in sys.modules:
            continue
        before, pending = set(sys.modules), dict(PENDING)
        said = io.StringIO()
        with warnings.catch_warnings(record=True) as warned, \
                contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            warnings.simplefilter("always")
            try:
                __import__(name)
            except Exception:  # noqa: BLE001 - not importable here: the example will say so
                warned.append(None)
        if warned or said.getvalue():
            for added in set(sys.modules) - before:
                del sys.modules[added]
            PENDING.update(pending)  # patches to apply when imported for real
    # What the worker holds is shared with every child until written to; a
    # full collection in a child would write to all of it (copy on write).
    gc.freeze()


# --- input -----------------------------------------------------------------


class Input:
    """`input()` fed from the config; never blocks."""

    def __init__(self):
        self.lines = []

    def __call__(self, prompt=""):
        sys.stdout.write(str(prompt))
        if not self.lines:
            error = EOFError("input() has nothing to read (declare [run] input in snipcheck.toml)")
            error.snipcheck_input_exhausted = True  # the EOFError input() raises, marked
            raise error
        line = self.lines.pop(0)
        sys.stdout.write(line + "\n")
        return line


INPUT = Input()


# --- processes -------------------------------------------------------------


def no_processes(*args, **kwargs):
    raise PermissionError("snipcheck's sandbox refused it: examples may not start processes "
                          "(subprocess, fork, exec); --no-sandbox lets them")


class NoPopen:
    def __init__(self, *args, **kwargs):
        no_processes()


# The process calls the sandbox's stand-ins replaced, with what they replaced.
BLOCKED = {}


def block_processes():
    """A guide example has no business forking: a fork bomb stops here."""
    if BLOCKED:
        return
    import subprocess

    calls = [(os, name, no_processes) for name in (
        "fork", "forkpty", "system", "popen", "posix_spawn", "posix_spawnp",
        "execv", "execve", "execl", "execle", "execlp", "execlpe", "execvp", "execvpe",
        "spawnv", "spawnve", "spawnl", "spawnle", "spawnlp", "spawnvp") if hasattr(os, name)]
    calls.append((subprocess, "Popen", NoPopen))
    calls += [(subprocess, name, no_processes) for name in (
        "run", "call", "check_call", "check_output", "getoutput", "getstatusoutput")]
    for module, name, stand_in in calls:
        BLOCKED[module, name] = getattr(module, name)
        setattr(module, name, stand_in)


def allow_processes():
    """Undoes `block_processes`: without the sandbox, examples may start them."""
    for (module, name), original in BLOCKED.items():
        setattr(module, name, original)
    BLOCKED.clear()


def prepare_child():
    """What a document's process does while it waits for its job (the
    worker forks it ahead, while another document runs): nothing in it
    depends on the job."""
    block_processes()


def home_in(workdir):
    """`HOME` and `TMPDIR` are the document's working directory: `~` holds
    no secrets. `tempfile`, if imported, reads TMPDIR no more."""
    os.environ["HOME"] = os.environ["TMPDIR"] = workdir
    if "tempfile" in sys.modules:
        sys.modules["tempfile"].tempdir = workdir


# --- running ---------------------------------------------------------------


class ExampleTimeout(BaseException):
    """Raised into an example that ran past its time limit.

    A BaseException, so `except Exception` does not swallow it; the watchdog
    raises it again every few milliseconds, so `except BaseException` in a
    retry loop cannot hold it off either.
    """


class ConfigError(Exception):
    """The config asks for something that cannot be set up; reported as bad input."""


class Hooks:
    """What the host (Rust) provides: where events go and the watchdog."""

    def __init__(self, emit, arm=None, disarm=None, interrupt=None):
        self.emit = emit
        self.arm = arm or (lambda seconds, thread_id: None)
        self.disarm = disarm or (lambda: None)
        self.interrupt = interrupt or (lambda thread_id: None)


def install_once():
    CLOCK.install(after_import)
    NETWORK.install(after_import)
    builtins.input = INPUT


def error_info(exc, path):
    tb = exc.__traceback__
    line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
    if isinstance(exc, SyntaxError) and exc.filename != path:
        line = None
    top = None  # no line of the example ran when it did not compile
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == path:
            top = lineno if top is None else top
            line = lineno
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    errno = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    errno = errno if type(errno) is int and 0 <= errno < 1 << 16 else None  # what Rust reads
    return {"type": type(exc).__name__, "message": message, "line": line, "top_line": top,
            "traceback": text, "missing": missing_placeholder(exc), "errno": errno}


def missing_placeholder(exc):
    """What undeclared placeholder, if any, caused `exc` (or the errors it
    wraps, as `requests` wraps the network's)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        found = placeholder_of(exc)
        if found:
            return found
        exc = exc.__cause__ or exc.__context__
    return None


# Where a fragment's undefined name most often comes from: a forgotten import.
FORGOTTEN_FROM = ("typing", "dataclasses", "collections", "functools", "itertools", "pathlib",
                  "datetime", "enum", "abc", "contextlib", "decimal", "fractions")


# `[python] paths`: the project's own packages, searched first.
PROJECT_PATHS = []


def import_for(name):
    """The import a fragment forgot, if `name` is a module or a public name
    of the project's packages, of a standard module it is usually imported
    from (`from typing import Any`), or of an installed package."""
    import importlib
    import importlib.util

    try:
        if importlib.util.find_spec(name) is not None:
            return f"import {name}"
    except (ImportError, ValueError):
        pass
    if name.startswith("_"):
        return None
    found = exports.module_exporting(name, PROJECT_PATHS)
    for module in () if found else FORGOTTEN_FROM:
        if not exports.may_be_public(module, name):
            continue
        if exports.public_in(importlib.import_module(module), name):
            return f"from {module} import {name}"
    return found or exports.module_exporting(name, exports.site_folders())


def placeholder_of(exc):
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return {"kind": "module", "value": exc.name.partition(".")[0]}
    if isinstance(exc, NameError) and not isinstance(exc, UnboundLocalError) and exc.name:
        return {"kind": "name", "value": exc.name, "import": import_for(exc.name)}
    if isinstance(exc, FileNotFoundError) and isinstance(exc.filename, str):
        if not os.path.isabs(exc.filename) and ".." not in exc.filename.split(os.sep):
            return {"kind": "file", "value": exc.filename}
    if getattr(exc, "url", None) and type(exc).__name__ == "StubbedNetwork":
        return {"kind": "url", "value": exc.url}
    if getattr(exc, "snipcheck_input_exhausted", False):
        return {"kind": "input", "value": ""}
    return None


def execute(example, path, namespace, result, recorder):
    if example["session"]:
        run_session(example, path, namespace, result, recorder)
        return
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    spans = example.get("spans", True)
    if example["claim_lines"] or spans is True or ">>>" in example["code"]:
        tree = parse(example["code"], path, example["first_line"])
        scan = repl.Scan(tree, example["claim_lines"], result["values"])
        result["statements"] = scan.statements
        code, docstrings = compile(scan.tree, path, "exec", flags=flags), scan.docstrings
    else:  # nothing to learn from the tree (Rust read the spans): compile the text
        result["statements"] = spans or []
        code, docstrings = compile_newer_aware(example["code"], path, example["first_line"]), ()
    value = eval(code, namespace)
    if isinstance(value, types.CoroutineType):  # top-level await
        import asyncio

        asyncio.run(value)
    run_docstrings(docstrings, path, namespace, result)


# Past this guide line, moving a parsed tree down costs less than parsing
# the newlines that would pad the example down to its place.
PAD_LIMIT = 2000


def parse(source, path, line):
    """The example's tree, its line numbers the guide's."""
    tree = repl.unpadded(lambda: ast.parse(source, path)) if line > PAD_LIMIT else None
    if tree is not None:
        return ast.increment_lineno(tree, line - 1)
    padded = "\n" * (line - 1) + source
    try:
        return ast.parse(padded, path)
    except SyntaxError as exc:
        newer.check(exc, padded.splitlines(), 1)
        raise


def compile_newer_aware(source, path, line):
    try:
        return repl.compile_at(source, path, "exec", line)
    except SyntaxError as exc:  # from the padded text: its line is the guide's
        newer.check(exc, ("\n" * (line - 1) + source).splitlines(), 1)
        raise


def needs_newer_python(examples, first_line, path):
    """Raises NewerSyntax before a session runs if one of its examples is
    written in a newer grammar: the rest of it would fail for want of it.
    Compiles each example as it will run (`example.code`), once."""
    for example in examples:
        try:
            example.code = repl.compile_statement(example.source, path, first_line + example.lineno)
        except SyntaxError:  # where in the example, counted from its own start
            example.code = None
            try:
                compile(example.source, "<session>", "single", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            except SyntaxError as exc:
                newer.check(exc, example.source.splitlines(), first_line + example.lineno)


def run_session(example, path, namespace, result, recorder):
    """A ```pycon / `>>>` block: doctest's examples, in the shared namespace;
    what they print is the example's stdout too."""

    def capture(body):
        mark = recorder.mark()
        body()
        return recorder.stdout_since(mark)

    examples = doctest_examples(example["code"], example["first_line"], result)
    needs_newer_python(examples, example["first_line"], path)
    result["doctests"] += repl.run_examples(examples, "doctest", example["first_line"], path,
                                            namespace, capture, error_info,
                                            sphinx=example.get("sphinx", False),
                                            flags=example.get("flags") or (),
                                            defaults=example.get("default_flags"))


def run_docstrings(docstrings, path, namespace, result):
    """`>>>` examples in the docstrings an example defines, each run after it
    on a copy of the namespace (as doctest does), output kept apart."""

    def capture(body):
        aside = Recorder(path, 1 << 20)
        saved = sys.stdout
        sys.stdout = CaptureStream(aside, "out")
        try:
            body()
        finally:
            sys.stdout = saved
        return aside.stdout_since(0)

    for line, text in docstrings:
        examples = doctest_examples(text, line, result)
        result["doctests"] += repl.run_examples(examples, "docstring", line, path,
                                                dict(namespace), capture, error_info)


def doctest_examples(text, line, result):
    try:
        return repl.session_examples(text)
    except ValueError as exc:  # doctest's own complaint, e.g. bad indentation
        result["doctests"].append({"kind": "doctest", "line": line, "source": "", "lines": 0,
                                   "want": "", "got": "", "verdict": "error",
                                   "error": {"type": "ValueError", "message": str(exc),
                                             "line": line, "top_line": line, "traceback": ""}})
        return []


def run_example(example, path, namespace, limit, hooks):
    recorder = Recorder(path, limit, below=run_example.__code__)
    result = outcome(writes=recorder.writes)
    saved = sys.stdout, sys.stderr
    threads_before = threading.active_count()
    sys.stdout = CaptureStream(recorder, "out")
    sys.stderr = CaptureStream(recorder, "err")
    hooks.arm(example["timeout"], threading.get_ident())
    caught = None
    try:
        try:
            execute(example, path, namespace, result, recorder)
        finally:
            settle(hooks)
    except BaseException as exc:  # noqa: B902 - an example may raise anything
        settle(hooks)  # a late ExampleTimeout may have landed in the finally
        caught = exc
    sys.stdout, sys.stderr = saved
    judge_exception(caught, example, path, result)
    tidy_up(threads_before, hooks)
    result["truncated"] = recorder.truncated
    return result


def settle(hooks):
    """Turns the watchdog off; an ExampleTimeout raised meanwhile is moot.

    Once `disarm` has returned, nothing more is raised, so the harness code
    after it runs in peace.
    """
    while True:
        try:
            hooks.disarm()
            return
        except ExampleTimeout:
            continue


def judge_exception(exc, example, path, result):
    if exc is None or (isinstance(exc, SystemExit) and exc.code in (None, 0)):
        return
    if isinstance(exc, newer.NewerSyntax):
        result.update(skipped=True, skip_reason=exc.reason)
    elif isinstance(exc, ExampleTimeout):
        result["interrupted"] = {"kind": "timeout", "line": error_info(exc, path)["line"],
                                 "message": f"ran past its {example['timeout']:g} s time limit"}
    else:
        result["error"] = error_info(exc, path)


# The threads there were when the document started (the harness's own).
DOCUMENT_THREADS = set()


def tidy_up(threads_before, hooks):
    """Undo what an example may leave behind that would disturb the next one."""
    asyncio = sys.modules.get("asyncio")
    try:
        if asyncio is not None:
            asyncio.set_event_loop(None)
    except Exception:  # noqa: BLE001 - a patched asyncio is the example's business
        pass
    try:  # one timer: `alarm` and `setitimer(ITIMER_REAL)` share it
        signal.setitimer(signal.ITIMER_REAL, 0)
    except Exception:  # noqa: BLE001
        pass
    # Threads that outlive their example are stopped like a runaway loop.
    # (Counted first: listing them costs more, and most examples start none.)
    if threading.active_count() <= threads_before:
        return
    for thread in set(threading.enumerate()) - DOCUMENT_THREADS:
        if thread.is_alive() and thread.ident is not None:
            hooks.interrupt(thread.ident)
            thread.join(0.05)


class Namespaces:
    """Where examples run: a real `__main__` module per Sphinx doctest group.

    A real module in `sys.modules` is what lets `pickle`, `dataclasses`,
    `typing.get_type_hints` and `enum` find a class a guide defines. Most
    documents have one group; `{doctest} ctx` blocks get a namespace of their
    own, as Sphinx's doctest builder gives them.
    """

    def __init__(self, config, script, run_setup):
        self.stubs = stub_values(config["stubs"])
        install_modules(config.get("modules") or {})
        self.setup = config.get("setup") or ""
        sphinx = config.get("sphinx") or {}
        self.sphinx_setup = sphinx.get("setup") or ""
        self.sphinx_cleanup = sphinx.get("cleanup") or ""
        self.script = script
        self.run_setup = run_setup
        self.modules = {}
        self.every_group = []  # `{testsetup} *` examples seen so far

    def enter(self, group):
        """The namespace of `group`, made `__main__`; created on first use."""
        module = self.modules.get(group)
        if module is None:
            module = self.modules[group] = self.create()
            sys.modules["__main__"] = module
            for example in self.every_group:
                self.run_setup(example, module.__dict__, group)
        sys.modules["__main__"] = module
        return module.__dict__

    def create(self):
        module = types.ModuleType("__main__")
        module.__dict__.update(__file__=self.script, __builtins__=builtins, **self.stubs)
        if self.setup:
            sys.modules["__main__"] = module
            try:
                exec(compile(self.setup, "<[run] setup>", "exec"), module.__dict__)
            except Exception as exc:
                raise ConfigError(f"[run] setup failed: {type(exc).__name__}: {exc}") from None
        if self.sphinx_setup:
            sys.modules["__main__"] = module
            global_setup(self.sphinx_setup, module.__dict__)
        return module

    def clean_up(self):
        """Sphinx's `doctest_global_cleanup`, after each group, as its
        builder runs it; what it prints or raises is no example's."""
        if not self.sphinx_cleanup:
            return
        for module in self.modules.values():
            sys.modules["__main__"] = module
            with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                exec(compile(self.sphinx_cleanup, "<doctest_global_cleanup>", "exec"),
                     module.__dict__)

    def skip_reason(self, example):
        """Why Sphinx skips `example` (`:pyversion:`, `:skipif:`), if it does.
        `:skipif:` is evaluated as Sphinx does: in a fresh namespace after
        the global setup."""
        for condition in example.get("conditions") or ():
            if "pyversion" in condition:
                op, version = condition["pyversion"]
                if not version_matches(op, version):
                    return f"needs Python {op} {version}"
            elif "skipif" in condition and self.condition_holds(condition["skipif"]):
                return f":skipif: {condition['skipif']}"
            elif "markskipif" in condition:
                reason = mark_skip_reason(condition["markskipif"])
                if reason is not None:
                    return reason
            elif "importorskip" in condition and not importable(condition["importorskip"]):
                return f"could not import {condition['importorskip']}"
        return None

    def output_unchecked(self, example):
        """A `{testoutput}`'s `:skipif:` holds: the code runs, its output is
        not compared."""
        return any(self.condition_holds(c["output_skipif"])
                   for c in example.get("conditions") or () if "output_skipif" in c)

    def condition_holds(self, expression):
        scope = {"__builtins__": builtins, **self.stubs}
        exec(compile(self.setup, "<[run] setup>", "exec"), scope)
        if self.sphinx_setup:
            global_setup(self.sphinx_setup, scope)
        return bool(eval(compile(expression, "<:skipif:>", "eval"), scope))

    def draw_shared(self, groups, shared):
        """A block's own namespaces start with the shared names, as a test
        function of phmdoctest's module sees its globals."""
        names = own_names(self.enter(shared), self.stubs)
        for group in groups:
            self.enter(group).update(names)

    def update_shared(self, groups, shared):
        """`share-names` adds the block's names; `clear-names` drops every
        shared one."""
        target = self.enter(shared["group"])
        if shared["after"] == "clear":
            for name in list(own_names(target, self.stubs)):
                del target[name]
        elif shared["after"] == "share":
            for group in groups:
                target.update(own_names(self.enter(group), self.stubs))

    def targets(self, groups):
        """Group names an example runs in; `*` is every group (at least one)."""
        if "*" not in groups:
            return list(groups) or ["default"]
        return list(self.modules) or ["default"]


def mark_skip_reason(arguments):
    """`pytest.mark.skipif(ARGUMENTS)` as pytest evaluates the mark: the
    arguments in a fresh scope with `sys`, `os` and `platform`, a string
    condition evaluated in turn; the skip's reason when it holds."""
    scope = {"__builtins__": builtins, "sys": sys, "os": os, "platform": __import__("platform")}
    condition, reason = eval(compile(f"(lambda condition, *_, reason='', **__: (condition, reason))({arguments})",
                                     "<pytest.mark.skipif>", "eval"), scope)
    if isinstance(condition, str):
        condition = eval(compile(condition, "<pytest.mark.skipif>", "eval"), dict(scope))
    if not condition:
        return None
    return f"pytest.mark.skipif: {reason or arguments}"


def importable(module):
    """pytest's `importorskip`: does `module` import?"""
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def own_names(namespace, stubs):
    """The names a document's code bound: no dunder, no `[stubs]` value."""
    return {k: v for k, v in namespace.items()
            if not (k.startswith("__") and k.endswith("__")) and k not in stubs}


def global_setup(code, namespace):
    try:
        exec(compile(code, "<doctest_global_setup>", "exec"), namespace)
    except Exception as exc:
        raise ConfigError(f"doctest_global_setup failed: {type(exc).__name__}: {exc}") from None


def version_matches(op, version):
    """`sys.version_info` against `op version` (`>= 3.9`), as packaging
    compares release numbers: missing parts are zeros."""
    want = tuple(int(n) for n in version.split("."))
    width = max(len(want), 3)
    want = want + (0,) * (width - len(want))
    have = tuple(sys.version_info[:3]) + (0,) * (width - 3)
    return {"<": have < want, "<=": have <= want, ">": have > want, ">=": have >= want,
            "==": have == want, "!=": have != want}[op]


def skipped_by_condition(example, namespaces, path):
    """The outcome of an example a skip condition (Sybil's `skip: next
    if(...)`) holds for, evaluated on a copy of its namespace just before it
    would run; None when it runs."""
    conditions = example.get("skip_if") or ()
    if not conditions:
        return None
    namespace = dict(namespaces.enter(namespaces.targets(example["groups"])[0]))
    for condition in conditions:
        try:
            if eval(condition, namespace):
                return outcome(skipped=True)
        except Exception as exc:
            return outcome(error=error_info(exc, path))
    return None


def stub_values(stubs, what="stub"):
    """Each `name = "expression"`, evaluated with `mock` in scope."""
    if not stubs:
        return {}
    import unittest.mock as mock

    scope = {"mock": mock, "MagicMock": mock.MagicMock, "Mock": mock.Mock}
    values = {}
    for name, expression in stubs.items():
        try:
            values[name] = eval(expression, scope)
        except Exception as exc:
            raise ConfigError(f"{what} `{name}`: {type(exc).__name__}: {exc}") from None
    return values


def install_modules(modules):
    """`[modules]`: stand-ins that `import name` finds, and `import name.sub`
    and `from name.sub import x` too (a submodule is the stand-in's attribute)."""
    stand_ins = stub_values(modules, "module")
    for stand_in in stand_ins.values():
        as_package(stand_in)
    sys.modules.update(stand_ins)
    if stand_ins:
        sys.meta_path.insert(0, StandInSubmodules(stand_ins))


class StandInSubmodules:
    """Serves `a.b.c` as `getattr(getattr(stand_in_a, "b"), "c")`."""

    def __init__(self, stand_ins):
        self.stand_ins = stand_ins

    def find_spec(self, name, path, target=None):
        top, dot, rest = name.partition(".")
        if not dot or top not in self.stand_ins:
            return None
        import importlib.machinery

        return importlib.machinery.ModuleSpec(name, self)

    def create_module(self, spec):
        parent, _, child = spec.name.rpartition(".")
        return as_package(getattr(sys.modules[parent], child))

    def exec_module(self, module):
        pass


def as_package(stand_in):
    """Submodules are found only under a parent with a `__path__`."""
    with contextlib.suppress(AttributeError, TypeError):
        stand_in.__path__ = []
        if not isinstance(stand_in, types.ModuleType):
            stand_in.__spec__ = None
    return stand_in


def use_environment(config):
    """The user's venv and source folders, as `python` in that venv sees them."""
    import site

    for folder in config.get("site_packages") or ():
        site.addsitedir(folder)
    for folder in reversed(config.get("paths") or ()):
        sys.path.insert(0, folder)
    PROJECT_PATHS[:] = [os.path.abspath(p) for p in config.get("paths") or ()]
    sys.executable = python_executable(config.get("venv")) or sys.executable


def python_executable(venv):
    """The `python` an example means by `sys.executable`: the venv's, else
    the embedded CPython's own installation's. The process itself is
    snipcheck, and CPython guessed `sys.executable` from `PATH`, which may
    name another Python altogether."""
    minor = "python%d.%d" % sys.version_info[:2]
    folder = os.path.abspath(venv) if venv else None  # before the example's chdir
    candidates = [os.path.join(folder, "bin", name) for name in (minor, "python3", "python")] if folder else []
    candidates.append(os.path.join(sys.base_prefix, "bin", minor))
    return next((c for c in candidates if os.path.isfile(c) and os.access(c, os.X_OK)), None)


def enter_workdir(workdir, fixtures):
    """(Re)create the working directory with its fixtures, and go there.

    Also called before every example: one that deletes its working
    directory does not take the next one down with it.
    """
    try:
        os.chdir(workdir)
    except OSError:  # the last example removed it (or the first is to make it)
        os.makedirs(workdir, exist_ok=True)
        write_fixtures(workdir, fixtures)
        os.chdir(workdir)


def write_fixtures(workdir, fixtures):
    import base64

    for name, data in fixtures.items():
        target = os.path.join(workdir, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(base64.b64decode(data))


def outcome(**facts):
    """An example's outcome as the parent reads it (`ExampleOutcome` in
    src/run/outcome.rs): every field, `facts` over the defaults. The one
    place an outcome is built."""
    return {"writes": [], "statements": [], "error": None, "skipped": False, "skip_reason": None,
            "truncated": False, "interrupted": None, "values": [], "doctests": []} | facts


def sent(facts):
    """An outcome as it goes to the parent: the fields at their defaults
    left out (the parent fills them in), so fewer bytes to write and read."""
    return {key: value for key, value in facts.items()
            if value is not None and value is not False and value != []}


class Events:
    """The document's events on their way to the parent.

    A write is a system call, so an event that can wait does: it goes out
    with the next one that cannot (an example's `start`, or the `end`), in
    one write. Nothing waits while code from the document or its config
    runs, so a crash loses nothing already known.
    """

    def __init__(self, emit):
        self._emit = emit
        self._waiting = []

    def later(self, event):
        self._waiting.append(odd_safe_json(event))

    def now(self, event=None):
        if event is not None:
            self._waiting.append(odd_safe_json(event))
        if self._waiting:
            self._emit("\n".join(self._waiting))
            self._waiting.clear()


def load_document(request_json, sandboxed=True, rehearsal=True):
    """A document's request, and what its run needs before its first
    example set up: done while its process waits for its go (the worker
    stages the next document while one runs), so that its run starts with
    its first example. Nothing here reads the clock or says anything.
    """
    request = json.loads(request_json)
    DOCUMENT_THREADS.clear()
    DOCUMENT_THREADS.update(threading.enumerate())
    # Here, not at start-up: the worker forks a child per document first.
    # Without the sandbox (no kernel filter either) examples may start them.
    if sandboxed:
        block_processes()
        home_in(request["cwd"])
    else:
        allow_processes()
    path, config = request["path"], request["config"]
    use_environment(config)
    NETWORK.responses = config["network"]
    INPUT.lines = list(config["input"])
    linecache.cache[path] = (len(request["source"]), None, request["source"].splitlines(True), path)
    write_fixtures(request["cwd"], config["fixtures"])
    if rehearsal:
        rehearse()
    return request


# An example of the harness's own, nothing of the document's in it.
REHEARSAL = {"code": "print([1])\n", "first_line": 1, "claim_lines": [], "spans": False,
             "session": False, "timeout": 1}
# And one with a `>>>` docstring, for documents with `>>>` in them.
REHEARSAL_DOCTEST = REHEARSAL | {"code": 'def f():\n    """\n    >>> 1 + 1\n    2\n    """\n',
                                 "spans": True}


def rehearse():
    """Runs the harness's own examples once, output and outcomes thrown
    away: the pages an example's run writes to (the harness's functions and
    objects, shared with the worker until written) are copied now, while
    the process waits for its go, not during the document's first example.
    The `>>>` one only where the worker imported doctest ahead (see
    `preload`): the documents have `>>>` in them. Only asked for where a
    core would idle meanwhile (`Job::rehearse`): with every core busy the
    copies cost the same either way, and the rehearsal's run is extra.
    """
    quiet = Hooks(lambda events: None)
    rehearsals = [REHEARSAL] + ([REHEARSAL_DOCTEST] if "doctest" in sys.modules else [])
    shown = vars(builtins).get("_", REHEARSAL)  # the REPL's `_`, set by the `>>>` one
    for example in rehearsals:
        facts = run_example(dict(example), "<rehearsal>", {"__name__": "__main__"}, 1 << 10, quiet)
        Events(quiet.emit).now({"event": "done", "index": 0, "outcome": sent(facts)})
    if shown is REHEARSAL:
        vars(builtins).pop("_", None)
    else:
        builtins._ = shown


def run_document(request, hooks):
    """Runs a document `load_document` set up, reporting through
    `hooks.emit` as it goes.

    `replay` (indices) restarts after a worker died: those examples run
    again, silently, to rebuild the namespace (their outcomes were already
    reported), those in `avoid` (they crashed or timed out) do not run, and
    every other example runs and is reported. Sphinx cleanup code runs last,
    as the doctest builder runs it after its group.
    """
    path = request["path"]
    config = request["config"]
    replay = set(request.get("replay") or ())
    avoid = set(request.get("avoid") or ())
    CLOCK.reset(config.get("now"))
    random.seed(config["seed"])
    workdir = request["cwd"]
    previous_cwd = os.getcwd()
    script = os.path.join(workdir, os.path.splitext(os.path.basename(path))[0] + ".py")
    sys.argv = [os.path.basename(script)]
    events = Events(hooks.emit)
    events.now({"event": "begin", "python": python_version(), "workdir": os.path.realpath(workdir)})

    def run(example, namespace):
        enter_workdir(workdir, config["fixtures"])
        # Sphinx's doctest globals have no `__name__` (classes it defines
        # print as `<class 'A'>`), nor has the dict pytest-codeblocks execs
        # in: `if __name__ == "__main__":` bodies do not run there.
        name = namespace.pop("__name__", None) if example.get("unnamed") else None
        try:
            return run_example(example, path, namespace, config["max_output"], hooks)
        except ExampleTimeout:  # one that slipped past run_example's guards
            settle(hooks)
            return outcome(interrupted={
                "kind": "timeout", "line": None, "message": "ran past its time limit"})
        finally:
            if name is not None:
                namespace["__name__"] = name

    # Group → guide line of its setup code that failed: as Sphinx's
    # builder, the group's examples are not run then (and never pass).
    failed_setup = {}

    def run_setup(example, namespace, group):
        facts = run(example, namespace)
        if facts["error"] or facts["interrupted"]:
            shared = example.get("shared")
            for broken in [group] + ([shared["group"]] if shared else []):
                failed_setup.setdefault(broken, example["first_line"])
        return facts

    def run_in_groups(example):
        groups = namespaces.targets(example["groups"])
        for group in groups:  # created first: its `{testsetup} *` code runs then
            namespaces.enter(group)
        shared = example.get("shared")
        broken = [failed_setup[g] for g in groups + ([shared["group"]] if shared else [])
                  if g in failed_setup]
        if broken and example["role"] != "setup":
            return outcome(interrupted={"kind": "not_run", "line": None,
                                        "message": f"not run: its setup code (line {broken[0]}) failed"})
        run_one = run_setup if example["role"] == "setup" else lambda e, ns, _: run(e, ns)
        if shared:
            namespaces.draw_shared(groups, shared["group"])
        outcomes = [run_one(example, namespaces.enter(g), g) for g in groups]
        if shared:
            namespaces.update_shared(groups, shared)
        if example["role"] == "setup" and "*" in example["groups"]:
            namespaces.every_group.append(example)
        return next((o for o in outcomes if o["error"] or o["interrupted"]), outcomes[0])

    def report(index, example, outcome_of):
        replaying = index in replay
        if index in avoid or (example["skip"] and replaying):
            return
        if example["skip"]:
            events.later({"event": "done", "index": index, "outcome": sent(outcome(skipped=True))})
            return
        if not replaying:
            events.now({"event": "start", "index": index})
        facts = skipped_by_condition(example, namespaces, path) or checked_first(example, outcome_of)
        if not replaying:
            events.later({"event": "done", "index": index, "outcome": sent(facts)})

    def checked_first(example, outcome_of):
        """Runs `example` unless one of its conditions says Sphinx skips it."""
        if not example.get("conditions"):
            return outcome_of(example)
        try:
            reason = namespaces.skip_reason(example)
            unchecked = reason is None and namespaces.output_unchecked(example)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - the condition's own error, at the fence
            return outcome(error=error_info(exc, path) | {"line": example["first_line"] - 1})
        if reason is not None:
            return outcome(skipped=True, skip_reason=reason)
        return outcome_of(example) | ({"output_unchecked": True} if unchecked else {})

    try:
        namespaces = Namespaces(config, script, run_setup)
        examples = list(enumerate(request["examples"]))
        for _, example in examples:
            example["default_flags"] = (config.get("sphinx") or {}).get("default_flags")
        # Hoisted setup first (phmdoctest's module fixture), cleanup last.
        stage = {"cleanup": 2}
        for index, example in sorted(examples, key=lambda e: -1 if e[1].get("first")
                                     else stage.get(e[1]["role"], 0)):
            report(index, example, run_in_groups)
        namespaces.clean_up()
    except BaseException:
        events.now()  # the outcomes so far, before the harness's own error
        raise
    finally:
        with contextlib.suppress(OSError):
            os.chdir(previous_cwd)
    events.now({"event": "end"})


# An escaped backslash, a valid surrogate pair, or a lone surrogate.
SURROGATES = re.compile(r"(\\\\)|(\\ud[89ab][0-9a-f]{2}\\ud[c-f][0-9a-f]{2})|\\(ud[89a-f][0-9a-f]{2})")


# Events are plain dicts, lists and strings the harness built: no cycles to
# look for (which costs a third of the encoding).
EVENT_ENCODER = json.JSONEncoder(check_circular=False)


def odd_safe_json(event):
    """JSON of an event, with lone surrogates (odd output, e.g. `"\\ud800"`)
    as the visible text `\\ud800`: JSON cannot carry them, and they must
    not cost the document its run."""
    text = EVENT_ENCODER.encode(event)
    if "\\ud" not in text:  # the common case: no surrogate escapes at all
        return text
    return SURROGATES.sub(lambda m: m.group(1) or m.group(2) or "\\\\" + m.group(3), text)


def python_version():
    return "%d.%d.%d" % sys.version_info[:3]


install_once()
