#!/usr/bin/env pwsh
# Slipway bootstrap for PowerShell: rebuild the pipeline host only when its inputs changed, then run it.
# Same contract as build.sh: the host is the one build/*.csproj, only files that exist are watched, mtime fast
# path, content hash to confirm, every argument passed through, and every failure says what to do.
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$hostDir = Join-Path $root '.slipway/host'
$stamp = Join-Path $hostDir 'inputs.sha256'
$nameFile = Join-Path $hostDir 'assembly-name'

function Fail([string] $what, [string] $todo) {
    [Console]::Error.WriteLine("error: $what")
    [Console]::Error.WriteLine($todo)
    exit 2
}

if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    Fail "the .NET SDK was not found (no 'dotnet' on PATH): Slipway's pipeline host needs the .NET 10 SDK." `
        "Install it (winget install Microsoft.DotNet.SDK.10, or the dotnet-install script), check 'dotnet --version' prints 10.x, then run ./build.ps1 again."
}

$buildDir = Join-Path $root 'build'
if (-not (Test-Path $buildDir -PathType Container)) {
    Fail "no build/ directory in ${root}: ./build.ps1 runs the pipeline host in build/ (a console project referencing the Slipway packages)." `
        "Scaffold one with 'dotnet new slipway', or create build/<Name>.csproj with a one-line Program.cs."
}
$projects = @(Get-ChildItem -Path $buildDir -Filter '*.csproj' -File)
if ($projects.Count -eq 0) { Fail 'no project in build/: ./build.ps1 builds the one build/*.csproj, the pipeline host.' "Add build/<Name>.csproj, or run 'dotnet new slipway'." }
if ($projects.Count -gt 1) { Fail "several projects in build/ ($($projects.Name -join ', ')): ./build.ps1 needs exactly one pipeline host there." 'Keep one build/*.csproj and move the others elsewhere.' }
$project = $projects[0].FullName

# Only what exists is watched: a repository without src/ or .editorconfig is as good as this one.
# src/ only when the host builds from it (a ProjectReference to ../src/, as in Slipway's own repository); in a
# repository scaffolded by `dotnet new slipway` it holds the application, and a change there must not rebuild the host.
$hostBuildsSrc = [bool](Get-ChildItem (Join-Path $root 'build') -Filter '*.csproj' -ErrorAction SilentlyContinue | Select-String -SimpleMatch 'Include="../src/' -List)
$watchedDirs = @('build', 'pipelines') + @(if ($hostBuildsSrc) { 'src' }) | ForEach-Object { Join-Path $root $_ } | Where-Object { Test-Path $_ -PathType Container }
$rootFiles = 'Directory.Build.props', 'Directory.Build.targets', 'Directory.Packages.props', 'global.json', '.editorconfig', 'nuget.config', 'NuGet.Config' |
    ForEach-Object { Join-Path $root $_ } | Where-Object { Test-Path $_ -PathType Leaf }

function Get-InputFiles {
    $patterns = '*.cs', '*.csproj', 'packages.lock.json', '*.props', '*.targets', 'PublicAPI.*.txt'
    $files = foreach ($dir in $watchedDirs) {
        Get-ChildItem -Path $dir -Recurse -File -Include $patterns |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }
    }
    @($files) + @($rootFiles | ForEach-Object { Get-Item $_ })
}

function Test-Changed {
    if (-not (Test-Path $stamp) -or -not (Test-Path $nameFile)) { return $true }
    if (-not (Test-Path (Join-Path $hostDir "bin/$((Get-Content $nameFile -Raw).Trim()).dll"))) { return $true }
    $since = (Get-Item $stamp).LastWriteTimeUtc
    foreach ($dir in $watchedDirs) {
        $newer = Get-ChildItem -Path $dir -Recurse |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj)([\\/]|$)' -and $_.LastWriteTimeUtc -gt $since } |
            Select-Object -First 1
        if ($newer) { return $true }
    }
    return [bool]($rootFiles | Where-Object { (Get-Item $_).LastWriteTimeUtc -gt $since })
}

function Get-InputsHash {
    $lines = @(dotnet --version)
    foreach ($file in (Get-InputFiles | Sort-Object FullName)) {
        $relative = [IO.Path]::GetRelativePath($root, $file.FullName).Replace('\', '/')
        $lines += "$relative $((Get-FileHash $file.FullName -Algorithm SHA256).Hash.ToLowerInvariant())"
    }
    $bytes = [Text.Encoding]::UTF8.GetBytes(($lines -join "`n"))
    ([BitConverter]::ToString([Security.Cryptography.SHA256]::HashData($bytes)) -replace '-', '').ToLowerInvariant()
}

if (Test-Changed) {
    New-Item -ItemType Directory -Force -Path $hostDir | Out-Null
    $hash = Get-InputsHash
    # The host's assembly, as its project names it (AssemblyName, else the project's file name).
    $name = (dotnet msbuild $project -getProperty:AssemblyName -p:RestoreLockedMode=false 2>$null | Select-Object -Last 1)
    if (-not $name) { $name = [IO.Path]::GetFileNameWithoutExtension($project) }
    $name = $name.Trim()
    if (-not (Test-Path (Join-Path $hostDir "bin/$name.dll")) -or -not (Test-Path $stamp) -or (Get-Content $stamp -Raw).Trim() -ne $hash) {
        [Console]::Error.WriteLine("Building the pipeline host $([IO.Path]::GetRelativePath($root, $project)) (its sources changed)...")
        $log = Join-Path $hostDir 'build.log'
        $output = Join-Path $hostDir 'bin'
        # ReadyToRun halves start-up; its restore keeps its lock files under obj/ so the committed ones stay as they are.
        $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
        dotnet publish $project --configuration Release --runtime $rid --self-contained false -p:PublishReadyToRun=true `
            -p:NuGetLockFilePath=obj/host.packages.lock.json -p:RestoreLockedMode=false `
            --output $output --nologo --verbosity quiet --disable-build-servers *> $log
        if ($LASTEXITCODE -ne 0) {
            dotnet build $project --configuration Release --output $output --nologo --verbosity quiet --disable-build-servers *>> $log
        }
        if ($LASTEXITCODE -ne 0) {
            Get-Content $log | ForEach-Object { [Console]::Error.WriteLine($_) }
            Fail "the pipeline host $([IO.Path]::GetRelativePath($root, $project)) failed to build (log: .slipway/host/build.log)." `
                'Fix the errors above (a missing package source? see nuget.config) and run ./build.ps1 again.'
        }
    }
    Set-Content -Path $nameFile -Value $name -NoNewline
    Set-Content -Path $stamp -Value $hash -NoNewline
}

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
Set-Location $root
& dotnet (Join-Path $hostDir "bin/$((Get-Content $nameFile -Raw).Trim()).dll") @args
exit $LASTEXITCODE
