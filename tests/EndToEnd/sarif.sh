#!/usr/bin/env bash
# End-to-end: `dotnet build -p:ErrorLog=out.sarif` on a project referencing the packed package writes SARIF whose
# rules carry our help links: every CONC rule in the log has helpUri <RepositoryUrl>/blob/main/docs/rules/<ID>.md
# (RepositoryUrl from Directory.Build.props), and that page exists in the repository (docs/reliability.md).
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/showcase.bash"
e2e_pack
w=$e2e_work
show="$w/showcase"
e2e_showcase_copy "$show"
repo_url=$(grep -oE '<RepositoryUrl>[^<]+' "$e2e_repo/Directory.Build.props" | head -n 1 | sed 's/<RepositoryUrl>//')

if ! (cd "$show" && dotnet restore >"$w/restore.log" 2>&1); then
  e2e_fail "showcase copy restores" "$w/restore.log"
  e2e_finish
fi
e2e_build "$w/build.log" "$show" "-p:ErrorLog=$w/out.sarif"; code=$?
e2e_expect "dotnet build -p:ErrorLog=out.sarif writes a SARIF log" "$w/build.log" test -s "$w/out.sarif"

python3 - "$w/out.sarif" "$repo_url" "$e2e_repo" >"$w/check.txt" 2>&1 <<'PY'
import json, os, re, sys
path, url, repo = sys.argv[1:4]
log = json.load(open(path, encoding="utf-8-sig"))
problems, seen = [], set()
for run in log.get("runs", []):
    rules = {}
    # SARIF 2.1: tool.driver.rules; SARIF 1.0 (the compiler's default): runs[].rules as an object.
    for rule in run.get("tool", {}).get("driver", {}).get("rules", []):
        rules[rule.get("id")] = rule.get("helpUri")
    for rid, rule in (run.get("rules") or {}).items():
        rules[rid] = rule.get("helpUri")
    ids = {r.get("ruleId") for r in run.get("results", [])} | set(rules)
    for rid in sorted(i for i in ids if i and i.startswith("CONC")):
        # One ID with two descriptors (CONC203's Info shape next to its warnings) is written as CONC203 and
        # CONC203-001: SARIF rule entries must be unique. Both link to the ID's page.
        page = re.sub(r"-\d{3}$", "", rid)
        seen.add(page)
        expected = f"{url}/blob/main/docs/rules/{page}.md"
        if rules.get(rid) != expected:
            problems.append(f"{rid}: helpUri {rules.get(rid)!r}, expected {expected!r}")
        elif not os.path.isfile(os.path.join(repo, "docs", "rules", page + ".md")):
            problems.append(f"{rid}: docs/rules/{page}.md does not exist")
print("CONC rules in the log:", " ".join(sorted(seen)) or "none")
for p in problems:
    print(p)
sys.exit(1 if problems or not seen else 0)
PY
code=$?
cat "$w/check.txt"
e2e_expect "every CONC rule in the SARIF log carries its help link, and the linked page exists" "$w/check.txt" test "$code" -eq 0

e2e_finish
