# Sourced by the end-to-end checks: a copy of samples/Showcase that gets the analyzers from the packed package.

# e2e_showcase_copy DIR: samples/Showcase's sources and project, with our project references replaced by a
# PackageReference, every rule the showcase demonstrates raised to warning (rules off by default included).
e2e_showcase_copy() {
  local dir=$1
  e2e_project "$dir"
  (cd "$e2e_repo/samples/Showcase" && find . -name '*.cs' -not -path './bin/*' -not -path './obj/*' -print0 |
    xargs -0 -I{} cp --parents {} "$dir/")
  # The repository's Directory.Build.props settings the showcase relies on.
  cat >"$dir/Directory.Build.props" <<'XML'
<Project>
  <PropertyGroup>
    <LangVersion>latest</LangVersion>
    <Nullable>enable</Nullable>
  </PropertyGroup>
</Project>
XML
  grep -v -E 'ProjectReference Include="[^"]*src[\\/](Analyzers|CodeFixes)[\\/]' "$e2e_repo/samples/Showcase/Showcase.csproj" |
    sed "s#</Project>#  <ItemGroup>\n    <PackageReference Include=\"ConcurrencyAnalyzers\" Version=\"$e2e_version\" />\n  </ItemGroup>\n</Project>#" \
      >"$dir/Showcase.csproj"
  {
    printf 'root = true\n\n[*.cs]\n'
    for id in $(e2e_showcase_rules); do printf 'dotnet_diagnostic.%s.severity = warning\n' "$id"; done
  } >"$dir/.editorconfig"
}

# The diagnostic IDs the showcase demonstrates: IDs named by "// CONCxxx:" comments that are analyzer rules
# (listed in the release-tracking files; a suppressor's ID is not a diagnostic a build prints).
e2e_showcase_rules() {
  local tracked
  tracked=$(cat "$e2e_repo"/src/Analyzers/AnalyzerReleases.*.md | grep -oE '^CONC[0-9]{3}' | sort -u)
  grep -rhoE '// CONC[0-9]{3}' --include='*.cs' "$e2e_repo/samples/Showcase" | grep -oE 'CONC[0-9]{3}' | sort -u |
    while read -r id; do
      # No pipe into `grep -q` here: under pipefail, a writer cut off by grep's early exit (SIGPIPE) fails the test
      # at random, which once dropped a rule from the list.
      if grep -qx "$id" <<<"$tracked" && ! grep -Eq "^$id .*Disabled" "$e2e_repo"/src/Analyzers/AnalyzerReleases.*.md; then
        echo "$id"
      fi
    done
}
