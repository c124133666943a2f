using System.Linq.Expressions;

namespace Slipway.Targets;

/// <summary>
/// What a pipeline offers its components. A component is an interface that extends this one and declares targets as
/// default members (<c>Target Build =&gt; _ =&gt; _.Executes(...)</c>); a pipeline opts into it by implementing it
/// (<c>sealed class Release : Pipeline, IBuildImages</c>) and overrides a target or a hook by declaring a member of the
/// same name. Interfaces have no state: a component declares its parameters as default members that read the bound
/// value with <see cref="TryGetValue{T}(Expression{Func{T}})"/>, and keeps what its targets share in one run with
/// <see cref="RunState{T}"/>.
/// </summary>
public interface IPipeline
{
    /// <summary>The repository root; targets resolve relative paths against it.</summary>
    string RootDirectory { get; }

    /// <summary>The process environment variables (for interpolation and <c>env:</c> secrets).</summary>
    IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>Cancelled by Ctrl-C or SIGTERM: pass it to long work done while validating, such as loading configuration.</summary>
    CancellationToken Cancellation { get; }

    /// <summary>
    /// The value bound to a parameter declared on a component (<c>[Parameter("...")] string? Env =&gt; TryGetValue(() =&gt; Env);</c>),
    /// from the command line or the environment; <c>default</c> when none was given, so a default member reads
    /// <c>TryGetValue(() =&gt; Env) ?? "dev"</c>.
    /// </summary>
    /// <param name="parameter">The parameter member itself, as <c>() =&gt; Name</c>.</param>
    T? TryGetValue<T>(Expression<Func<T>> parameter);

    /// <summary>As <see cref="TryGetValue{T}(Expression{Func{T}})"/>, with <paramref name="fallback"/> when no value was given: for value types whose default is not <c>default</c>.</summary>
    T TryGetValue<T>(Expression<Func<T>> parameter, T fallback);

    /// <summary>
    /// State the targets of one run share (the loaded environment, the release identity, the image digests): the same
    /// instance of <typeparamref name="T"/> for the whole run, made by <paramref name="create"/> on first use.
    /// </summary>
    T RunState<T>(Func<T> create)
        where T : class;
}
