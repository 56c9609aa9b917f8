#!/usr/bin/env python3
"""bench-floor.py - the "floor" for snipcheck's benchmarks.

Usage: bench-floor.py [--verbose] [--isolated [--jobs N]] FILE.md...

The cheapest possible way to run a Markdown guide's Python examples in
CPython: one interpreter process that, for each FILE,

  * extracts the ```python fenced blocks (simple fence parsing, no
    CommonMark corner cases),
  * works in a temp dir holding small data.txt / config.txt / input.txt,
  * injects unittest.mock.MagicMock objects for the placeholder names the
    guide uses but never defines (process, process_file, db, ...),
  * patches time.sleep (no wait) and asyncio.sleep (yields to the event
    loop once, then returns),
  * exec()s every block in order in ONE namespace per file, with
    __name__ == '__main__', the examples' stdout going to /dev/null,
    catching and counting exceptions per block.

--isolated is the *isolated floor*: the same interpreter, warmed up once,
forks one child per FILE; the child runs that file's blocks as above and
pipes its counts back, so no file sees another's objects. It is the lower
bound for a tool that gives each document a fresh process (snipcheck does).
With --jobs N, N children run at once (a new one is forked as soon as one
ends): the same bound for a tool using N cores.

It checks nothing (no expected outputs are compared): it is the lower
bound on what any tool that really runs the examples must spend. A summary
goes to stderr; the exit status is 0 even when blocks raise.
"""

import asyncio
import builtins
import os
import re
import sys
import tempfile
import time
import traceback
import types
from unittest import mock

# Names the guide references but never defines.
PLACEHOLDERS = ["process", "process_file", "db", "noisy_function",
                "run_debug_code", "make_request"]

# Small input files the guide opens.
DATA_FILES = {
    "data.txt": "alpha\nbeta\nERROR gamma\n",
    "config.txt": "# comment\nhost = localhost\nport = 8080\n",
    "input.txt": "hello world\n",
}

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")


def python_blocks(text):
    """Yield (line_number, source) of each ```python / ```py block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        start = i + 1
        j = start
        # The closing fence: same character, at least as long, nothing after.
        while j < len(lines) and not (
            lines[j].strip().startswith(fence)
            and set(lines[j].strip()) == {fence[0]}
        ):
            j += 1
        if lang in ("python", "py", "python3"):
            body = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip()
                    for ln in lines[start:j]]
            yield start + 1, "\n".join(body) + "\n"
        i = j + 1


@types.coroutine
def _yield_once():
    yield


async def fast_asyncio_sleep(delay, result=None):
    """Stand-in for asyncio.sleep: let other tasks run once, don't wait."""
    await _yield_once()
    return result


def run_file(path, verbose):
    """Run all python blocks of one Markdown file; return (ok, failed)."""
    with open(path, encoding="utf-8") as f:
        blocks = list(python_blocks(f.read()))
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    for name in PLACEHOLDERS:
        namespace[name] = mock.MagicMock(name=name)
    ok = failed = 0
    real_stdout = sys.stdout
    with open(os.devnull, "w") as devnull:
        for lineno, src in blocks:
            sys.stdout = devnull
            try:
                exec(compile(src, f"{path}:{lineno}", "exec"), namespace)
                ok += 1
            except BaseException as e:  # SystemExit too: keep going
                failed += 1
                if verbose:
                    print(f"{path}:{lineno}: {type(e).__name__}: {e}",
                          file=sys.stderr)
                    if verbose > 1:
                        traceback.print_exc()
            finally:
                sys.stdout = real_stdout
    return ok, failed


def start_child(path, verbose):
    """run_file in a forked child; returns (pid, the pipe its counts come
    back through)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            ok, failed = run_file(path, verbose)
            os.write(write_end, f"{ok} {failed}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    return pid, read_end


def collect_child(path, read_end):
    """The counts of a child `start_child` started, once it has exited."""
    with os.fdopen(read_end, "rb") as f:
        counts = f.read().split()
    if len(counts) != 2:
        return 0, len(list(python_blocks(open(path, encoding="utf-8").read())))
    return int(counts[0]), int(counts[1])


def run_files_in_children(files, jobs, verbose):
    """Yields (path, ok, failed) per file, each run in its own forked child,
    up to `jobs` children at once: a new one starts as soon as any ends."""
    running = {}
    pending = list(reversed(files))
    while pending or running:
        while pending and len(running) < jobs:
            path = pending.pop()
            pid, read_end = start_child(path, verbose)
            running[pid] = (path, read_end)
        pid, _ = os.wait()
        if pid in running:
            path, read_end = running.pop(pid)
            yield path, *collect_child(path, read_end)


def main(argv):
    verbose = 0
    isolated = False
    jobs = 1
    files = []
    args = iter(argv)
    for a in args:
        if a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if a in ("-v", "--verbose"):
            verbose += 1
        elif a == "--isolated":
            isolated = True
        elif a == "--jobs":
            value = next(args, "")
            jobs = int(value) if value.isdigit() else 0
            if jobs < 1:
                print("bench-floor.py: --jobs wants a number of at least 1", file=sys.stderr)
                return 2
        else:
            files.append(os.path.abspath(a))
    if not files:
        print("usage: bench-floor.py [--verbose] [--isolated [--jobs N]] FILE.md...", file=sys.stderr)
        return 2

    time.sleep = lambda *_a, **_k: None
    asyncio.sleep = fast_asyncio_sleep

    total_ok = total_failed = 0
    old_cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        os.chdir(tmp)
        for name, content in DATA_FILES.items():
            with open(name, "w") as f:
                f.write(content)
        if isolated:
            import gc
            gc.freeze()  # the children share the warmed-up heap copy-on-write
        runs = (run_files_in_children(files, jobs, verbose) if isolated
                else ((path, *run_file(path, verbose)) for path in files))
        for path, ok, failed in runs:
            total_ok += ok
            total_failed += failed
            if verbose:
                print(f"{path}: {ok} ok, {failed} raised", file=sys.stderr)
        os.chdir(old_cwd)
    name = "floor" if not isolated else "isolated floor" if jobs == 1 else f"isolated floor, {jobs} at once"
    print(f"{name}: {total_ok + total_failed} blocks, {total_ok} ok, "
          f"{total_failed} raised", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
