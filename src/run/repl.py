"""REPL-style claims: `>>>` sessions, docstring examples, bare-expression values.

Loaded into the embedded interpreter before `harness.py` (as module
`snipcheck_repl`). Doctest's own parser and output checker define what a
`>>>` example claims and when it holds (ELLIPSIS and NORMALIZE_WHITESPACE on,
`<BLANKLINE>`, tracebacks, `+SKIP`); this module only runs the examples the way
snipcheck runs everything else: in the document's namespace, on the virtual
clock, with top-level `await`, and at the guide's own line numbers.
"""

import ast
import builtins
import re
import reprlib
import traceback
import types


def doctest():
    """doctest, imported the first time a `>>>` is seen."""
    import doctest

    return doctest


# --- values of bare expressions -------------------------------------------

# A claim is a line of text: a million-element list needs no full repr.
# Containers past these sizes are shown with `...`, as reprlib does.
BOUNDED = reprlib.Repr()
BOUNDED.maxlevel = 50
for _name in ("maxtuple", "maxlist", "maxarray", "maxdict", "maxset", "maxfrozenset", "maxdeque"):
    setattr(BOUNDED, _name, 2000)
BOUNDED.maxstring = BOUNDED.maxlong = BOUNDED.maxother = 100_000
MAX_VALUES_PER_LINE = 1000


class ValueProbe:
    """Rewrites `expr  # claim` into `__snipcheck_value__(line, expr)`.

    Only statements that carry a trailing comment are touched, so the REPL
    value of `fruits[0]  # "apple"` can be checked without printing it. For a
    simple assignment, the value assigned is recorded the same way.
    """

    def __init__(self, lines):
        self.lines = set(lines)

    def rewrite(self, node):
        """The statements that replace `node` (a list), or `node` itself."""
        if not any(node.lineno <= line <= node.end_lineno for line in self.lines):
            return node
        if isinstance(node, ast.Expr):
            # A bare string is a docstring or a comment in disguise, never a claim.
            if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                node.value = self._probe(node, node.value)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, (ast.Subscript, ast.Attribute)):
                return self._probe_after(node, target.value)
            node.value = self._probe(node, node.value, assignment=True)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            # `total += 5  # 12` shows the name's new value.
            return self._probe_after(node, ast.Name(id=node.target.id, ctx=ast.Load()))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            node.value = self._probe(node, node.value, assignment=True)
        return node

    def _probe(self, node, value, assignment=False):
        func = ast.copy_location(ast.Name(id="__snipcheck_value__", ctx=ast.Load()), value)
        args = [ast.copy_location(ast.Constant(node.end_lineno), value), value,
                ast.copy_location(ast.Constant(assignment), value)]
        return ast.copy_location(ast.Call(func=func, args=args, keywords=[]), value)

    def _probe_after(self, node, obj):
        """`a[2:4] = [10]  # [0, 1, 10, 4]`: the writer shows the object the
        statement changed, so its value is taken right after the statement."""
        obj = copy_expr(obj)
        ast.copy_location(obj, node)
        probe = ast.Expr(value=self._probe(node, obj, assignment=True))
        return [node, ast.copy_location(probe, node)]


def copy_expr(expr):
    """A fresh Load-context copy of a target's object expression."""
    import copy

    expr = copy.deepcopy(expr)
    for sub in ast.walk(expr):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return expr


def value_recorder(sink):
    """The `__snipcheck_value__` that probes call; values land in `sink` as
    [line, repr, assignment]."""
    counts = {}

    def record(line, value, assignment):
        counts[line] = counts.get(line, 0) + 1
        if value is not None and counts[line] <= MAX_VALUES_PER_LINE:
            try:
                text = BOUNDED.repr(value)
            except Exception as exc:  # noqa: BLE001 - a broken __repr__ is the example's business
                text = f"<repr failed: {type(exc).__name__}: {exc}>"
            sink.append([line, text, assignment])
        return value

    return record


# Where statements live. Expressions hold none (a lambda's body is one), so
# a walk over these lists sees every statement while skipping the
# expression trees, which are most of the nodes: ast.walk costs ~0.4 ms
# per example, this a tenth of that.
BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


class Scan:
    """One pass over a parsed example's statements, for what the harness
    needs of them: their guide lines, the docstrings holding `>>>`, and the
    claimed statements instrumented (see `ValueProbe`)."""

    def __init__(self, tree, claim_lines, sink):
        self.statements = []  # [first, last], outermost first
        self.docstrings = []  # (line of the opening quotes, text)
        probe = ValueProbe(claim_lines) if claim_lines else None
        if probe is not None:
            builtins.__snipcheck_value__ = value_recorder(sink)
        queue = [tree]
        for node in queue:  # breadth first: an outer statement before its inner ones
            if isinstance(node, ast.stmt):
                self.statements.append([node.lineno, node.end_lineno])
                self._docstring(node)
            for field in BODIES:
                block = getattr(node, field, None)
                if not block:
                    continue
                if field in ("handlers", "cases"):
                    queue.extend(stmt for clause in block for stmt in clause.body)
                    for clause in block:
                        self._rewrite(clause, probe)
                    continue
                queue.extend(block)
            self._rewrite(node, probe)
        self.tree = tree

    @staticmethod
    def _rewrite(node, probe):
        if probe is None or not hasattr(node, "body"):
            return
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not block or not isinstance(block, list):
                continue
            rewritten = []
            for stmt in block:
                new = probe.rewrite(stmt)
                rewritten.extend(new if isinstance(new, list) else [new])
            block[:] = rewritten

    def _docstring(self, node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str) and ">>>" in body[0].value.value):
                self.docstrings.append((body[0].value.lineno, body[0].value.value))


# --- >>> examples ----------------------------------------------------------


# Compiled here, in the worker, not in each document's process.
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{8,}\b|(?<=\bat )0x[0-9a-fA-F]+\b")
PROMPT = re.compile(r"^(\s*)(>>>|\.\.\.)( ?)(.*)$")
# A writer's note after an output line (see `without_commentary`).
COMMENTARY = re.compile(r"\s{2,}#\s.*$|\s+#\s*[A-Za-z].*$")
# A module path before an exception's type: `structlog.exceptions.`DropEvent.
QUALIFIED = re.compile(r"^(?:\w+\.)+(?=\w+(?::|$))")
NUMBER = re.compile(r"(?P<number>[+-]?(?:\d+\.\d*|\.\d+)(?:[Ee][+-]?\d+)?|[+-]?\d+[Ee][+-]?\d+)")


def same_value(want, got, flags):
    """snipcheck's matching rules on top of doctest's checker: memory
    addresses (`0x` and eight or more hex digits, or any after ` at `) compare equal,
    terminal colour codes in the output are ignored (`ansi`), and output
    that reads as a Python literal compares as a value (a set in any order).
    The Rust side names these rules `address` and `literal`."""
    plain = ANSI.sub("", got)
    want_n, got_n = ADDRESS.sub("0x[ADDR]", want), ADDRESS.sub("0x[ADDR]", plain)
    if (want_n, got_n) != (want, got) and doctest().OutputChecker().check_output(want_n, got_n, flags):
        return True
    try:
        a, b = ast.literal_eval(want.strip()), ast.literal_eval(plain.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return type(a) is type(b) and a == b


def without_commentary(want):
    """The want with the writer's notes taken off: `Adding 3 4   # from where?`
    is `Adding 3 4`, and a `# x is a generator` line among output lines is a
    note (the `commentary` rule of the Rust side). `None` if there are none."""
    lines = want.splitlines()
    if all(line.lstrip().startswith("#") for line in lines):
        return None  # the hybrid form: the comments are the output
    kept = [COMMENTARY.sub("", line) for line in lines
            if not line.lstrip().startswith("# ")]
    new = "".join(line + "\n" for line in kept)
    return new if new != want else None


def is_placeholder(want):
    """`?` or `???` where a course leaves the answer to the reader."""
    text = want.strip()
    return bool(text) and set(text) <= {"?", " ", "\n"}


def traceback_tail(want):
    """The exception line of a traceback doctest could not parse (stack
    lines not indented, `File ...` and the exception on one line), or of a
    SyntaxError as the REPL shows it: `File "<stdin>", line 1`, the code, a
    caret, then `SyntaxError: ...`, with no `Traceback` header."""
    lines = [line.strip() for line in want.strip().splitlines()]
    if len(lines) >= 2 and lines[0].startswith('File "<') and "Error" in lines[-1]:
        return lines[-1] + "\n"
    if len(lines) < 2 or not lines[0].startswith("Traceback (most recent call last)"):
        return None
    last = lines[-1]
    if last.startswith("File ") and " in " in last:
        last = last.split(" in ", 1)[1].split(" ", 1)[-1]
    return last + "\n"


def options(example, sphinx=False, extra=(), defaults=None):
    """The flags `example` is checked with: the tool's defaults (Sphinx's
    `doctest_default_flags`, or `defaults` when its conf.py names them),
    then the block's or document's option flags (`extra`, `+NAME`/`-NAME`;
    names doctest does not know, such as Sybil's NUMBER, are left to the
    checker), then the example's own `# doctest:` comment."""
    d = doctest()
    if sphinx and defaults is not None:
        flags = 0
        for name in defaults:
            flags |= d.OPTIONFLAGS_BY_NAME[name]
    elif sphinx:
        flags = d.ELLIPSIS | d.IGNORE_EXCEPTION_DETAIL | d.DONT_ACCEPT_TRUE_FOR_1
    else:
        flags = d.ELLIPSIS | d.NORMALIZE_WHITESPACE
    for name in extra:
        flag = d.OPTIONFLAGS_BY_NAME.get(name.lstrip("+-"), 0)
        flags = flags & ~flag if name.startswith("-") else flags | flag
    for flag, on in example.options.items():
        flags = flags | flag if on else flags & ~flag
    return flags


def hybrid_want(example):
    """`>>> expr` followed by `# 'table'` lines: the comments are the output."""
    lines = example.want.splitlines()
    if lines and all(line.lstrip().startswith("#") for line in lines):
        return "".join(line.lstrip()[1:].lstrip(" ") + "\n" for line in lines)
    return example.want


def trailing_comment(source):
    """`print(x)  # True` inside a `>>>` line, as writers sometimes put it."""
    last = source.rstrip("\n").splitlines()[-1]
    try:
        import io
        import tokenize

        tokens = list(tokenize.generate_tokens(io.StringIO(last + "\n").readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    comments = [t.string for t in tokens if t.type == tokenize.COMMENT]
    return comments[-1][1:].strip() + "\n" if comments else None


def compile_statement(source, path, line):
    """One interactive statement at guide line `line`, compiled as the REPL does."""
    return compile_at(source, path, "single", line, dont_inherit=True)


def compile_at(source, path, mode, line, dont_inherit=False):
    """`source` compiled as if it stood at guide line `line` of `path`, so
    that tracebacks and frames give guide lines.

    Compiled where it is and its code objects moved down: padding it with
    `line - 1` newlines instead would cost every example a scan of them, a
    document's cost growing with the square of its length. A syntax error
    or a compile-time warning (both quote their line) come from the padded
    text, as they always did."""
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    code = unpadded(lambda: compile(source, path, mode, flags=flags, dont_inherit=dont_inherit))
    if code is None:
        return compile("\n" * (line - 1) + source, path, mode, flags=flags, dont_inherit=dont_inherit)
    return moved(code, line - 1)


def unpadded(build):
    """What `build` (a compile or parse of an example where it is, not at
    its guide line) gives, or `None` if it raised or showed a warning: the
    caller does it again from the padded text. Warnings are caught where
    they are shown, not by changing the filters, which would forget every
    warning already shown once."""
    import warnings

    shown = []
    show, warnings._showwarnmsg = warnings._showwarnmsg, shown.append
    try:
        built = build()
    except (SyntaxError, ValueError, Warning):
        return None
    finally:
        warnings._showwarnmsg = show
    return None if shown else built


def moved(code, lines):
    """`code` and the code objects in it, `lines` further down."""
    if not lines:
        return code
    consts = tuple(moved(c, lines) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + lines, co_consts=consts)


def execute(source, path, line, globs, echoed=None, code=None):
    """Runs one interactive statement at guide line `line` (`code`, if
    compiled already), REPL style; the reprs the REPL echoes are appended
    to `echoed`."""
    import sys

    code = code or compile_statement(source, path, line)
    original = sys.displayhook

    def hook(value):
        if value is not None and echoed is not None:
            echoed.append(repr(value) + "\n")
        original(value)

    sys.displayhook = hook
    try:
        value = eval(code, globs)
    finally:
        sys.displayhook = original
    if isinstance(value, types.CoroutineType):
        import asyncio

        asyncio.run(value)


def exception_matches(checker, want, got, flags):
    """As doctest's runner judges an expected exception (IGNORE_EXCEPTION_DETAIL
    compares only the exception's type, without its module)."""
    if checker.check_output(want, got, flags):
        return True
    # `DropEvent` for `structlog.exceptions.DropEvent`: the type named as
    # it is imported, as tracebacks showed it before Python 3.
    unqualified = QUALIFIED.sub("", got)
    if unqualified != got and checker.check_output(want, unqualified, flags):
        return True
    if not flags & doctest().IGNORE_EXCEPTION_DETAIL:
        return False
    strip = doctest()._strip_exception_details
    return checker.check_output(strip(want), strip(got), flags)


def run_examples(examples, kind, base_line, path, globs, capture, error_info, sphinx=False,
                 flags=(), defaults=None):
    """Runs doctest examples; returns one claim result per example.

    `capture(fn)` runs `fn` with stdout captured and returns what it wrote.
    An example whose output doctest does not accept drifts; one that raises
    unexpectedly is an error, like any other claim.
    """
    results = []
    checker = number_checker()
    block_flags = flags
    for example in examples:
        line = base_line + example.lineno
        result = {"kind": kind, "line": line, "source": example.source,
                  "lines": example.source.count("\n") + example.want.count("\n"),
                  "want": hybrid_want(example), "got": "", "verdict": "holds", "error": None}
        results.append(result)
        flags = options(example, sphinx, block_flags, defaults)
        if flags & doctest().SKIP:
            result["verdict"] = "skipped"
            continue
        if is_placeholder(result["want"]):
            result["verdict"] = "unchecked"
            continue
        exception = None
        echoed = []

        def body():
            nonlocal exception
            try:
                execute(example.source, path, line, globs, echoed, getattr(example, "code", None))
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: B902 - judged below
                if type(exc).__name__ == "ExampleTimeout":
                    raise
                exception = exc

        result["got"] = got = capture(body)
        if not result["want"] and got:
            result["want"] = trailing_comment(example.source) or ""
        # `>>> bind(x=1)` with nothing under it: the writer left out the
        # value the REPL echoes (not anything printed); not a claim.
        if not result["want"] and exception is None and got and got == "".join(echoed):
            result["verdict"] = "unchecked"
            continue
        # `>>> log.debug("hi")` then `# no output!`: a note on a silent line.
        if not got and exception is None and result["want"] != example.want:
            result["verdict"] = "unchecked"
            continue
        if exception is not None:
            message = traceback.format_exception_only(type(exception), exception)[-1]
            tail = traceback_tail(example.want)
            if example.exc_msg is not None or tail is not None:
                ok = ((example.exc_msg is not None
                       and exception_matches(checker, example.exc_msg, message, flags))
                      or (tail is not None and checker.check_output(tail, message, flags)))
                result["got"] = got + "Traceback (most recent call last):\n  ...\n" + message
                if not ok and undefined_name(exception, example.exc_msg or tail):
                    result["verdict"] = "error"
                    result["error"] = error_info(exception, path)
                    continue
            else:
                result["verdict"] = "error"
                result["error"] = error_info(exception, path)
                continue
        else:
            want = result["want"]
            bare = without_commentary(want)
            ok = example.exc_msg is None and (
                checker.check_output(want, got, flags) or same_value(want, got, flags)
                or (bare is not None and (checker.check_output(bare, got, flags)
                                          or same_value(bare, got, flags))))
        result["verdict"] = "holds" if ok else "drifts"
    return results


NUMBER_CHECKER = None


def number_checker():
    """doctest's checker, plus the `NUMBER` flag pytest and Sybil add
    (`doctest_optionflags = NUMBER`): a float in the output matches to the
    precision the expected output writes (`3.14` for `3.14159`)."""
    global NUMBER_CHECKER
    if NUMBER_CHECKER is not None:
        return NUMBER_CHECKER
    d = doctest()
    number_flag = d.register_optionflag("NUMBER")
    number = NUMBER

    def precision(text):
        mantissa, _, exponent = text.lower().partition("e")
        digits = len(mantissa.partition(".")[2])
        return digits - int(exponent or 0)

    class Checker(d.OutputChecker):
        def check_output(self, want, got, optionflags):
            if optionflags & number_flag:
                got = self.within_precision(want, got)
            return super().check_output(want, got, optionflags)

        @staticmethod
        def within_precision(want, got):
            wants, gots = list(number.finditer(want)), list(number.finditer(got))
            if len(wants) != len(gots):
                return got
            offset = 0
            for w, g in zip(wants, gots):
                if abs(float(w.group()) - float(g.group())) <= 10 ** -precision(w.group()):
                    start, end = g.start() + offset, g.end() + offset
                    got = got[:start] + w.group() + got[end:]
                    offset += len(w.group()) - (g.end() - g.start())
            return got

    NUMBER_CHECKER = Checker()
    return NUMBER_CHECKER


def undefined_name(exception, expected):
    """A `NameError` where another exception was expected: a name from
    elsewhere is missing, so the example could not run; it says nothing
    of the claim (unless the claim is the `NameError` itself)."""
    if not isinstance(exception, NameError):
        return False
    named = (expected or "").strip().partition(":")[0].rpartition(".")[2]
    return named not in {c.__name__ for c in type(exception).__mro__}


def session_examples(code):
    number_checker()  # `# doctest: +NUMBER` parses once the flag exists
    return doctest().DocTestParser().get_examples(with_continuation_prompts(code))


def with_continuation_prompts(code):
    """Sessions pasted without `...` prompts: a line under an unfinished
    `>>>` statement (an open bracket, a block header) that is indented
    continues it, as a reader reads it. Each such line gets its `...` so
    doctest parses it; line numbers do not change. The empty line that
    ends a block at the REPL becomes a bare `...`, so the output under it is
    the block's."""
    import codeop

    out = []
    source = None  # the statement being read, while it may be unfinished
    checked = True  # whether `source` is known to be unfinished (compiling it costs)
    ended = False  # the last line ended a block: more empty lines still do

    def unfinished():
        nonlocal source, checked
        if not checked and source is not None:
            source = source if incomplete(codeop, source) else None
        checked = True
        return source is not None

    for line in code.split("\n"):
        m = PROMPT.match(line)
        if m:
            ended = False
            indent = m.group(1)
            if m.group(2) == ">>>":
                source = m.group(4)
            else:
                source = (source if unfinished() else "") + "\n" + m.group(4)
            checked = False
            out.append(line)
            continue
        if source is not None and line.strip() and line.startswith(indent + " ") and unfinished():
            body = line[len(indent) + 4:] if line.startswith(indent + "    ") else line.lstrip()
            out.append(f"{indent}... {body}")
            source += "\n" + body
            checked = False
            continue
        if not line.strip() and (ended or (source is not None and unfinished())):
            # The empty line that ends a block at the REPL: output follows it.
            out.append(f"{indent}...")
            source, ended = None, True
            continue
        source, ended = None, False
        out.append(line)
    return "\n".join(out)


def incomplete(codeop, source):
    try:
        return codeop.compile_command(source, "<session>", "single") is None
    except (SyntaxError, ValueError, OverflowError):
        return False
