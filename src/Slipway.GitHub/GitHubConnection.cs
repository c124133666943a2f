using Octokit;
using Octokit.Internal;
using Slipway.Processes;

namespace Slipway.GitHub;

/// <summary>
/// The repository Slipway reports to on GitHub, and the token to do it with. It exists only when a token
/// (<c>SLIPWAY_GITHUB_TOKEN</c>, else <c>GITHUB_TOKEN</c>) and a repository (<c>GITHUB_REPOSITORY</c>, <c>owner/name</c>)
/// are known; the API is <c>GITHUB_API_URL</c> (set by GitHub Actions, also on GitHub Enterprise Server), else
/// <c>https://api.github.com</c>. Detect one with <see cref="Detect"/>.
/// </summary>
public sealed class GitHubConnection
{
    /// <summary>The public GitHub API, used when <c>GITHUB_API_URL</c> is not set.</summary>
    public static readonly Uri DefaultApiUrl = new("https://api.github.com/");

    /// <summary>How Slipway names itself in the User-Agent header GitHub requires.</summary>
    private static readonly ProductHeaderValue Product = new("Slipway");

    /// <summary>Where the token is read from, first found wins: Slipway's own variable overrides the Actions one.</summary>
    private static readonly string[] TokenVariables = ["SLIPWAY_GITHUB_TOKEN", "GITHUB_TOKEN"];

    private readonly Secret _token;

    private GitHubConnection(Uri apiUrl, string owner, string name, Secret token)
    {
        ApiUrl = apiUrl;
        Owner = owner;
        Name = name;
        _token = token;
    }

    /// <summary>The API's base address, always ending in <c>/</c>, e.g. <c>https://api.github.com/</c>.</summary>
    public Uri ApiUrl { get; }

    /// <summary>The repository's owner (user or organisation).</summary>
    public string Owner { get; }

    /// <summary>The repository's name.</summary>
    public string Name { get; }

    /// <summary>Where the token came from (<c>env:GITHUB_TOKEN</c>); never its value.</summary>
    public string TokenSource => _token.Name;

    /// <summary>
    /// Finds the connection in <paramref name="variables"/> (the process environment). Without a token or a repository,
    /// or with a malformed one, the result carries no connection and says why, so callers can note it and go on.
    /// </summary>
    public static GitHubDetection Detect(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var (tokenVariable, tokenValue) = TokenVariables
            .Select(v => (Variable: v, Value: variables.GetValueOrDefault(v)?.Trim()))
            .FirstOrDefault(v => !string.IsNullOrEmpty(v.Value));
        if (tokenVariable is null)
        {
            return GitHubDetection.Inactive("no GitHub token: set GITHUB_TOKEN (or SLIPWAY_GITHUB_TOKEN) to report to GitHub", misconfigured: false);
        }

        var token = new Secret(tokenValue!, "env:" + tokenVariable);
        var repository = variables.GetValueOrDefault("GITHUB_REPOSITORY")?.Trim();
        if (string.IsNullOrEmpty(repository))
        {
            return GitHubDetection.Inactive($"{tokenVariable} is set but GITHUB_REPOSITORY is not: set it to owner/name (GitHub Actions sets it)", misconfigured: true);
        }

        var parts = repository.Split('/');
        if (parts.Length != 2 || parts.Any(p => p.Length == 0 || p.Any(char.IsWhiteSpace)))
        {
            return GitHubDetection.Inactive($"GITHUB_REPOSITORY '{repository}' is not owner/name, e.g. octo-org/slipway", misconfigured: true);
        }

        var apiUrl = variables.GetValueOrDefault("GITHUB_API_URL")?.Trim();
        if (string.IsNullOrEmpty(apiUrl))
        {
            return GitHubDetection.Active(new GitHubConnection(DefaultApiUrl, parts[0], parts[1], token));
        }

        if (!Uri.TryCreate(apiUrl, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http"))
        {
            return GitHubDetection.Inactive($"GITHUB_API_URL '{apiUrl}' is not an http(s) URL, e.g. https://api.github.com or https://ghe.example.com/api/v3", misconfigured: true);
        }

        // Octokit resolves relative paths ("repos/o/r/deployments") against the base: without the trailing slash the
        // last segment (GitHub Enterprise's "v3") would be dropped.
        var withSlash = parsed.AbsoluteUri.EndsWith('/') ? parsed : new Uri(parsed.AbsoluteUri + "/");
        return GitHubDetection.Active(new GitHubConnection(withSlash, parts[0], parts[1], token));
    }

    /// <summary>
    /// An Octokit client on <see cref="ApiUrl"/> exactly as given (Octokit's own constructor would add <c>api/v3/</c> to
    /// any host but github.com), authenticated with the token and giving up on a request after <paramref name="timeout"/>.
    /// </summary>
    public IGitHubClient CreateClient(TimeSpan? timeout = null)
    {
        var connection = new Connection(Product, ApiUrl, new InMemoryCredentialStore(new Credentials(_token.Reveal())));
        var client = new GitHubClient(connection);
        client.SetRequestTimeout(timeout ?? TimeSpan.FromSeconds(30));
        return client;
    }

    /// <summary><c>owner/name</c> at the API; the token is never part of it.</summary>
    public override string ToString() => $"{Owner}/{Name} at {ApiUrl}";
}

/// <summary>
/// The result of <see cref="GitHubConnection.Detect"/>: a connection, or why there is none. A token with a missing or
/// malformed repository or API URL is <see cref="IsMisconfigured"/>: worth a warning, unlike a run with no token at all.
/// </summary>
public sealed class GitHubDetection
{
    private GitHubDetection(GitHubConnection? connection, string? reason, bool misconfigured)
    {
        Connection = connection;
        Reason = reason;
        IsMisconfigured = misconfigured;
    }

    /// <summary>The connection, or null when GitHub integration is off.</summary>
    public GitHubConnection? Connection { get; }

    /// <summary>Why there is no connection; null when there is one.</summary>
    public string? Reason { get; }

    /// <summary>True when a token was given but the repository or API URL is unusable.</summary>
    public bool IsMisconfigured { get; }

    /// <summary>True when there is a connection.</summary>
    public bool IsActive => Connection is not null;

    /// <summary>A detection with a connection.</summary>
    public static GitHubDetection Active(GitHubConnection connection) => new(connection ?? throw new ArgumentNullException(nameof(connection)), null, false);

    /// <summary>A detection without a connection, and why.</summary>
    public static GitHubDetection Inactive(string reason, bool misconfigured) => new(null, reason, misconfigured);

    /// <summary>
    /// Says why GitHub is skipped: a warning when a token was given but cannot be used, else a note in verbose output
    /// only (most local runs have no token, and that is fine). Does nothing when active.
    /// </summary>
    public void ReportInactive(IToolSession session, bool verbose, string what)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (IsActive)
        {
            return;
        }

        if (IsMisconfigured)
        {
            session.Warning($"GitHub: not reporting {what}: {Reason}.");
        }
        else if (verbose)
        {
            session.Info($"GitHub: not reporting {what}: {Reason}.");
        }
    }
}
