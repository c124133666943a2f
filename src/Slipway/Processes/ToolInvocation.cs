using System.Collections.Immutable;
using System.Text;

namespace Slipway.Processes;

/// <summary>
/// One run of an external tool, fully described and immutable: the tool, its argument tokens, extra
/// environment variables, the working directory and which values are secret. Tool wrappers render
/// these; one runner executes them. Printing an invocation is always safe.
/// </summary>
public sealed record ToolInvocation
{
    private ToolInvocation(string tool)
    {
        Tool = tool;
    }

    /// <summary>The tool's name as resolved by <see cref="ToolResolver"/> (e.g. <c>docker</c>), or a path.</summary>
    public string Tool { get; }

    /// <summary>Argument tokens, in order. Quoting happens once, in the runner.</summary>
    public ImmutableArray<InvocationValue> Arguments { get; private init; } = [];

    /// <summary>Environment variables added to the inherited environment.</summary>
    public ImmutableSortedDictionary<string, InvocationValue> Environment { get; private init; } =
        ImmutableSortedDictionary<string, InvocationValue>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>The working directory; the current directory when null.</summary>
    public string? WorkingDirectory { get; private init; }

    /// <summary>Exit codes that count as success.</summary>
    public ImmutableArray<int> SuccessExitCodes { get; private init; } = [0];

    /// <summary>How the runner retries transient failures; null runs once.</summary>
    public RetryPolicy? Retry { get; private init; }

    /// <summary>Text written to the tool's standard input, then closed; null gives the tool an empty input.</summary>
    /// <remarks>Shown as <c>&lt;&lt;&lt; text</c> by <see cref="ToDisplayString"/>, masked like any value when secret.</remarks>
    public InvocationValue? StandardInput { get; private init; }

    /// <summary>Starts an invocation of <paramref name="tool"/>.</summary>
    public static ToolInvocation Of(string tool)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tool);
        return new ToolInvocation(tool);
    }

    /// <summary>Appends argument tokens.</summary>
    public ToolInvocation WithArguments(params IEnumerable<InvocationValue> arguments) =>
        this with { Arguments = Arguments.AddRange(arguments) };

    /// <summary>Appends <paramref name="flag"/> and <paramref name="value"/> when the value is not null.</summary>
    public ToolInvocation WithOption(string flag, InvocationValue? value) =>
        value is null ? this : this with { Arguments = Arguments.Add(flag).Add(value) };

    /// <summary>Appends <paramref name="flag"/> and <paramref name="value"/> when the value is not null.</summary>
    public ToolInvocation WithOption(string flag, string? value) =>
        value is null ? this : WithOption(flag, InvocationValue.FromString(value));

    /// <summary>Appends <paramref name="flag"/> when <paramref name="condition"/> holds.</summary>
    public ToolInvocation WithFlag(string flag, bool condition = true) =>
        condition ? this with { Arguments = Arguments.Add(flag) } : this;

    /// <summary>Sets an environment variable for the process.</summary>
    public ToolInvocation WithEnvironment(string name, InvocationValue value) =>
        this with { Environment = Environment.SetItem(name, value) };

    /// <summary>Sets the working directory.</summary>
    public ToolInvocation WithWorkingDirectory(string? directory) => this with { WorkingDirectory = directory };

    /// <summary>Sets the exit codes that count as success (default: 0).</summary>
    public ToolInvocation WithSuccessExitCodes(params int[] codes) => this with { SuccessExitCodes = [.. codes] };

    /// <summary>Accepts every exit code: for checks whose caller reads the code itself (verify, probes).</summary>
    public ToolInvocation AcceptingAnyExitCode() => WithSuccessExitCodes([.. Enumerable.Range(0, 256)]);

    /// <summary>Retries transient failures as <paramref name="policy"/> says.</summary>
    public ToolInvocation WithRetry(RetryPolicy policy) => this with { Retry = policy };

    /// <summary>Returns a copy that writes <paramref name="input"/> to the tool's standard input (a password, a command for a socket).</summary>
    public ToolInvocation WithStandardInput(InvocationValue input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return this with { StandardInput = input };
    }

    /// <summary>Every secret this invocation carries.</summary>
    public IEnumerable<Secret> Secrets =>
        Arguments.Concat(Environment.Values).Concat(StandardInput is null ? [] : [StandardInput]).SelectMany(SecretsOf);

    /// <summary>
    /// The command line as a person would type it, secrets masked and unknown values as placeholders:
    /// <c>docker login --password *** registry</c>. Environment variables added by the invocation come first.
    /// </summary>
    public string ToDisplayString(bool includeEnvironment = true)
    {
        var text = new StringBuilder();
        if (includeEnvironment)
        {
            foreach (var (name, value) in Environment)
            {
                text.Append(name).Append('=').Append(Quote(value.Display())).Append(' ');
            }
        }

        text.Append(Quote(Tool));
        foreach (var argument in Arguments)
        {
            text.Append(' ').Append(Quote(argument.Display()));
        }

        if (StandardInput is not null)
        {
            text.Append(" <<< ").Append(Quote(StandardInput.Display().TrimEnd('\n')));
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToDisplayString();

    /// <summary>POSIX-shell quoting for display only; processes get their tokens unquoted.</summary>
    internal static string Quote(string token)
    {
        if (token.Length == 0)
        {
            return "''";
        }

        foreach (var c in token)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or '@' or ',' or '+' or '%' or '*' or '<' or '>'))
            {
                return "'" + token.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
            }
        }

        return token;
    }

    private static IEnumerable<Secret> SecretsOf(InvocationValue value) => value switch
    {
        SecretValue s => [s.Secret],
        CompositeValue c => c.Parts.SelectMany(SecretsOf),
        _ => [],
    };
}
