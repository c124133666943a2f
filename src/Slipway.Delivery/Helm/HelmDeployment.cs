using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Helm;
using Slipway.Tools.Kubectl;

namespace Slipway.Delivery.Helm;

/// <summary>Where and how a release is deployed with Helm: the release, its chart, its Deployments and the matrix's policies.</summary>
public sealed record HelmDeployment
{
    /// <summary>The environment's name, for messages and the ledger.</summary>
    public required string Environment { get; init; }

    /// <summary>The Helm release, its namespace and kubeconfig context.</summary>
    public required HelmReleaseName Release { get; init; }

    /// <summary>The chart directory (absolute, or relative to the working directory).</summary>
    public required string Chart { get; init; }

    /// <summary>The Deployments the chart renders, waited on in this order with <c>kubectl rollout status</c>.</summary>
    public required IReadOnlyList<string> Deployments { get; init; }

    /// <summary>Secrets applied (by <c>kubectl apply -f -</c>) before the upgrade, so the new pods find them.</summary>
    public IReadOnlyList<HelmSecret> Secrets { get; init; } = [];

    /// <summary><c>--timeout</c> for Helm (<c>rollout.timeout</c>), <c>kubectl rollout status</c> (<c>rollout.health_timeout</c>) and whether a failure rolls back.</summary>
    public required RolloutSettings Rollout { get; init; }

    /// <summary>How many revisions Helm keeps (<c>--history-max</c>); a ledger release older than that cannot be rolled back to.</summary>
    public int HistoryMax { get; init; } = 10;

    /// <summary>Creates the namespace on the first install.</summary>
    public bool CreateNamespace { get; init; } = true;

    /// <summary>The kubectl scope of the release's namespace and context.</summary>
    public KubeScope Scope => new(Release.Namespace, Release.KubeContext);
}

/// <summary>A Kubernetes Secret the deploy applies: the environment's secret values the chart reads by key (<c>secretKeyRef</c>).</summary>
/// <param name="Name">The Secret's name, which the chart reads (<c>envFrom.secretRef</c>).</param>
/// <param name="Values">Key → value.</param>
/// <param name="Type">The Secret type: <c>Opaque</c>, or <c>kubernetes.io/tls</c> for a certificate and its key.</param>
public sealed record HelmSecret(string Name, IReadOnlyDictionary<string, Secret> Values, string Type = "Opaque");

/// <summary>A release as Helm deploys it.</summary>
/// <param name="Version">Its version.</param>
/// <param name="Commit">Its commit.</param>
/// <param name="Images">Image reference by digest (<c>repo@sha256:…</c>) per service.</param>
/// <param name="ValuesFiles">The values files of this release, in order (the environment's, then the release's own).</param>
public sealed record HelmRelease(string Version, string Commit, IReadOnlyDictionary<string, string> Images, IReadOnlyList<string> ValuesFiles)
{
    /// <summary>
    /// The release revision: its images, the text of its values files, its secrets' value hashes. Recorded in the
    /// ledger, so a failed deploy of the same version with another configuration returns to the previous revision.
    /// </summary>
    public ReleaseRevision? Revision { get; init; }
}
