using Slipway.Processes;

namespace Slipway.Tools.DotNet;

/// <summary>Renders <c>dotnet</c> invocations. Pure: nothing here runs a process.</summary>
public static class DotNetCli
{
    /// <summary><c>dotnet --version</c>: the SDK that global.json selects here, an input of every restore and build.</summary>
    public static ToolInvocation SdkVersion() =>
        ToolInvocation.Of("dotnet").WithArguments("--version").WithEnvironment("DOTNET_CLI_TELEMETRY_OPTOUT", "1").WithEnvironment("DOTNET_NOLOGO", "1");

    /// <summary><c>dotnet restore PROJECT [--locked-mode]</c>.</summary>
    public static ToolInvocation Restore(string project, bool lockedMode) =>
        ToolInvocation.Of("dotnet").WithArguments("restore", project).WithFlag("--locked-mode", lockedMode).WithNoLogo();

    /// <summary><c>dotnet build PROJECT -c CONFIGURATION --no-restore</c>.</summary>
    public static ToolInvocation Build(string project, string configuration) =>
        ToolInvocation.Of("dotnet").WithArguments("build", project, "--configuration", configuration, "--no-restore").WithNoLogo();

    /// <summary>
    /// <c>dotnet test PROJECT --no-build</c> writing a TRX file. Exit code 1 (tests failed, or the run was aborted) is
    /// accepted so the caller can read the TRX and name the failing tests. With <paramref name="hangTimeout"/>, the blame
    /// collector stops a test host in which no test started or finished for that long (<c>--blame-hang-timeout</c>),
    /// after a full dump, and writes the tests that were running (<c>Sequence_*.xml</c>) beside the TRX.
    /// </summary>
    public static ToolInvocation Test(string project, string configuration, string resultsDirectory, string trxFileName, string? filter = null, TimeSpan? hangTimeout = null) =>
        ToolInvocation.Of("dotnet")
            .WithArguments("test", project, "--configuration", configuration, "--no-build", "--results-directory", resultsDirectory, "--logger", $"trx;LogFileName={trxFileName}")
            .WithOption("--filter", filter)
            .WithHangTimeout(hangTimeout)
            .WithNoLogo()
            .WithSuccessExitCodes(0, 1);

    /// <summary><c>dotnet publish PROJECT -c CONFIGURATION -o OUTPUT</c>.</summary>
    public static ToolInvocation Publish(string project, string configuration, string output) =>
        ToolInvocation.Of("dotnet").WithArguments("publish", project, "--configuration", configuration, "--output", output).WithNoLogo();

    /// <summary>
    /// <c>dotnet pack PROJECT -c CONFIGURATION -o OUTPUT -p:Version=VERSION</c>: the project's packages (or a solution's
    /// packable projects) at <paramref name="version"/> (SemVer 2), symbols not included.
    /// </summary>
    public static ToolInvocation Pack(string project, string configuration, string output, string version) =>
        ToolInvocation.Of("dotnet")
            .WithArguments("pack", project, "--configuration", configuration, "--output", output, $"-p:Version={version}", "-p:IncludeSymbols=false")
            .WithNoLogo();

    private static ToolInvocation WithHangTimeout(this ToolInvocation invocation, TimeSpan? timeout)
    {
        if (timeout is not { } value)
        {
            return invocation;
        }

        if (value < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), value, "A hang timeout is at least a second.");
        }

        // dotnet test reads "90s" or "15m"; whole seconds are exact for every timeout a caller can mean.
        return invocation.WithArguments("--blame-hang-timeout", $"{(long)value.TotalSeconds}s", "--blame-hang-dump-type", "full");
    }

    private static ToolInvocation WithNoLogo(this ToolInvocation invocation) =>
        invocation.WithArguments("--nologo")
            .WithEnvironment("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
            .WithEnvironment("DOTNET_NOLOGO", "1");
}
