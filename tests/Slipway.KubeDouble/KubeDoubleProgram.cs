namespace Slipway.KubeDouble;

/// <summary>
/// The entry of the helm and kubectl TEST DOUBLE (see README.md): the first argument says which tool is played
/// (the wrappers <c>helm</c> and <c>kubectl</c> pass it). Errors go to stderr as the tools print them: Helm's as
/// <c>Error: …</c>, kubectl's as they are (<c>error: …</c>, <c>Error from server (NotFound): …</c>).
/// </summary>
public static class KubeDoubleProgram
{
    /// <summary>Runs one command of <paramref name="args"/>[0] (<c>helm</c> or <c>kubectl</c>); returns its exit code.</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stderr);
        var io = new DoubleIo(stdin, stdout, stderr, environment);
        var tool = args.FirstOrDefault();
        try
        {
            Log(environment, args);
            return tool switch
            {
                "helm" => new HelmDouble(io).Run(args[1..]),
                "kubectl" => new KubectlDouble(io).Run(args[1..]),
                _ => throw new DoubleFailure("kube-double: run it through its helm or kubectl wrapper (first argument helm or kubectl)"),
            };
        }
        catch (DoubleFailure e)
        {
            stderr.WriteLine(tool == "helm" && !e.Message.StartsWith("Flag ", StringComparison.Ordinal) ? "Error: " + e.Message : e.Message);
            return e.ExitCode;
        }
    }

    /// <summary>
    /// The double never pretends to reach a real cluster: the context must be given and name a double
    /// (<c>kube-double</c>, or any name containing <c>double</c>).
    /// </summary>
    internal static void RefuseRealContext(string? context, string flag)
    {
        if (string.IsNullOrWhiteSpace(context))
        {
            throw new DoubleFailure($"kube-double: no {flag} given. This TEST DOUBLE only answers for a context whose name contains \"double\" (e.g. kube-double), so that it never stands in for a real cluster");
        }

        if (!context.Contains("double", StringComparison.OrdinalIgnoreCase))
        {
            throw new DoubleFailure($"kube-double: refusing context \"{context}\": this TEST DOUBLE only answers for a context whose name contains \"double\" (e.g. kube-double), so that it never stands in for a real cluster");
        }
    }

    /// <summary>Appends the command line to <c>KUBE_DOUBLE_STATE/calls.log</c>, one per line, for tests that check the order of calls.</summary>
    private static void Log(Func<string, string?> environment, string[] args)
    {
        if (environment("KUBE_DOUBLE_STATE") is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
            File.AppendAllText(Path.Combine(directory, "calls.log"), string.Join(' ', args) + "\n");
        }
    }
}
