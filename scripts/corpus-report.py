"""bench/corpus.md from scripts/corpus's JSON reports.

usage: corpus-report.py REPORTS_DIR PROJECT...

An overview (per project: snipcheck's counts, the blocks the project's
doc-test tool does not run, that tool's own count when re-run), then one
table per project, the examples its snipcheck.toml skips and every failing
example with its triage from known.toml. Exits 1 when a failure is not
triaged, or is triaged as one in a block the project's CI runs.
"""

import json
import os
import re
import sys
import tomllib

FAILED = ("error", "timeout", "crash")


def document_row(doc):
    examples = doc["examples"]
    claims = [c for e in examples for c in e["claims"]]
    return {
        "document": os.path.basename(doc["path"]),
        "examples": len(examples),
        "skipped": sum(e["status"] == "skipped" for e in examples),
        "claims": len(claims),
        "holds": sum(c["verdict"] == "holds" for c in claims),
        "drifts": sum(c["verdict"] == "drifts" for c in claims),
        "errors": sum(e["status"] in FAILED for e in examples),
    }


COLUMNS = ("document", "examples", "skipped", "claims", "holds", "drifts", "errors")


def table(rows):
    total = {c: sum(r[c] for r in rows) for c in COLUMNS[1:]}
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows + [dict(total, document="**total**")]:
        lines.append("| " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
    return lines, total


def load_toml(path):
    if not os.path.exists(path):
        return {}
    with open(path, "rb") as f:
        return tomllib.load(f)


def tool_count(path):
    """The doc-test tool's own verdict from its output: pytest's closing line
    (`6 passed, 1 skipped`), or phmutest's --log rows (`18 pass`)."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read()
    closing = re.findall(r"^=+ (.+?) in [0-9.]+s\b.*=+$", text, re.M)
    if closing:
        return closing[-1]
    rows = re.findall(r"^\S+:\d+.*?\s(pass|failed|error|skip)\s*$", text, re.M)
    if rows:
        return ", ".join(f"{rows.count(r)} {r}" for r in dict.fromkeys(rows))
    return "no count found in its output"


def not_run_by(summary):
    entries = summary.get("not_run_by", [])
    return "; ".join(f"{n['blocks']} by {n['tool']} (ran {n['ran']}, failed {n['failed']})"
                     for n in entries) or "0"


def failures(report):
    return [(e["id"], e["line"], e["status"], (e.get("error") or {}).get("message", ""))
            for d in report["documents"] for e in d["examples"]
            if e["status"] in FAILED + ("drift",)]


class Project:
    def __init__(self, reports, name):
        self.name = name
        with open(os.path.join(reports, name + ".json")) as f:
            self.report = json.load(f)
        base = f"bench/corpus/{name}"
        self.config_path = f"{base}/snipcheck.toml"
        self.skips = load_toml(self.config_path).get("skip", {})
        self.known = load_toml(f"{base}/known.toml")
        self.missed = self.known.pop("missed", {})
        self.tool = load_toml(f"{base}/tool.toml")
        self.tool_count = tool_count(os.path.join(reports, name + ".tool.txt"))
        self.failing = failures(self.report)

    def fatal(self):
        """Failures that fail scripts/corpus: untriaged, or in a block the CI runs."""
        return [f for f in self.failing
                if self.known.get(f[0], {}).get("ci_runs", True)]

    def overview_row(self):
        s = self.report["summary"]
        own = self.tool.get("tool", "?")
        own += f": {self.tool_count}" if self.tool_count else " (not re-run)"
        return (f"| {self.name} | {s['examples']} | {s['pass']} | {s['drift']} | "
                f"{s['error'] + s['timeout'] + s['crash']} | {s['skipped']} | "
                f"{not_run_by(s)} | {own} |")

    def section(self):
        report = self.report
        rows = [document_row(d) for d in report["documents"] if d["examples"]]
        lines, total = table(rows)
        out = [f"## {self.name}", "",
               f"{total['examples']} examples in {len(rows)} documents, "
               f"checked in {report['elapsed_seconds']:.2f} s "
               f"(CPython {report['python']}, venv `{report['venv']}`).", "",
               f"Its CI: {self.tool.get('ci', 'unknown')}.", ""]
        if self.tool_count:
            out += [f"Re-run here: `{self.tool['command']}` → {self.tool_count}.", ""]
        out += lines
        out += ["", f"Not run by the project's doc-test tool (snipcheck's count): "
                f"{not_run_by(report['summary'])}.", ""]
        if self.skips:
            out += [f"Skipped in [`{self.config_path}`](corpus/{self.name}/snipcheck.toml) "
                    f"({len(self.skips)}):", ""]
            out += [f"- `{example}`: {reason}" for example, reason in sorted(self.skips.items())]
        else:
            out.append("No example skipped.")
        for missed in self.missed.values():
            out += ["", f"Passes that check less than its CI does (class {missed['class']}, "
                    f"{len(missed['lines'])} blocks, lines "
                    f"{', '.join(map(str, missed['lines']))}): {missed['cause']}"]
        if self.failing:
            out += ["", "Failing (triage in "
                    f"[`bench/corpus/{self.name}/known.toml`](corpus/{self.name}/known.toml)):", ""]
            for i, line, status, message in self.failing:
                k = self.known.get(i)
                why = (f"{'in a block its CI runs' if k.get('ci_runs', True) else 'not run by its CI'}"
                       f", class {k.get('class', '?')}: {k.get('cause', '')}" if k else "UNTRIAGED")
                out.append(f"- `{i}` (line {line}): {status} {message}".rstrip() + f" — {why}")
        passing = sorted(set(self.known) - {f[0] for f in self.failing})
        if passing:
            out += ["", "Triaged in known.toml but no longer failing (delete the entry): "
                    + ", ".join(f"`{i}`" for i in passing)]
        return out + [""]


def main():
    reports, names = sys.argv[1], sys.argv[2:]
    projects = [Project(reports, name) for name in names]
    out = ["# Real-world corpus", "",
           "Written by `scripts/corpus`: the docs of pinned releases whose own CI runs "
           "them through a doc-test tool, fetched from PyPI, checked with a venv of "
           "those releases; where we can, the project's own doc-test command is re-run "
           "in a venv of its own. Target: no error and no drift in a block the "
           "project's CI runs, except examples skipped with a reason in our config.", "",
           "| project | examples | pass | drift | error | skipped | not run by its tool "
           "| its tool's own count |",
           "|---|---|---|---|---|---|---|---|"]
    out += [p.overview_row() for p in projects] + [""]
    for p in projects:
        out += p.section()
    print("\n".join(out))
    fatal = [(p.name, f[0]) for p in projects for f in p.fatal()]
    for name, example in fatal:
        print(f"corpus: {name}: {example} fails (untriaged, or in a block its CI runs)",
              file=sys.stderr)
    sys.exit(1 if fatal else 0)


main()
