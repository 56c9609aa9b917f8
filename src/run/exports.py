"""Which importable top-level module exports a name, for `snipcheck init`.

An example that uses `Converter` without importing it most likely forgot
`from the_package import Converter`: a stub would hide the real class.
Each top-level module's source is read statically (its `__all__`, else its
public top-level definitions and imports), so nothing is imported, and no
package's code runs, to find out.

A document's process asks for every name an example lacks, and a venv's
modules are large: their listing and text are read once per process (read
again only once changed), and a module is parsed only when its text could
define the name at top level (`may_export`), which most never could.
"""

import ast
import os
import pkgutil
import re
import sys
from stat import S_ISDIR

# Past this, a module is generated code, not a package's public face.
MAX_BYTES = 1 << 20

# Keyed by path, with the (mtime, size) it was read at (see `remembered`):
_listings = {}  # folder → its top-level modules: [(name, source file)]
_sources = {}  # source file → its text (None: unreadable or too large)
# Keyed by path, with the text they were read from:
_exports = {}  # source file → the names it exports
_ruled_out = {}  # source file → the names `may_export` ruled out


def module_exporting(name, folders):
    """`from module import name` for the first top-level module under
    `folders` (in order) that exports `name`, else None."""
    for module, path in top_level_sources(folders):
        if name in exports_of(path, name):
            return f"from {module} import {name}"
    return None


def top_level_sources(folders):
    seen = set()
    for folder in folders:
        for module, path in listing(folder):
            if module not in seen:
                seen.add(module)  # shadows a later folder's, as an import would
                if path is not None:
                    yield module, path


def listing(folder):
    if not folder:
        return ()

    def read(stat):
        return list(list_folder(folder)) if S_ISDIR(stat.st_mode) else []

    return remembered(_listings, folder, read) or ()


def list_folder(folder):
    """(name, source file) of each public top-level module in `folder`; the
    file is None when the module has no source there (a compiled one)."""
    for info in sorted(pkgutil.iter_modules([folder]), key=lambda i: i.name):
        module = info.name
        if module.startswith("_") or module.startswith("snipcheck_"):
            continue
        file = os.path.join(module, "__init__.py") if info.ispkg else module + ".py"
        path = os.path.join(folder, file)
        yield module, path if os.path.isfile(path) else None


def remembered(cache, path, read):
    """`read(stat)`'s value for `path` (given its `os.stat`), kept while the
    file (or folder) stays as it was; None when `path` is not there."""
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    kept = cache.get(path)
    if kept is None or kept[0] != stamp:
        kept = cache[path] = (stamp, read(stat))
    return kept[1]


def source_of(path):
    def read(stat):
        if stat.st_size > MAX_BYTES:
            return None
        with open(path, "rb") as f:
            return f.read()

    try:
        return remembered(_sources, path, read)
    except OSError:
        return None


def exports_of(path, name):
    """What the module at `path` exports, as far as `name` goes: a source
    that could not define `name` is not parsed."""
    source = source_of(path)
    if source is None:
        return ()
    kept = _exports.get(path)
    if kept is not None and kept[0] is source:
        return kept[1]
    ruled_out = _ruled_out.get(path)
    if ruled_out is None or ruled_out[0] is not source:
        ruled_out = _ruled_out[path] = (source, set())
    if name in ruled_out[1]:
        return ()
    if not may_export(name, source):
        ruled_out[1].add(name)
        return ()
    found = frozenset(read_exports(source, path))
    _exports[path] = (source, found)
    return found


# Before a name a top-level statement defines, on its line: `def`/`class`,
DEF_HEAD = re.compile(rb"(?:async[ \t]+)?(?:def|class)[ \t]+")
# or, for an assignment: nothing, other targets (`a = b = 1`), a statement
# before it (`x = 1; y: int = 2`), an opening parenthesis (`(c) = 3`).
TARGET_HEAD = re.compile(rb"(?:[^\n]*[;=][ \t]*)?(?:\([ \t]*)?")
# A `from ... import` statement's text up to one of the names it imports,
# over its continuation lines (parentheses, backslashes, comments). (`import
# x as y` defines `y` too, but `read_exports` does not count it.) A comment
# runs to its newline: the text splits one way only, so a failed match is
# not retried in exponentially many.
IMPORT_HEAD = re.compile(rb"from[ \t]+[\w.]+[ \t]+import\b(?:[\w \t,()\\\r\n]|#[^\n]*\n)*")
# How far before a name its `import` is looked for.
IMPORT_REACH = 4096


def may_export(name, source):
    """Whether `source` could export `name`: a necessary condition, read
    from the text. The name occurs as a whole word that is quoted (an
    `__all__` entry), or that a statement starting at column 0 defines (a
    top-level `def`, `class`, assignment or `from ... import`). Checking
    costs a fraction of parsing, and rules out most modules for most names.
    """
    word = name.encode()
    if word not in source or not word.isascii():
        return word in source
    if b"'" + word + b"'" in source or b'"' + word + b'"' in source:
        return True
    # Led by the name itself, so that `re` scans for it at C speed.
    for match in re.finditer(re.escape(word) + rb"(?!\w)", source):
        start, end = match.span()
        before = source[start - 1:start]
        if before and (before.isalnum() or before in b"_."):
            continue  # the end of a longer name, or an attribute
        if defined_at_top_level(source, start, end) or imported_at_top_level(source, start):
            return True
    return False


def defined_at_top_level(source, start, end):
    line = source.rfind(b"\n", 0, start) + 1
    if source[line:line + 1] in (b" ", b"\t"):
        return False
    head = source[line:start]
    if DEF_HEAD.fullmatch(head):
        return True
    rest = source[end:end + 80].lstrip(b" \t")
    if rest[:1] == b")" and head.rstrip().endswith(b"("):
        rest = rest[1:].lstrip(b" \t")
    bound = (rest[:1] == b"=" and rest[1:2] != b"=") or rest[:1] == b":"
    return bound and TARGET_HEAD.fullmatch(head) is not None


def imported_at_top_level(source, start):
    keyword = source.rfind(b"import", max(0, start - IMPORT_REACH), start)
    if keyword < 0:
        return False
    line = source.rfind(b"\n", 0, keyword) + 1
    return IMPORT_HEAD.fullmatch(source, line, start) is not None


def read_exports(source, path):
    try:
        tree = ast.parse(source, path)
    except (SyntaxError, ValueError):
        return ()
    declared = dunder_all(tree)
    if declared is not None:
        return declared
    return {n for n in defined(tree) if not n.startswith("_")}


def dunder_all(tree):
    """`__all__ = [...]` (or a tuple) of string literals, else None."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            if isinstance(node.value, (ast.List, ast.Tuple)):
                return {e.value for e in node.value.elts
                        if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return None


def defined(tree):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, ast.Assign):
            yield from (t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id
        elif isinstance(node, ast.ImportFrom):
            yield from (a.asname or a.name for a in node.names if a.name != "*")


def may_be_public(module, name):
    """Whether the standard `module` could export `name`, read from its
    source if it is not imported yet, so that it is imported (by
    `public_in`'s caller) only when it could: importing a dozen modules to
    look for one name costs a document milliseconds. A module that takes
    names with `import *` (from a C module) could export anything."""
    if module in sys.modules:
        return True
    import importlib.util

    spec = importlib.util.find_spec(module)
    origin = getattr(spec, "origin", None) or ""
    source = source_of(origin) if origin.endswith(".py") else None
    return source is None or b"import *" in source or name.encode() in source


def public_in(module, name):
    """Does the (imported, standard) `module` export `name`? Its `__all__`
    says, when it has one: `typing.T` is a private helper, not in it."""
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return name in declared
    return hasattr(module, name) and not isinstance(getattr(module, name), type(sys))


def site_folders():
    """`sys.path` without the standard library's own folders."""
    stdlib = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return [p for p in sys.path if p and ("-packages" in p
                                          or not any(os.path.realpath(p).startswith(s)
                                                     for s in stdlib))]
