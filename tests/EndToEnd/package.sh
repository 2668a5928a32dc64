#!/usr/bin/env bash
# End-to-end: the packed .nupkg as a user gets it (docs/reliability.md).
#  - the package holds exactly analyzers/dotnet/cs/{ConcurrencyAnalyzers,ConcurrencyAnalyzers.CodeFixes}.dll,
#    is a development dependency, has no lib/ folder and no dependencies;
#  - a fresh net10.0 project that references it from a local folder and has an async void method gets
#    "warning CONC103" from dotnet build; -warnaserror fails the build; .editorconfig severity none silences it;
#    the category key dotnet_analyzer_diagnostic.category-Concurrency.Lifetime.severity = error fails the build;
#  - a copy of samples/Showcase built against the package reports every rule its "// CONCxxx:" comments name.
source "$(dirname "$0")/common.bash"
e2e_pack
w=$e2e_work

# ---- the package's contents
unzip -Z1 "$e2e_nupkg" >"$w/entries.txt"
unzip -p "$e2e_nupkg" '*.nuspec' >"$w/nuspec.xml"
dlls=$(grep -E '\.dll$' "$w/entries.txt" | sort | tr '\n' ' ')
e2e_expect "nupkg: exactly the two DLLs, under analyzers/dotnet/cs" "$w/entries.txt" \
  test "$dlls" = "analyzers/dotnet/cs/ConcurrencyAnalyzers.CodeFixes.dll analyzers/dotnet/cs/ConcurrencyAnalyzers.dll "
e2e_expect "nupkg: no lib/ folder" "$w/entries.txt" bash -c "! grep -q '^lib/' '$w/entries.txt'"
e2e_expect "nupkg: developmentDependency=true" "$w/nuspec.xml" grep -q '<developmentDependency>true</developmentDependency>' "$w/nuspec.xml"
e2e_expect "nupkg: no dependencies" "$w/nuspec.xml" bash -c "! grep -q '<dependency ' '$w/nuspec.xml'"

# ---- a fresh project
app="$w/app"
e2e_project "$app"
cat >"$app/App.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="ConcurrencyAnalyzers" Version="$e2e_version" />
  </ItemGroup>
</Project>
XML
cat >"$app/Program.cs" <<'CS'
public static class Program
{
    public static async Task Main()
    {
        SaveAsync();
        await Task.Delay(100);
    }

    // Nobody can await this.
    private static async void SaveAsync() => await Task.Delay(10);
}
CS

if (cd "$app" && dotnet restore >"$w/restore.log" 2>&1); then
  e2e_pass "fresh project restores the package from a local folder"
else
  e2e_fail "fresh project restores the package from a local folder" "$w/restore.log"
  e2e_finish
fi

e2e_build "$w/build.log" "$app"; code=$?
e2e_expect "dotnet build: succeeds with warning CONC103" "$w/build.log" \
  bash -c "[ $code -eq 0 ] && grep -q 'warning CONC103' '$w/build.log'"

e2e_build "$w/warnaserror.log" "$app" -warnaserror; code=$?
e2e_expect "dotnet build -warnaserror: fails with error CONC103" "$w/warnaserror.log" \
  bash -c "[ $code -ne 0 ] && grep -q 'error CONC103' '$w/warnaserror.log'"

printf 'root = true\n\n[*.cs]\ndotnet_diagnostic.CONC103.severity = none\n' >"$app/.editorconfig"
e2e_build "$w/none.log" "$app"; code=$?
e2e_expect ".editorconfig dotnet_diagnostic.CONC103.severity = none: silent" "$w/none.log" \
  bash -c "[ $code -eq 0 ] && ! grep -q 'CONC103' '$w/none.log'"

printf 'root = true\n\n[*.cs]\ndotnet_analyzer_diagnostic.category-Concurrency.Lifetime.severity = error\n' >"$app/.editorconfig"
e2e_build "$w/category.log" "$app"; code=$?
e2e_expect ".editorconfig category-Concurrency.Lifetime.severity = error: fails with error CONC103" "$w/category.log" \
  bash -c "[ $code -ne 0 ] && grep -q 'error CONC103' '$w/category.log'"
rm -f "$app/.editorconfig"

# ---- the showcase against the package: every rule it demonstrates is reported
show="$w/showcase"
source "$(dirname "$0")/showcase.bash"
e2e_showcase_copy "$show"
expected=$(e2e_showcase_rules)
e2e_build "$w/showcase.log" "$show"; code=$?
missing=""
for id in $expected; do
  grep -q "warning $id" "$w/showcase.log" || missing="$missing $id"
done
if [ $code -eq 0 ] && [ -n "$expected" ] && [ -z "$missing" ]; then
  e2e_pass "showcase built against the package reports every rule it demonstrates ($(echo $expected | wc -w) rules)"
else
  echo "expected: $expected; missing:${missing:- none}; build exit code $code"
  e2e_fail "showcase built against the package reports every rule it demonstrates" "$w/showcase.log"
fi

e2e_finish
