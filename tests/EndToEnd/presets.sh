#!/usr/bin/env bash
# End to end: each ConcurrencyAnalysisMode preset, set in a fresh project that uses the packed package, changes the
# reported set as docs/configuration.md says. Exits non-zero on the first failed check.
# Usage: tests/EndToEnd/presets.sh [folder with ConcurrencyAnalyzers.*.nupkg]  (packs one when not given)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NUGET_PACKAGES="$work/packages"

feed=${1:-}
if [ -z "$feed" ]; then
  feed="$work/feed"
  dotnet pack "$repo/src/Package" -c Release -o "$feed" -v:q -nologo >/dev/null
fi
version=$(ls "$feed"/ConcurrencyAnalyzers.*.nupkg | head -1 | sed -E 's/.*ConcurrencyAnalyzers\.(.*)\.nupkg/\1/')

has_rule() { grep -qE "^$1 " "$repo/src/Analyzers/AnalyzerReleases.Unshipped.md" "$repo/src/Analyzers/AnalyzerReleases.Shipped.md"; }

mkdir -p "$work/app"
cat > "$work/app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$feed" />
  </packageSources>
</configuration>
XML
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
  dotnet build "$work/app/App.csproj" -p:ConcurrencyAnalysisMode="$1" --configfile "$work/app/nuget.config" -nologo 2>&1 |
    grep -oE '(warning|info|error) CONC[0-9]+' | sort -u || true
}

failed=0
expect() { # $1 = mode, $2 = "present"/"absent", $3 = pattern
  local out=$4
  if [ "$2" = present ] && ! grep -q "$3" <<<"$out"; then echo "FAIL [$1]: expected '$3'"; failed=1;
  elif [ "$2" = absent ] && grep -q "$3" <<<"$out"; then echo "FAIL [$1]: did not expect '$3'"; failed=1;
  else echo "ok   [$1]: $2 '$3'"; fi
}

out=$(build Default)
expect Default present "warning CONC103" "$out"
has_rule CONC406 && expect Default absent "CONC406" "$out"

out=$(build Recommended)
expect Recommended present "warning CONC103" "$out"
has_rule CONC406 && expect Recommended absent "CONC406" "$out"

out=$(build Strict)
expect Strict present "warning CONC103" "$out"
has_rule CONC406 && expect Strict present "warning CONC406" "$out"

out=$(build None)
expect None absent "CONC" "$out"

exit $failed
