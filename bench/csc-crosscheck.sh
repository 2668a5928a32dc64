#!/usr/bin/env bash
# Cross-checks the benchmark's telemetry with the real compiler: builds the generated corpus with `dotnet build`
# (csc through the compiler server, -p:ReportAnalyzer=true) without analyzers, with ours, and with ours and the
# peers, and prints csc's own per-package analyzer times next to the Csc task's time.
#
#   bash bench/csc-crosscheck.sh            # 50,000 lines; 2 warm-up rounds, then 5
#   ROUNDS=3 WARMUP=1 LINES=20000 bash bench/csc-crosscheck.sh
#
# Not part of CI. It restores the peer packages the benchmark uses (versions from Directory.Packages.props).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-5}
warmup=${WARMUP:-2}
lines=${LINES:-50000}
work=$(mktemp -d)
trap 'dotnet build-server shutdown >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

version() { sed -n "s/.*PackageVersion Include=\"$1\" Version=\"\([^\"]*\)\".*/\1/p" "$root/Directory.Packages.props"; }

dotnet build -c Release "$root/src/Analyzers" -o "$work/analyzer" -v:q -nologo >/dev/null
dotnet build -c Release "$root/bench/Analyzers.Benchmarks" -v:q -nologo >/dev/null
dotnet "$root/bench/Analyzers.Benchmarks/bin/Release/net10.0/Analyzers.Benchmarks.dll" \
  --write-corpus "$work/corpus/src" --iterations 0 --lines "$lines" >/dev/null

# The benchmark's compilation options: Release, nullable, unsafe, no implicit usings; no SDK analyzers.
cat > "$work/corpus/Corpus.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
    <ImplicitUsings>disable</ImplicitUsings>
    <EnableNETAnalyzers>false</EnableNETAnalyzers>
    <ReportAnalyzer>true</ReportAnalyzer>
    <UseSharedCompilation>true</UseSharedCompilation>
    <NoWarn>\$(NoWarn);CS1591</NoWarn>
  </PropertyGroup>
  <ItemGroup Condition="'\$(Ours)' == 'true'">
    <Analyzer Include="$work/analyzer/ConcurrencyAnalyzers.dll" />
  </ItemGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.VisualStudio.Threading.Analyzers" Version="$(version Microsoft.VisualStudio.Threading.Analyzers)" PrivateAssets="all" />
    <PackageReference Include="Meziantou.Analyzer" Version="$(version Meziantou.Analyzer)" PrivateAssets="all" />
    <PackageReference Include="AsyncFixer" Version="$(version AsyncFixer)" PrivateAssets="all" />
  </ItemGroup>
  <!-- One restore for every configuration: the peers' analyzers are dropped unless -p:Peers=true. -->
  <Target Name="DropPeers" BeforeTargets="CoreCompile" Condition="'\$(Peers)' != 'true'">
    <ItemGroup>
      <Analyzer Remove="@(Analyzer)" Condition="'%(Analyzer.NuGetPackageId)' == 'Microsoft.VisualStudio.Threading.Analyzers' Or '%(Analyzer.NuGetPackageId)' == 'Meziantou.Analyzer' Or '%(Analyzer.NuGetPackageId)' == 'AsyncFixer'" />
    </ItemGroup>
  </Target>
</Project>
EOF

# One build: the Csc task's time (ms) and csc's analyzer time (s) per package, as "csc=<ms> <package>=<s> ...".
build() {
  rm -rf "$work/corpus/obj/Release" "$work/corpus/bin"
  dotnet build "$work/corpus" --no-restore -c Release -p:Ours="$1" -p:Peers="$2" -v:d -clp:PerformanceSummary -nologo > "$work/build.log" 2>&1
  local csc
  csc=$(grep -E '^ +[0-9]+ ms +Csc ' "$work/build.log" | head -1 | awk '{print $1}')
  echo "csc=$csc $(awk '/^ +[0-9.<]+ +[0-9<]+ +[A-Za-z.]+, Version=/ {
      name = $3; sub(/,$/, "", name); t = $1; sub(/^</, "", t)
      if (name == "ConcurrencyAnalyzers") p = "ours"
      else if (name ~ /^Microsoft\.VisualStudio\.Threading\.Analyzers/) p = "VSTHRD"
      else if (name == "Meziantou.Analyzer") p = "Meziantou"
      else if (name == "AsyncFixer") p = "AsyncFixer"
      else next
      sum[p] += t
    } END { for (p in sum) printf "%s=%s ", p, sum[p] }' "$work/build.log")"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
# Ours over a package, build by build (both measured in the same build), then the median.
ratio() {
  while read -r line; do
    o=$(echo "$line" | field ours); p=$(echo "$line" | field "$1")
    if [ -n "$o" ] && [ -n "$p" ]; then awk -v o="$o" -v p="$p" 'BEGIN { if (p > 0) printf "%.2f\n", o / p }'; fi
  done | median
}

echo "Corpus: $lines generated lines; $rounds rounds of the three configurations after $warmup warm-up rounds; $(nproc) cores."
dotnet restore "$work/corpus" -v:q >/dev/null
# Rounds interleave the three configurations, so the machine's drift and the compiler server's warming (its JIT
# keeps tiering up over the first builds) reach all three alike; the warm-up rounds are dropped.
none="" ours="" peers=""
for round in $(seq $((warmup + rounds))); do
  n=$(build false false); o=$(build true false); p=$(build true true)
  if [ "$round" -gt "$warmup" ]; then
    none+="$n"$'\n' ours+="$o"$'\n' peers+="$p"$'\n'
  fi
done

base=$(echo "$none" | field csc | median)
echo
echo "| Configuration | Csc task (ms, median) | Package | Analyzer time (s, median) | ÷ Csc without analyzers | Ours ÷ package |"
echo "|---|---:|---|---:|---:|---:|"
echo "| no analyzers | $base | | | | |"
for config in ours peers; do
  lines_of=${!config}
  label=$([ "$config" = ours ] && echo "ours alone" || echo "ours and the peers")
  csc=$(echo "$lines_of" | field csc | median)
  for package in ours VSTHRD Meziantou AsyncFixer; do
    values=$(echo "$lines_of" | field "$package")
    [ -z "$values" ] && continue
    seconds=$(echo "$values" | median)
    share=$(awk -v s="$seconds" -v b="$base" 'BEGIN {printf "%.1f%%", 100 * s * 1000 / b}')
    vs=$([ "$package" = ours ] && echo "—" || echo "$(echo "$lines_of" | ratio "$package")×")
    echo "| $label | $csc | $package | $seconds | $share | $vs |"
  done
done
