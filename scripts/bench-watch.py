#!/usr/bin/env python3
"""bench-watch.py - edit->verdict latency of `snipcheck watch`, for scripts/bench.

Usage: bench-watch.py [--edits N] [--timeout S] SNIPCHECK GUIDE.md

Copies GUIDE.md into a temp dir, starts `SNIPCHECK watch TMP/GUIDE.md`
there (stdout and stderr piped, each read by a thread) and waits for its
first `watch: ... watching ...` line on stderr (the end of a check). Then N
times (default 5): saves the guide as editors do (writes a temp file in the
same folder, then os.replace()s it over the guide) with ONE example changed
(a line `x_bench_I = I` added at the top of the first ```python block, which
keeps the file valid and every stated output true), takes t0 right after
the rename, and waits for the next `watch:` line (its arrival time is t1).
Prints one line on stdout: the median and range of t1 - t0 in ms, the time
to the first verdict, and the last "N examples: ..." summary the watcher
printed. Then stops the watcher (SIGINT, as Ctrl-C; SIGTERM / SIGKILL if it
lingers). Exit status 1 (reason on stderr) when a verdict does not come
within --timeout seconds (default 30).

Standard library only.
"""

import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

FENCE = re.compile(r"^\s*```\s*(python|py|python3)\s*$")
SUMMARY = re.compile(r"^\d+ examples: ")
SETTLE_S = 0.5  # after a verdict: time for stray re-checks before the next save


def edited(text, i):
    """text with `x_bench_i = i` added as the first code line of the first
    ```python block (after any `from __future__` lines, which must come
    first)."""
    lines = text.splitlines(keepends=True)
    for k, line in enumerate(lines):
        if FENCE.match(line):
            at = k + 1
            indent = re.match(r"\s*", line).group(0)
            while at < len(lines) and lines[at].lstrip().startswith("from __future__"):
                at += 1
            return "".join(lines[:at] + [f"{indent}x_bench_{i} = {i}\n"] + lines[at:])
    raise SystemExit("bench-watch: no ```python block in the guide")


def save(path, text):
    """Write text to a temp file beside path, then rename it over path."""
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".bench-watch-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def stop(proc):
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, 5), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            # The watcher runs in its own session: signal its group, which
            # holds the worker processes it started.
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def main(argv):
    edits, timeout = 5, 30.0
    args = []
    it = iter(argv)
    for a in it:
        if a == "--edits":
            edits = int(next(it))
        elif a == "--timeout":
            timeout = float(next(it))
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        else:
            args.append(a)
    if len(args) != 2 or edits < 1:
        print("usage: bench-watch.py [--edits N] [--timeout S] SNIPCHECK GUIDE.md",
              file=sys.stderr)
        return 2
    snipcheck, source = os.path.abspath(args[0]), args[1]

    tmp = tempfile.mkdtemp(prefix="snipcheck-bench-watch.")
    proc = None
    try:
        guide = os.path.join(tmp, os.path.basename(source))
        shutil.copyfile(source, guide)
        with open(guide, encoding="utf-8") as f:
            original = f.read()

        verdicts = queue.Queue()   # arrival times of the `watch: ... watching` lines
        other_err = []             # the rest of stderr, for diagnostics
        summaries = []             # the "N examples: ..." lines of stdout

        t_start = time.perf_counter()
        proc = subprocess.Popen(
            [snipcheck, "watch", guide], cwd=tmp,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)

        def read_stderr():
            for raw in proc.stderr:
                t = time.perf_counter()
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if line.startswith("watch: ") and "watching" in line:
                    verdicts.put((t, line))
                else:
                    other_err.append(line)
            verdicts.put((None, None))  # EOF: the watcher exited

        def read_stdout():
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if SUMMARY.match(line):
                    summaries.append(line)

        for target in (read_stderr, read_stdout):
            threading.Thread(target=target, daemon=True).start()

        def next_verdict(what):
            try:
                t, line = verdicts.get(timeout=timeout)
            except queue.Empty:
                raise SystemExit(f"bench-watch: no `watch:` line within {timeout:g} s {what}")
            if t is None:
                proc.wait()
                tail = other_err[-1] if other_err else ""
                raise SystemExit(f"bench-watch: snipcheck watch exited ({proc.returncode}) "
                                 f"{what}: {tail}")
            return t, line

        t_first, first_line = next_verdict("after the start")
        print(f"bench-watch: {first_line}", file=sys.stderr)

        latencies, extra = [], 0
        for i in range(1, edits + 1):
            time.sleep(SETTLE_S)
            while True:  # stray re-checks (several events for one save) do not count
                try:
                    t, _ = verdicts.get_nowait()
                except queue.Empty:
                    break
                if t is None:
                    verdicts.put((None, None))
                    break
                extra += 1
            save(guide, edited(original, i))
            t0 = time.perf_counter()
            t1, line = next_verdict(f"after edit {i}")
            latencies.append((t1 - t0) * 1000)
            print(f"bench-watch: edit {i}: {latencies[-1]:.0f} ms: {line}", file=sys.stderr)

        ms = statistics.median(latencies)
        result = (f"median {ms:.0f} ms, range {min(latencies):.0f}–{max(latencies):.0f} ms "
                  f"over {len(latencies)} saves (first verdict {1000 * (t_first - t_start):.0f} ms "
                  f"after start")
        if extra:
            result += f"; {extra} extra re-check(s) seen"
        if summaries:
            result += f"; last report: {summaries[-1]}"
        print(result + ")")
        return 0
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
