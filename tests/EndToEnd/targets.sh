#!/usr/bin/env bash
# End to end: consumer projects targeting net8.0 and netstandard2.0 (package.sh covers net10.0) restore the packed
# package, build, and report a CONC diagnostic (CONC103 on an async void method).
#  - Unlike the other scripts, these projects also see the machine's configured package registry: the net8.0
#    targeting pack (Microsoft.NETCore.App.Ref) and NETStandard.Library are not part of the SDK and are restored from
#    it into this script's empty NUGET_PACKAGES folder. The package under test must still come from the local folder
#    (checked through the restored package's .nupkg.metadata).
#  - The net8.0 project pins its targeting pack to 8.0.28, the version the unit tests' reference assemblies use
#    (tests/Analyzers.Tests/Verifiers/TestReferences.cs), so the check does not depend on which 8.0.x patch the
#    installed SDK happens to ask for (8.0.0, the SDK's fallback, is not served).
source "$(dirname "$0")/common.bash"
e2e_pack
w=$e2e_work
net8_ref_version=8.0.28
netstandard_library_version=2.0.3

# e2e_project writes a nuget.config with only the local feed; these projects need the registry too, so the
# <clear /> is left out: the machine's own sources (user-level NuGet.Config) come after the local folder.
consumer_project() { # DIR TFM EXTRA-PROJECT-XML
  local dir=$1 tfm=$2 extra=$3
  e2e_project "$dir"
  cat >"$dir/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="e2e-local" value="$e2e_feed" />
  </packageSources>
</configuration>
XML
  cat >"$dir/Lib.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>$tfm</TargetFramework>
    <OutputType>Library</OutputType>
  </PropertyGroup>
$extra
  <ItemGroup>
    <PackageReference Include="ConcurrencyAnalyzers" Version="$e2e_version" />
  </ItemGroup>
</Project>
XML
  # C# 7.3-compatible (netstandard2.0's default language version), no implicit usings.
  cat >"$dir/Saver.cs" <<'CS'
using System.Threading.Tasks;

public class Saver
{
    public void Start()
    {
        SaveAsync();
    }

    // Nobody can await this.
    private async void SaveAsync()
    {
        await Task.Delay(10);
    }
}
CS
}

# check_consumer NAME DIR PACKAGE-ID PACKAGE-VERSION: restore, the pack/library from the registry, the package from
# the local folder, build with warning CONC103.
check_consumer() {
  local name=$1 dir=$2 ref_id=$3 ref_version=$4
  if (cd "$dir" && dotnet restore >"$w/$name-restore.log" 2>&1); then
    e2e_pass "$name: restores the package (and $ref_id $ref_version from the registry)"
  else
    e2e_fail "$name: restores the package (and $ref_id $ref_version from the registry)" "$w/$name-restore.log"
    return
  fi
  e2e_expect "$name: $ref_id $ref_version restored into the empty packages folder" "$w/$name-restore.log" \
    test -d "$NUGET_PACKAGES/$ref_id/$ref_version"
  local metadata="$NUGET_PACKAGES/concurrencyanalyzers/$e2e_version/.nupkg.metadata"
  e2e_expect "$name: ConcurrencyAnalyzers $e2e_version came from the local folder" "$w/$name-restore.log" \
    bash -c "grep -qF '\"source\": \"$e2e_feed' '$metadata'"
  e2e_build "$w/$name-build.log" "$dir" --no-restore
  local code=$?
  e2e_expect "$name: dotnet build succeeds with warning CONC103" "$w/$name-build.log" \
    bash -c "[ $code -eq 0 ] && grep -q 'Saver.cs(11,.*warning CONC103' '$w/$name-build.log'"
}

consumer_project "$w/net8" net8.0 "  <ItemGroup>
    <!-- Pin the targeting pack to a version the registry serves (see the top of tests/EndToEnd/targets.sh). -->
    <KnownFrameworkReference Update=\"Microsoft.NETCore.App\">
      <TargetingPackVersion Condition=\"'%(TargetFramework)' == 'net8.0'\">$net8_ref_version</TargetingPackVersion>
    </KnownFrameworkReference>
  </ItemGroup>"
check_consumer net8.0 "$w/net8" microsoft.netcore.app.ref "$net8_ref_version"

# netstandard2.0: the SDK adds NETStandard.Library 2.0.3 as an implicit package reference.
consumer_project "$w/netstandard" netstandard2.0 ""
check_consumer netstandard2.0 "$w/netstandard" netstandard.library "$netstandard_library_version"

e2e_finish
