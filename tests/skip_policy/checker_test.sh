#!/usr/bin/env bash
# Self-test of scripts/check_skips.py on sample_junit.xml, where three tests skipped on purpose:
# unlisted they fail the check, each named with its reason; listed they pass; an entry without a
# reason and a missing file are errors; and the real tests/allowed_skips.txt is well-formed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
check="python3 $root/scripts/check_skips.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

: > "$tmp/none.txt"
rc=0
$check "$here/sample_junit.xml" "$tmp/none.txt" 2> "$tmp/err.txt" || rc=$?
[ "$rc" -eq 1 ] || fail "unlisted skips: exit $rc, expected 1"
grep -q "3 test(s) skipped" "$tmp/err.txt" || fail "no count in: $(cat "$tmp/err.txt")"
grep -q "demo.Example.Skips: needs a tool this machine lacks" "$tmp/err.txt" ||
  fail "the GTEST_SKIP and its reason are not named: $(cat "$tmp/err.txt")"
grep -q "demo.script_skips: SKIP_RETURN_CODE=77" "$tmp/err.txt" || fail "script skip not named"
grep -q "demo.Example.Off: disabled" "$tmp/err.txt" || fail "disabled test not named"
grep -q "demo.Example.Passes\|demo.script_passes" "$tmp/err.txt" && fail "a passing test named"

# Two of three allowed: still a failure, naming the third only.
printf '%s\n' "# comment" "demo.Example.Skips needs the tool" "demo.script_skips  ditto" \
  > "$tmp/two.txt"
rc=0
$check "$here/sample_junit.xml" "$tmp/two.txt" 2> "$tmp/err.txt" > /dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "one unlisted skip: exit $rc, expected 1"
grep -q "1 test(s) skipped" "$tmp/err.txt" || fail "expected one: $(cat "$tmp/err.txt")"

echo "demo.Example.Off kept for later  # a trailing comment" >> "$tmp/two.txt"
$check "$here/sample_junit.xml" "$tmp/two.txt" > "$tmp/out.txt" || fail "all allowed, yet it failed"
grep -q "3 skipped, all allowed" "$tmp/out.txt" || fail "no summary: $(cat "$tmp/out.txt")"

echo "demo.Example.Skips" > "$tmp/bare.txt"
rc=0
$check "$here/sample_junit.xml" "$tmp/bare.txt" 2> /dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "an entry without a reason: exit $rc, expected 2"
rc=0
$check "$tmp/missing.xml" "$tmp/none.txt" 2> /dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "a missing JUnit file: exit $rc, expected 2"

# The real list parses (a JUnit file without skips passes against it).
cat > "$tmp/clean.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="(empty)" tests="1"><testcase name="a" classname="a" status="run"/></testsuite>
XML
$check "$tmp/clean.xml" "$root/tests/allowed_skips.txt" > /dev/null ||
  fail "tests/allowed_skips.txt does not parse"
echo "check_skips self-test passed"
