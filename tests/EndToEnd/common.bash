# Shared by the end-to-end checks (tests/EndToEnd/*.sh); sourced, not run. See docs/reliability.md.
#
# Every check works in a temporary folder with its own NuGet packages folder (NUGET_PACKAGES) and a nuget.config
# whose only source is a local folder holding the packed .nupkg, and builds with build servers off: nothing outside
# the temporary folder changes, and the folder is removed on exit.
#
# Each check prints one line "e2e-check: PASS <name>" or "e2e-check: FAIL <name>" (.ci/run counts them);
# a script exits non-zero when any of its checks failed.

set -uo pipefail

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_UI_LANGUAGE=en
export MSBUILDDISABLENODEREUSE=1

e2e_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
e2e_work=$(mktemp -d "${TMPDIR:-/tmp}/conc-e2e.XXXXXX")
e2e_failed=0
trap 'rm -rf "$e2e_work"' EXIT

# The package: packed once by .ci/run (CONC_E2E_FEED), else packed here.
e2e_pack() {
  if [ -n "${CONC_E2E_FEED:-}" ] && ls "$CONC_E2E_FEED"/ConcurrencyAnalyzers.*.nupkg >/dev/null 2>&1; then
    e2e_feed=$CONC_E2E_FEED
  else
    e2e_feed="$e2e_work/feed"
    echo "packing src/Package into $e2e_feed"
    if ! dotnet pack "$e2e_repo/src/Package" -c Release -o "$e2e_feed" >"$e2e_work/pack.log" 2>&1; then
      tail -n 40 "$e2e_work/pack.log"
      echo "e2e-check: FAIL pack the package"
      exit 1
    fi
  fi
  e2e_nupkg=$(ls "$e2e_feed"/ConcurrencyAnalyzers.*.nupkg | grep -v '\.symbols\.' | head -n 1)
  e2e_version=$(basename "$e2e_nupkg" .nupkg)
  e2e_version=${e2e_version#ConcurrencyAnalyzers.}
  export NUGET_PACKAGES="$e2e_work/packages"
}

# e2e_project DIR: an empty project folder that sees only the local feed and none of the repository's build files.
e2e_project() {
  local dir=$1
  mkdir -p "$dir"
  cat >"$dir/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="e2e-local" value="$e2e_feed" />
  </packageSources>
</configuration>
XML
  # Stop MSBuild from looking further up for Directory.*.props / .targets.
  echo '<Project />' >"$dir/Directory.Build.props"
  echo '<Project />' >"$dir/Directory.Build.targets"
  echo '<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>' >"$dir/Directory.Packages.props"
}

# e2e_build LOG DIR [ARGS...]: a full build (no incremental skip, no build servers); returns dotnet's exit code.
e2e_build() {
  local log=$1 dir=$2
  shift 2
  (cd "$dir" && dotnet build --no-incremental --disable-build-servers -nologo "$@") >"$log" 2>&1
}

e2e_pass() { echo "e2e-check: PASS $1"; }

# e2e_fail NAME [LOG]: records a failure and shows the end of the log.
e2e_fail() {
  echo "e2e-check: FAIL $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    echo "---- last lines of $(basename "$2"):"
    tail -n 30 "$2"
    echo "----"
  fi
  e2e_failed=1
}

# e2e_check NAME CONDITION-COMMAND... [-- LOG]
e2e_expect() {
  local name=$1 log=$2
  shift 2
  if "$@"; then e2e_pass "$name"; else e2e_fail "$name" "$log"; fi
}

e2e_finish() { exit $e2e_failed; }
