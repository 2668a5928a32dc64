#!/usr/bin/env bash
# End-to-end: `dotnet format analyzers --severity info` on a copy of the showcase that references the packed
# package (docs/reliability.md). The format run must change files and report the rules it fixed; the result must
# build with no errors; every fixed rule must report fewer diagnostics than before; and a second run must find
# nothing left to fix (--verify-no-changes), so whatever a fixed rule still reports is a case its fix leaves alone.
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

(cd "$show" && dotnet format analyzers --severity info --no-restore --report "$w/report" -v diag) >"$w/format.log" 2>&1; code=$?
fixed=$(python3 - "$w/report/format-report.json" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1], encoding="utf-8-sig"))
except OSError:
    report = []
ids = sorted({c["DiagnosticId"] for f in report for c in f.get("FileChanges", []) if c["DiagnosticId"].startswith("CONC")})
print(" ".join(ids))
PY
)
e2e_expect "dotnet format analyzers --severity info: applies fixes for our rules (${fixed:-none})" "$w/format.log" \
  bash -c "[ $code -eq 0 ] && [ -n '$fixed' ] && ! diff -rq '$w/original' '$show' -x obj -x bin >/dev/null"

e2e_build "$w/after.log" "$show" "-p:ErrorLog=$w/after.sarif%2Cversion=2.1"; code=$?
e2e_expect "the formatted showcase builds with no errors" "$w/after.log" \
  bash -c "[ $code -eq 0 ] && ! grep -qE ': error ' '$w/after.log'"
sarif_counts "$w/after.sarif" >"$w/after.txt"

regressed=""
for id in $fixed; do
  b=$(awk -v id="$id" '$1 == id {print $2}' "$w/before.txt"); a=$(awk -v id="$id" '$1 == id {print $2}' "$w/after.txt")
  echo "$id: $b diagnostics before, ${a:-0} after"
  [ "${a:-0}" -lt "${b:-0}" ] || regressed="$regressed $id"
done
e2e_expect "every fixed rule reports fewer diagnostics after the fixes" "$w/after.txt" test -z "$regressed"

(cd "$show" && dotnet format analyzers --severity info --no-restore --verify-no-changes) >"$w/verify.log" 2>&1; code=$?
e2e_expect "a second dotnet format analyzers run finds nothing left to fix" "$w/verify.log" test "$code" -eq 0

e2e_finish
