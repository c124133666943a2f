using System.Collections.Immutable;

namespace Slipway.Environments;

/// <summary>The Terraform stack behind an environment.</summary>
public sealed record InfraSettings
{
    /// <summary>The stack directory, e.g. <c>infra/production</c>.</summary>
    [RepositoryPath("the Terraform stack")]
    public required string Stack { get; init; }

    /// <summary><c>-var-file</c> arguments, relative to the stack.</summary>
    public IReadOnlyList<string> VarFiles { get; init; } = [];

    /// <summary><c>-backend-config</c> key/value pairs.</summary>
    public IReadOnlyDictionary<string, string> Backend { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>When false, a plan that destroys anything is refused.</summary>
    public bool AllowDestroy { get; init; }
}
