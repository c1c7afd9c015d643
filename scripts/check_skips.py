#!/usr/bin/env python3
"""Fails when a test skipped that tests/allowed_skips.txt does not allow.

Usage: check_skips.py JUNIT_XML ALLOWED_SKIPS

JUNIT_XML is what `ctest --output-junit` writes. ctest reports a GoogleTest GTEST_SKIP (matched by
the SKIP_REGULAR_EXPRESSION of tests/CMakeLists.txt) and a script test's exit code 77
(SKIP_RETURN_CODE) as skipped, and a DISABLED_ test as disabled; each such test must be listed in
ALLOWED_SKIPS, one a line: the ctest name, then the reason it may skip ('#' starts a comment).
Exit status: 0 when every skip is allowed, 1 when one is not, 2 for unreadable input.
"""
import sys
import xml.etree.ElementTree as ET


def read_allowed(path):
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, _, reason = line.partition(" ")
            if not reason.strip():
                raise ValueError(f"{path}:{number}: '{name}' has no reason; write why it may skip")
            allowed[name] = reason.strip()
    return allowed


def skip_reason(case):
    """The reason GoogleTest printed after 'Skipped', else ctest's skip message."""
    out = case.findtext("system-out") or ""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.endswith(": Skipped") and i + 1 < len(lines) and lines[i + 1].strip():
            return lines[i + 1].strip()
    skipped = case.find("skipped")
    if skipped is not None:
        return skipped.get("message", "skipped")
    return case.get("status", "")


def skipped_tests(junit):
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("skipped") is not None or case.get("status") == "disabled":
            yield case.get("name"), skip_reason(case)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    junit, allowed_path = argv[1], argv[2]
    try:
        allowed = read_allowed(allowed_path)
        skipped = list(skipped_tests(junit))
    except (OSError, ET.ParseError, ValueError) as e:
        print(f"check_skips: {e}", file=sys.stderr)
        return 2
    unexpected = [(name, why) for name, why in skipped if name not in allowed]
    for name, why in skipped:
        if name in allowed:
            print(f"check_skips: allowed skip: {name} ({why}); listed because {allowed[name]}")
    if unexpected:
        print(f"check_skips: {len(unexpected)} test(s) skipped that {allowed_path} does not allow:",
              file=sys.stderr)
        for name, why in unexpected:
            print(f"  {name}: {why}", file=sys.stderr)
        return 1
    print(f"check_skips: {len(skipped)} skipped, all allowed by {allowed_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
