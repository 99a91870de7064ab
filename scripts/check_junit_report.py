#!/usr/bin/env python3
"""Checks a JUnit XML report of `gcverify run --report junit FILE` as CI reads it.

usage: check_junit_report.py REPORT PROGRAMS [FAILURES]

REPORT must parse as XML, hold one <testsuite> whose counts agree with its
<testcase>s (one per program, each named and timed), PROGRAMS test cases and
FAILURES failures (default 0), every failure with a message and the report
text ending in its signature line. Exit 0 when it does, 1 with the reasons.
"""
import sys
import xml.etree.ElementTree as ElementTree


def problems(path, programs, failures):
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as error:
        return [f"{path}: does not parse as XML: {error}"]
    found = []
    suites = root.findall("testsuite")
    if root.tag != "testsuites" or len(suites) != 1:
        return [f"{path}: expected <testsuites> around one <testsuite>, found <{root.tag}> with {len(suites)}"]
    suite = suites[0]
    cases = suite.findall("testcase")
    failed = [case for case in cases if case.find("failure") is not None]
    errors = [case for case in cases if case.find("error") is not None]
    for element in (root, suite):
        counts = (element.get("tests"), element.get("failures"), element.get("errors"))
        if counts != (str(len(cases)), str(len(failed)), str(len(errors))):
            found.append(f"{path}: <{element.tag}> counts tests/failures/errors {counts}, "
                         f"its test cases {len(cases)}/{len(failed)}/{len(errors)}")
    if len(cases) != programs:
        found.append(f"{path}: {len(cases)} test cases, expected one per program: {programs}")
    if len(failed) != failures:
        found.append(f"{path}: {len(failed)} failures, expected {failures}")
    for case in cases:
        if not case.get("name") or case.get("time") is None:
            found.append(f"{path}: a test case without a name or a time: {case.attrib}")
        failure = case.find("failure")
        if failure is not None and (not failure.get("message") or "signature: " not in (failure.text or "")):
            found.append(f"{path}: {case.get('name')}: a failure without a message or a signature line")
    return found


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    found = problems(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) == 4 else 0)
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print(f"{sys.argv[1]}: a valid JUnit report of {sys.argv[2]} programs")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
