#!/usr/bin/env pwsh
# Slipway bootstrap for PowerShell: rebuild the pipeline host only when its inputs changed, then run it.
# Same contract as build.sh: mtime fast path, content hash to confirm, every argument passed through.
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$hostDir = Join-Path $root '.slipway/host'
$stamp = Join-Path $hostDir 'inputs.sha256'
$dll = Join-Path $hostDir 'bin/Slipway.Build.dll'

if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    [Console]::Error.WriteLine("error: the .NET SDK was not found (no 'dotnet' on PATH). Install the .NET 10 SDK (winget install Microsoft.DotNet.SDK.10, or the dotnet-install script), check 'dotnet --version' prints 10.x, then run ./build.ps1 again.")
    exit 2
}

$rootFiles = 'Directory.Build.props', 'Directory.Packages.props', 'global.json', '.editorconfig' |
    ForEach-Object { Join-Path $root $_ } | Where-Object { Test-Path $_ }

function Get-InputFiles {
    $patterns = '*.cs', '*.csproj', 'packages.lock.json', '*.props', '*.targets'
    $files = foreach ($dir in 'build', 'pipelines', 'src') {
        Get-ChildItem -Path (Join-Path $root $dir) -Recurse -File -Include $patterns |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }
    }
    @($files) + @($rootFiles | ForEach-Object { Get-Item $_ })
}

function Test-Changed {
    if (-not (Test-Path $stamp) -or -not (Test-Path $dll)) { return $true }
    $since = (Get-Item $stamp).LastWriteTimeUtc
    foreach ($dir in 'build', 'pipelines', 'src') {
        $newer = Get-ChildItem -Path (Join-Path $root $dir) -Recurse |
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
    if (-not (Test-Path $dll) -or -not (Test-Path $stamp) -or (Get-Content $stamp -Raw).Trim() -ne $hash) {
        [Console]::Error.WriteLine('Building the pipeline host (its sources changed)...')
        $log = Join-Path $hostDir 'build.log'
        $project = Join-Path $root 'build/Slipway.Build.csproj'
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
            [Console]::Error.WriteLine('error: the pipeline host failed to build (log: .slipway/host/build.log). Fix the errors above and run ./build.ps1 again.')
            exit 2
        }
    }
    Set-Content -Path $stamp -Value $hash -NoNewline
}

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
Set-Location $root
& dotnet $dll @args
exit $LASTEXITCODE
