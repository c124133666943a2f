using Slipway.Targets;

namespace Slipway.Cli;

/// <summary>The parsed command line.</summary>
internal sealed record CommandLineOptions
{
    /// <summary>Requested targets (<c>--target</c>, repeatable).</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>Targets to skip (<c>--skip</c>, repeatable).</summary>
    public IReadOnlyList<string> Skip { get; init; } = [];

    /// <summary><c>--dry-run</c> / <c>--dryrun</c>.</summary>
    public bool DryRun { get; init; }

    /// <summary><c>--tree</c>.</summary>
    public bool Tree { get; init; }

    /// <summary><c>--exclusive</c>.</summary>
    public bool Exclusive { get; init; }

    /// <summary><c>--continue</c>.</summary>
    public bool Continue { get; init; }

    /// <summary><c>--parallel N</c>; the processor count by default.</summary>
    public int Parallel { get; init; } = Environment.ProcessorCount;

    /// <summary><c>--verbosity</c>.</summary>
    public Verbosity Verbosity { get; init; } = Verbosity.Normal;

    /// <summary><c>--help</c>.</summary>
    public bool Help { get; init; }

    /// <summary><c>--description</c>.</summary>
    public bool Description { get; init; }

    /// <summary><c>--version</c> with no value.</summary>
    public bool ShowVersion { get; init; }

    /// <summary>Values given for pipeline parameters, by parameter.</summary>
    public IReadOnlyDictionary<ParameterDescriptor, IReadOnlyList<string>> Parameters { get; init; } =
        new Dictionary<ParameterDescriptor, IReadOnlyList<string>>();
}
