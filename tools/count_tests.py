#!/usr/bin/env python3
"""Counts test cases from Bazel's test results for one `bazel test` run.

Usage: count_tests.py <bazel test output log> <testlogs dir>

Reads the per-target summary lines Bazel prints ("//pkg:t  PASSED in 1.2s",
"FAILED", "TIMEOUT", "FAILED TO BUILD", "NO STATUS", ...) and, for every target
that ran, the gtest cases in its test.xml. Prints "<passed> <failed>": a target
that failed without a readable test.xml, or failed although every case in its
XML passed (a crash after the last case, a sanitizer report), counts as one
failure.
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

SUMMARY = re.compile(
    r"^(//\S+)\s+(?:\(cached\)\s+)?"
    r"(PASSED|FAILED TO BUILD|FAILED|TIMEOUT|FLAKY|NO STATUS|INCOMPLETE|REMOTE FAILURE|SKIPPED)\b")


def cases(xml_path):
    passed = failed = 0
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError):
        return None
    for case in root.iter("testcase"):
        if case.get("status", "run") != "run" or case.get("result") == "skipped":
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
    return passed, failed


def shard_cases(target_dir):
    """Sums the cases of every shard_*/test.xml; None if there are none."""
    total = None
    for xml_path in sorted(glob.glob(os.path.join(target_dir, "shard_*",
                                                  "test.xml"))):
        counted = cases(xml_path)
        if counted is None:
            continue
        total = counted if total is None else (total[0] + counted[0],
                                               total[1] + counted[1])
    return total


def main():
    log, testlogs = sys.argv[1], sys.argv[2]
    passed = failed = 0
    with open(log, errors="replace") as f:
        for line in f:
            m = SUMMARY.match(line.strip())
            if not m:
                continue
            label, status = m.group(1), m.group(2)
            if status == "SKIPPED":
                continue
            rel = label[2:].replace(":", "/")
            counted = cases(os.path.join(testlogs, rel, "test.xml"))
            if counted is None:
                # A sharded test keeps one test.xml per shard.
                counted = shard_cases(os.path.join(testlogs, rel))
            ok = status in ("PASSED", "FLAKY")
            if counted is None or counted == (0, 0):
                # No per-case detail (e.g. an sh_test): the target is one test.
                counted = (1, 0) if ok else (0, 1)
            elif not ok and counted[1] == 0:
                counted = (counted[0], 1)
            passed += counted[0]
            failed += counted[1]
    print(passed, failed)


if __name__ == "__main__":
    main()
