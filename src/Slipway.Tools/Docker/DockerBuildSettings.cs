using System.Collections.Immutable;

namespace Slipway.Tools.Docker;

/// <summary>What <see cref="DockerCli.Build"/> builds. Immutable; every <c>WithX</c> returns a copy.</summary>
/// <param name="Context">The build context directory.</param>
/// <param name="Dockerfile">The Dockerfile, passed as <c>--file</c>.</param>
public sealed record DockerBuildSettings(string Context, string Dockerfile)
{
    /// <summary>Image references to tag the result with, in order (<c>--tag</c>, repeated).</summary>
    public ImmutableArray<string> Tags { get; init; } = [];

    /// <summary>Image labels. Sorted by key so the command line is the same on every run.</summary>
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Build arguments, sorted by key. Plain text on purpose: build arguments end up in the image history,
    /// so a secret must never be one.
    /// </summary>
    public ImmutableSortedDictionary<string, string> BuildArguments { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>The network for <c>RUN</c> steps (<c>--network host</c> reaches a proxy or a local feed); the daemon's default when null.</summary>
    public string? Network { get; init; }

    /// <summary>
    /// True: always pull a newer base image (<c>--pull</c>). False: never ask the registry (<c>--pull=false</c>),
    /// for offline machines. Null: the CLI's default.
    /// </summary>
    public bool? Pull { get; init; }

    /// <summary>Adds a tag.</summary>
    public DockerBuildSettings WithTag(string reference) => this with { Tags = Tags.Add(reference) };

    /// <summary>Sets a label.</summary>
    public DockerBuildSettings WithLabel(string key, string value) => this with { Labels = Labels.SetItem(key, value) };

    /// <summary>Sets a build argument.</summary>
    public DockerBuildSettings WithBuildArgument(string key, string value) => this with { BuildArguments = BuildArguments.SetItem(key, value) };
}
