#!/usr/bin/env bash
# End-to-end: `dotnet format analyzers --severity info` (limited to the rules the showcase demonstrates) on a copy
# of the showcase that references the packed package (docs/reliability.md). The run must succeed; the result must
# build with no errors; the rules it fixed report fewer diagnostics than before;
# and repeated runs reach a fixed point.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/showcase.bash"
e2e_pack
w=$e2e_work
show="$w/showcase"
e2e_showcase_copy "$show"
cp -r "$show" "$w/original"

# Counts per rule ID in a SARIF 2.1 log, as "ID count" lines.
sarif_counts() {
  python3 - "$1" <<'PY'
import json, sys, collections
log = json.load(open(sys.argv[1], encoding="utf-8-sig"))
counts = collections.Counter(r["ruleId"] for run in log.get("runs", []) for r in run.get("results", [])
                             if r.get("ruleId", "").startswith("CONC") and not r.get("suppressions"))
for rule, n in sorted(counts.items()):
    print(rule, n)
PY
}

if ! (cd "$show" && dotnet restore >"$w/restore.log" 2>&1); then
  e2e_fail "showcase copy restores" "$w/restore.log"
  e2e_finish
fi
e2e_build "$w/before.log" "$show" "-p:ErrorLog=$w/before.sarif%2Cversion=2.1"
sarif_counts "$w/before.sarif" >"$w/before.txt"

rules=$(e2e_showcase_rules)
# Only our rules: the SDK's own info-level rules (e.g. CA1822) would otherwise be fixed too and hide ours.
(cd "$show" && dotnet format analyzers --severity info --no-restore --diagnostics $rules -v diag) >"$w/format.log" 2>&1; code=$?
e2e_expect "dotnet format analyzers --severity info --diagnostics <our rules>: succeeds" "$w/format.log" test "$code" -eq 0

e2e_build "$w/after.log" "$show" "-p:ErrorLog=$w/after.sarif%2Cversion=2.1"; code=$?
e2e_expect "the formatted showcase builds with no errors" "$w/after.log" \
  bash -c "[ $code -eq 0 ] && ! grep -qE ': error ' '$w/after.log'"
sarif_counts "$w/after.sarif" >"$w/after.txt"

fixed=""
for id in $rules; do
  b=$(awk -v id="$id" '$1 == id {print $2}' "$w/before.txt"); a=$(awk -v id="$id" '$1 == id {print $2}' "$w/after.txt")
  echo "$id: ${b:-0} diagnostics before dotnet format, ${a:-0} after"
  [ "${a:-0}" -lt "${b:-0}" ] && fixed="$fixed $id"
done
e2e_expect "dotnet format applied fixes of ours: fewer diagnostics for$fixed" "$w/format.log" \
  bash -c "[ -n '$fixed' ] && ! diff -rq '$w/original' '$show' -x obj -x bin >/dev/null"
# dotnet format starts each rule's Fix All from its first diagnostic, with no equivalence key when that one has no fix;
# CONC103's first showcase case (an async lambda passed as Action) has none, and its fixable cases must still be fixed
# (src/CodeFixes/Editing/FixAllProviders.cs, docs/reliability.md).
e2e_expect "a rule whose first diagnostic has no fix still gets its fixable diagnostics fixed (CONC103)" "$w/format.log" \
  bash -c "echo ' $fixed ' | grep -q ' CONC103 '"

# Repeated runs must reach a fixed point. dotnet format applies one equivalence key per rule per run (the key of the
# first diagnostic's first action), so a rule with several fix variants (CONC203's maxCount and move-the-wait fixes,
# CONC301's lock and concurrent-collection fixes, CONC604's using and guard) needs one run per variant, and a fix can
# enable another rule's (CONC406 adds a token parameter that CONC401 then passes on). Each fix on its own is
# idempotent (Reliability.Tests' FixSafetyTests run every Fix All twice). Not --verify-no-changes: it fails on any
# diagnostic a fixer is registered for, including the ones its fix deliberately leaves alone.
converged=0
for run in 2 3 4; do
  rm -rf "$w/previous"; cp -r "$show" "$w/previous"
  (cd "$show" && dotnet format analyzers --severity info --no-restore --diagnostics $rules) >"$w/run$run.log" 2>&1 || break
  if diff -r "$w/previous" "$show" -x obj -x bin >"$w/run$run.diff" 2>&1; then
    converged=$run
    break
  fi
  echo "dotnet format run $run still changed:"; grep -E '^diff ' "$w/run$run.diff" | sed 's/^/  /'
done
[ "$converged" -eq 0 ] && cat "$w"/run*.diff >>"$w/format.log" 2>/dev/null
e2e_expect "repeated dotnet format analyzers runs reach a fixed point (run $converged changed nothing)" "$w/format.log" \
  test "$converged" -ne 0

e2e_build "$w/final.log" "$show"; code=$?
e2e_expect "the showcase still builds after every run" "$w/final.log" \
  bash -c "[ $code -eq 0 ] && ! grep -qE ': error ' '$w/final.log'"

e2e_finish
