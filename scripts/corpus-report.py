"""bench/corpus.md from scripts/corpus's JSON reports.

usage: corpus-report.py REPORTS_DIR PROJECT...

One table per project: examples, claims, holds, drifts, errors per document,
then each example the project's snipcheck.toml skips, with its reason.
"""

import json
import os
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


def project_section(reports, project):
    with open(os.path.join(reports, project + ".json")) as f:
        report = json.load(f)
    rows = [document_row(d) for d in report["documents"] if d["examples"]]
    lines, total = table(rows)
    out = [f"## {project}", "",
           f"{total['examples']} examples in {len(rows)} documents, "
           f"checked in {report['elapsed_seconds']:.2f} s "
           f"(CPython {report['python']}, venv `{report['venv']}`).", ""]
    out += lines
    config_path = f"bench/corpus/{project}/snipcheck.toml"
    with open(config_path, "rb") as f:
        skips = tomllib.load(f).get("skip", {})
    out += ["", f"Skipped in [`{config_path}`](corpus/{project}/snipcheck.toml) "
            f"({len(skips)}):" if skips else "No example skipped.", ""]
    out += [f"- `{example}`: {reason}" for example, reason in sorted(skips.items())]
    failing = [(e["id"], e["status"], (e.get("error") or {}).get("message", ""))
               for d in report["documents"] for e in d["examples"]
               if e["status"] in FAILED + ("drift",)]
    if failing:
        out += ["", "Failing:", ""]
        out += [f"- `{i}`: {status} {message}".rstrip() for i, status, message in failing]
    return out + [""]


def main():
    reports, projects = sys.argv[1], sys.argv[2:]
    out = ["# Real-world corpus", "",
           "Written by `scripts/corpus`: the docs of pinned releases whose own CI runs "
           "them (Sphinx doctest), fetched from PyPI, checked with the venv of those "
           "releases. Target: no error and no drift, except examples skipped with a "
           "reason in our config.", ""]
    for project in projects:
        out += project_section(reports, project)
    print("\n".join(out))


main()
