"""Which importable top-level module exports a name, for `snipcheck init`.

An example that uses `Converter` without importing it most likely forgot
`from the_package import Converter`: a stub would hide the real class.
Each top-level module's source is read statically (its `__all__`, else its
public top-level definitions and imports), so nothing is imported, and no
package's code runs, to find out.
"""

import ast
import os
import pkgutil
import sys

# Past this, a module is generated code, not a package's public face.
MAX_BYTES = 1 << 20

_exports = {}  # source file → the names it exports


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
        if not folder or not os.path.isdir(folder):
            continue
        for info in sorted(pkgutil.iter_modules([folder]), key=lambda i: i.name):
            module = info.name
            if module in seen or module.startswith("_") or module.startswith("snipcheck_"):
                continue
            seen.add(module)
            file = os.path.join(module, "__init__.py") if info.ispkg else module + ".py"
            path = os.path.join(folder, file)
            if os.path.isfile(path):
                yield module, path


def exports_of(path, name):
    """What the module at `path` exports, as far as `name` goes: a source
    that never spells `name` is not parsed (most are not, so a scan of a
    large venv costs milliseconds)."""
    found = _exports.get(path)
    if found is None:
        try:
            if os.path.getsize(path) > MAX_BYTES:
                return ()
            with open(path, "rb") as f:
                source = f.read()
        except OSError:
            return ()
        if name.encode() not in source:
            return ()
        found = _exports[path] = frozenset(read_exports(source, path))
    return found


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
