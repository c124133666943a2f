namespace Slipway.Environments;

/// <summary>The kind of build that deploys to an environment.</summary>
public enum TriggerEvent
{
    /// <summary>Every pull request build.</summary>
    PullRequest,

    /// <summary>Pushes to branches matching <see cref="EnvironmentTrigger.Pattern"/>.</summary>
    Branch,

    /// <summary>Tags matching <see cref="EnvironmentTrigger.Pattern"/>, e.g. <c>v*</c>; marks production.</summary>
    Tag,
}

/// <summary>Which builds deploy to the environment.</summary>
public sealed record EnvironmentTrigger
{
    /// <summary>The kind of build.</summary>
    public required TriggerEvent On { get; init; }

    /// <summary>Branch or tag glob (<c>main</c>, <c>v*</c>); required for branch and tag triggers.</summary>
    public string? Pattern { get; init; }
}

/// <summary>Guards against deploying what was not committed or not reviewed.</summary>
public sealed record RefProtection
{
    /// <summary>Refuse to deploy from a tree with uncommitted changes.</summary>
    public bool RequireCleanTree { get; init; } = true;

    /// <summary>Ref globs allowed to deploy (<c>refs/heads/main</c>, <c>refs/tags/v*</c>); empty allows any.</summary>
    public IReadOnlyList<string> AllowedRefs { get; init; } = [];

    /// <summary>
    /// Whether <c>--override-protection REASON</c> may deploy past these checks (recorded in the ledger); absent means
    /// allowed everywhere except production.
    /// </summary>
    public bool? AllowOverride { get; init; }
}
