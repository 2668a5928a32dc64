#!/usr/bin/env bash
# End to end: each ConcurrencyAnalysisMode preset, set in a fresh project that uses the packed package, changes the
# reported set as docs/configuration.md says. Exits non-zero on the first failed check.
# Uses the package .ci/run packed (CONC_E2E_FEED), else packs one. Prints one "e2e-check:" line per check.
source "$(dirname "$0")/common.bash"
e2e_pack
repo=$e2e_repo
work=$e2e_work
feed=$e2e_feed
version=$e2e_version

has_rule() { grep -qE "^$1 " "$repo/src/Analyzers/AnalyzerReleases.Unshipped.md" "$repo/src/Analyzers/AnalyzerReleases.Shipped.md"; }

e2e_project "$work/app"
cat > "$work/app/App.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <NoWarn>\$(NoWarn);CS1998;CS4014</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="ConcurrencyAnalyzers" Version="$version" />
  </ItemGroup>
</Project>
XML
# One case per rule the checks below look at: CONC103 (Warning, on), CONC106 (Info, on), CONC406 (off by default).
cat > "$work/app/Cases.cs" <<'CS'
namespace App;

public class Cases
{
    private readonly HttpClient _http = new();

    public async void Fire() => await Task.Yield();

    public async Task FanOutAsync(IEnumerable<string> urls)
    {
        await Task.WhenAll(urls.Select(u => _http.GetStringAsync(u)));
    }

    public async Task<string> FetchAsync(string url) => await _http.GetStringAsync(url);
}
CS

build() { # $1 = mode; prints the CONC IDs reported
  rm -rf "$work/app/bin" "$work/app/obj"
  dotnet build "$work/app/App.csproj" -p:ConcurrencyAnalysisMode="$1" -nologo --disable-build-servers 2>&1 |
    grep -oE '(warning|info|error) CONC[0-9]+' | sort -u || true
}

failed=0
expect() { # $1 = mode, $2 = "present"/"absent", $3 = pattern
  local out=$4
  if [ "$2" = present ] && ! grep -q "$3" <<<"$out"; then echo "e2e-check: FAIL preset $1: expected '$3'"; failed=1;
  elif [ "$2" = absent ] && grep -q "$3" <<<"$out"; then echo "e2e-check: FAIL preset $1: did not expect '$3'"; failed=1;
  else echo "e2e-check: PASS preset $1: $2 '$3'"; fi
}

out=$(build Default)
expect Default present "warning CONC103" "$out"
has_rule CONC106 && expect Default absent "warning CONC106" "$out"   # Info: not a build warning
has_rule CONC406 && expect Default absent "CONC406" "$out"

out=$(build Recommended)
expect Recommended present "warning CONC103" "$out"
has_rule CONC106 && expect Recommended present "warning CONC106" "$out"   # Info by default, raised
has_rule CONC406 && expect Recommended absent "CONC406" "$out"

out=$(build Strict)
expect Strict present "warning CONC103" "$out"
has_rule CONC406 && expect Strict present "warning CONC406" "$out"

out=$(build None)
expect None absent "CONC" "$out"

exit $failed
