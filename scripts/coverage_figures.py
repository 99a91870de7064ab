#!/usr/bin/env python3
"""Coverage figures of one layer from `llvm-cov show -show-branches=count`.

Reads llvm-cov-19's text report of the sources under one directory (stdin)
and prints, for that directory:

    lines L% (covered/total), branches B% (covered/total); accounted: lines
    L'% (..), branches B'% (..), N lines and M branch sides unreachable by
    design (docs/coverage.md)

"Accounted" leaves out the misses that a source line explains as
unreachable from heap programs by design (what it marks and was reached
still counts), with a comment `// coverage: REASON`, where REASON is a
key of REASONS below (one table: this script and docs/coverage.md read it).
The mark covers its own line (and the branches on it), or on a line of its
own the statement that follows; a marked line that opens a block with `{`
marks the whole block.

  --missed FILE   writes every missed line and branch side, grouped by
                  reason, unmarked ones first (markdown, for docs/coverage.md)
  --target L,B    exits 1 when the accounted lines or branches fall below
                  L% or B% (the figures are printed either way)
"""
import argparse
import collections
import re
import sys

# Why a line is not reached by heap programs. One row per reason.
REASONS = {
    "oom": "runs only when the system itself refuses memory (mmap, malloc or realloc) or a size "
           "overflows; the failure plan (docs/out-of-memory.md) refuses requests before they reach "
           "the system, so no heap program reaches it",
    "geometry": "rejects an invalid allocator geometry, which only a caller of gcheap::Allocator "
                "can give; tests/impl/allocator_test.cc (AllocatorSizeClasses.InvalidGeometriesAreRejected) reaches it",
    "damage": "detects a heap that broke its own invariants (a freed or overwritten object, a lost "
              "generation); reached by the seeded bugs of the kill matrix (docs/kill-matrix.md)",
    "invariant": "the failure side of an invariant check (GCHEAP_CHECK); tests/impl/invariants_test.cc's "
                 "death tests reach it",
    "no-hooks": "gcheap without the adapter's hooks, as the benchmarks and tests/impl use it; "
                "the adapter always installs them",
    "defensive": "a guard its callers never trip today (they establish the condition first, or every "
                 "object they pass is a tracked container with a serial, or the executor never calls a "
                 "step of a capability the machine lacks); kept so that the function is safe on its own",
    "seeded-bug": "a seeded bug's code (GCHEAP_SEEDED(name, false, true)), off in the normal "
                  "build; the seeded-bugs build runs it (docs/seeded-bugs.md, docs/kill-matrix.md)",
    "not-in-language": "what gcheap supports but heap programs cannot say (a finalizer on a str, "
                       "an int or a weakref); tests/impl reach it",
}

LINE = re.compile(r"^(?: *\|  )* *(\d+)\|([^|]*)\|(.*)$")  # nested: an expansion's view
BRANCH = re.compile(r"^(?: *\|  )+Branch \((\d+):(\d+)\): \[True: ([^,]+), False: ([^\]]+)\]")
FILE = re.compile(r"^(/.*):$")
MARK = re.compile(r"//.*\bcoverage: ([a-z-]+)")
SEEDED = re.compile(r"GCHEAP_SEEDED\([a-z_0-9]+, false, true\)")


def is_zero(count):
    return count.strip() in ("0", "0.0")


def code_of(text):
    return text.split("//")[0].rstrip()


def marked_lines(path):
    """line number -> reason, for every line a `// coverage: REASON` mark covers."""
    with open(path, encoding="utf-8") as f:
        source = f.read().split("\n")
    marks = {}
    for number, text in enumerate(source, 1):
        found = MARK.search(text)
        if found:
            reason = found.group(1)
        elif SEEDED.search(text):
            reason = "seeded-bug"
        else:
            continue
        if reason not in REASONS:
            sys.exit(f"{path}:{number}: unknown coverage reason '{reason}' (known: {', '.join(REASONS)})")
        start = number
        if not code_of(text):  # a comment line marks the statement after it
            start += 1
            while start < len(source) and not code_of(source[start - 1]).endswith((";", "{", "}")):
                marks[start] = reason
                start += 1
        marks[start] = reason
        code = code_of(source[start - 1])
        if code.endswith("{"):  # the block it opens
            depth = 1  # the brace it ends with (it may close another first: `} catch (...) {`)
            end = start
            while depth > 0 and end < len(source):
                end += 1
                depth += source[end - 1].count("{") - source[end - 1].count("}")
                marks[end] = reason
    return marks


def parse(stream):
    """Per file: {line: (count_is_zero, text)} and [(line, col, side)] of missed branch sides, and totals."""
    files = collections.OrderedDict()
    current = None
    for raw in stream:
        line = raw.rstrip("\n")
        m = FILE.match(line)
        if m:
            current = files.setdefault(m.group(1), {"lines": {}, "branches": []})
            continue
        if current is None:
            continue
        m = BRANCH.match(line)
        if m:
            number, column = int(m.group(1)), int(m.group(2))
            for side, count in (("true", m.group(3)), ("false", m.group(4))):
                current["branches"].append((number, column, side, is_zero(count)))
            continue
        m = LINE.match(line)
        if m and m.group(2).strip():
            current["lines"][int(m.group(1))] = (is_zero(m.group(2)), m.group(3))
    return files


def percent(covered, total):
    return f"{100.0 * covered / total:.2f}% ({covered}/{total})" if total else "- (0/0)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--missed")
    parser.add_argument("--target")
    parser.add_argument("--root", default="")
    args = parser.parse_args()

    files = parse(sys.stdin)
    totals = collections.Counter()
    missed = collections.defaultdict(list)  # reason (or "") -> entries

    def count(kind, reason, zero, entry):
        totals[kind] += 1
        totals[kind + " covered"] += not zero
        if zero:
            totals[kind + " explained"] += bool(reason)
            missed[reason].append(entry)

    for path, data in files.items():
        marks = marked_lines(path)
        shown = path[len(args.root):].lstrip("/") if args.root and path.startswith(args.root) else path
        for number, (zero, text) in sorted(data["lines"].items()):
            count("lines", marks.get(number, ""), zero, f"`{shown}:{number}` {text.strip()[:100]}")
        for number, column, side, zero in data["branches"]:
            text = data["lines"].get(number, (False, ""))[1].strip()[:100]
            count("branches", marks.get(number, ""), zero, f"`{shown}:{number}:{column}` never {side}: {text}")

    lines = (totals["lines covered"], totals["lines"])
    branches = (totals["branches covered"], totals["branches"])
    accounted_lines = (lines[0], lines[1] - totals["lines explained"])
    accounted_branches = (branches[0], branches[1] - totals["branches explained"])
    print(f"lines {percent(*lines)}, branches {percent(*branches)}; "
          f"accounted: lines {percent(*accounted_lines)}, branches {percent(*accounted_branches)} "
          f"({totals['lines explained']} missed lines and {totals['branches explained']} missed branch sides "
          "marked unreachable)")

    if args.missed:
        with open(args.missed, "w", encoding="utf-8") as out:
            for reason in sorted(missed, key=lambda r: (r != "", r)):
                title = "not marked: a gap to close" if not reason else f"`{reason}`: {REASONS[reason]}"
                out.write(f"\n#### {title} ({len(missed[reason])})\n\n")
                for entry in missed[reason]:
                    out.write(f"- {entry}\n")

    if args.target:
        want_lines, want_branches = (float(v) for v in args.target.split(","))
        got_lines = 100.0 * accounted_lines[0] / max(accounted_lines[1], 1)
        got_branches = 100.0 * accounted_branches[0] / max(accounted_branches[1], 1)
        if got_lines < want_lines or got_branches < want_branches:
            print(f"below the target of {want_lines:g}% of lines and {want_branches:g}% of branches")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
