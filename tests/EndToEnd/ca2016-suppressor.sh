#!/usr/bin/env bash
# End-to-end check of src/Analyzers/Suppressors/CA2016Suppressor.cs in a real `dotnet build` (the SDK's CA2016 needs a
# newer Roslyn than the unit tests' 4.8 host): a throwaway project with CA2016 raised to warning must show CONC401
# and no CA2016 on the calls CONC401 reports, while CA2016 stays where CONC401 is silent (so CA2016 is really on).
# Exits non-zero on failure.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tfm="net$(dotnet --version | cut -d. -f1).0"

cat >"$work/E2E.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>$tfm</TargetFramework>
    <OutputType>Library</OutputType>
    <Nullable>enable</Nullable>
    <EnableNETAnalyzers>true</EnableNETAnalyzers>
    <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$repo/src/Analyzers/Analyzers.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
XML

cat >"$work/.editorconfig" <<'CFG'
root = true
[*.cs]
dotnet_diagnostic.CA2016.severity = warning
CFG

cat >"$work/Calls.cs" <<'CS'
using System;
using System.Threading;
using System.Threading.Tasks;

public class Calls
{
    public Task RollbackAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public async Task RunAsync(CancellationToken ct)
    {
        await Task.Delay(100);                 // line 11: CONC401 only (CA2016 suppressed)
        await RollbackAsync();                 // line 12: CONC401 only (CA2016 suppressed)
        try
        {
            await Task.Yield();
        }
        catch (Exception)
        {
            await RollbackAsync();             // line 19: CONC401 is silent in catch blocks: CA2016 stays
        }
    }
}
CS

log="$work/build.log"
if ! dotnet build "$work/E2E.csproj" -nologo -v:q --no-incremental >"$log" 2>&1; then
  cat "$log"
  echo "FAIL: the throwaway project did not build"
  exit 1
fi

has() { grep -E "Calls\.cs\($1,[0-9]+\): warning $2" "$log" >/dev/null; }
fail=0
check() { # line, id, expected (yes/no), what
  if has "$1" "$2"; then got=yes; else got=no; fi
  if [ "$got" != "$3" ]; then echo "FAIL: line $1 $2 expected $3, got $got ($4)"; fail=1; else echo "ok: line $1 $2 $3 ($4)"; fi
}

check 11 CONC401 yes "Task.Delay without the token"
check 11 CA2016 no "suppressed in favour of CONC401"
check 12 CONC401 yes "optional token left to default"
check 12 CA2016 no "suppressed in favour of CONC401"
check 19 CA2016 yes "CONC401 silent in catch: CA2016 is active and not suppressed"
check 19 CONC401 no "cleanup in catch is not reported"

if [ "$fail" -ne 0 ]; then
  echo "--- build output ---"
  cat "$log"
  exit 1
fi
echo "PASS: CA2016 is suppressed exactly where CONC401 reports"
