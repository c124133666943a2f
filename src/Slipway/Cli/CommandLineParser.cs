using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Cli;

/// <summary>
/// Parses Cake-style arguments with System.CommandLine: the built-in options plus one option per
/// pipeline parameter. Every problem is returned at once, with "did you mean" for unknown options.
/// Targets follow NUKE's and Cake's conventions: <c>--target A B C</c> and <c>--target A --target B</c>
/// both name three targets (and <c>--skip</c> likewise).
/// </summary>
internal static class CommandLineParser
{
    /// <summary>The built-in options, for help and suggestions.</summary>
    public static IReadOnlyList<(string Name, string Hint, string Description)> BuiltInOptions { get; } =
    [
        ("--target, -t", "<name>...", "Targets to run (--target A B, or repeated); the default target when omitted"),
        ("--dry-run, --dryrun", string.Empty, "Print every command each target would run, in order, secrets masked; run nothing"),
        ("--tree", string.Empty, "Print the dependency tree of the targets and exit"),
        ("--exclusive", string.Empty, "Run only the given targets, not their dependencies"),
        ("--skip", "<name>...", "Skip targets (--skip A B, or repeated); they stay in the plan, marked skipped"),
        ("--parallel", "<n>", "Run up to n targets and items at once (default: processor count)"),
        ("--continue", string.Empty, "Keep running what does not depend on a failed target"),
        ("--verbosity, -v", "<level>", "quiet, minimal, normal (default), verbose or diagnostic"),
        ("--help, -h", string.Empty, "Show this help"),
        ("--description", string.Empty, "List the targets with descriptions, dependencies and parameters"),
        ("--version", string.Empty, "Show the version"),
    ];

    /// <summary>Parses <paramref name="args"/>; returns the options or every usage error.</summary>
    public static (CommandLineOptions? Options, IReadOnlyList<string> Errors) Parse(IReadOnlyList<string> args, IReadOnlyList<ParameterDescriptor> parameters)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(parameters);
        var target = new Option<string[]>("--target", "-t") { Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = true };
        var skip = new Option<string[]>("--skip") { Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = true };
        var dryRun = new Option<bool>("--dry-run", "--dryrun");
        var tree = new Option<bool>("--tree");
        var exclusive = new Option<bool>("--exclusive");
        var @continue = new Option<bool>("--continue");
        var parallel = new Option<string>("--parallel");
        var verbosity = new Option<string>("--verbosity", "-v");
        var help = new Option<bool>("--help", "-h", "-?");
        var description = new Option<bool>("--description");

        // --version alone prints Slipway's version; --version VALUE binds a pipeline parameter named
        // Version when there is one (the release version).
        var versionParameter = parameters.FirstOrDefault(p => p.OptionName == "--version");
        var version = new Option<string?>("--version") { Arity = ArgumentArity.ZeroOrOne };

        var root = new Command("slipway");
        foreach (var option in new Option[] { target, skip, dryRun, tree, exclusive, @continue, parallel, verbosity, help, description, version })
        {
            root.Options.Add(option);
        }

        // Flags take an optional value (--push, --push false); everything else one value per occurrence,
        // repeatable (the last wins for scalars; lists collect them all).
        var parameterOptions = new Dictionary<ParameterDescriptor, Option>();
        foreach (var parameter in parameters.Where(p => p != versionParameter))
        {
            Option option = parameter.IsFlag
                ? new Option<string?>(parameter.OptionName) { Arity = ArgumentArity.ZeroOrOne }
                : new Option<string[]>(parameter.OptionName) { Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
            parameterOptions[parameter] = option;
            root.Options.Add(option);
        }

        var result = root.Parse(args);
        var errors = new List<string>();
        var optionNames = BuiltInOptions.SelectMany(o => o.Name.Split(", ")).Concat(parameters.Select(p => p.OptionName)).Where(n => n.StartsWith("--", StringComparison.Ordinal)).ToList();
        string UnknownOption(string token) =>
            $"Unknown option '{token}'.{NameSuggestions.DidYouMean(token.TrimStart('-'), optionNames.Select(n => n[2..]), "--")} Run --help for the list of options.";
        foreach (var token in result.UnmatchedTokens)
        {
            errors.Add(token.StartsWith('-')
                ? UnknownOption(token)
                : $"Unexpected argument '{token}': give targets with --target {token}, and values right after their option.");
        }

        foreach (var error in result.Errors.Where(e => !result.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal))))
        {
            errors.Add(error.SymbolResult is OptionResult { Tokens.Count: 0 } missing
                ? MissingValue(missing.Option.Name)
                : error.Message);
        }

        // An option without its value (--target at the end) leaves nothing to read: reading it would throw.
        if (result.Errors.Count > 0)
        {
            return (null, errors);
        }

        foreach (var (option, what) in new[] { (target, "target"), (skip, "target to skip") })
        {
            // --target takes every name up to the next option, and System.CommandLine hands it an option it does not
            // know (or one given where a name belongs) as if it were a name.
            foreach (var value in result.GetValue(option) ?? [])
            {
                if (value.StartsWith('-'))
                {
                    errors.Add(optionNames.Contains(value.Split('=')[0], StringComparer.Ordinal) || value is "-t" or "-v" or "-h" or "-?"
                        ? $"{option.Name}: {PrintableText.Quote(value)} is an option, not the name of a {what}. Give the name right after {option.Name}, e.g. {option.Name} Build {value}."
                        : UnknownOption(value));
                }
            }
        }

        var options = new CommandLineOptions
        {
            Targets = result.GetValue(target) ?? [],
            Skip = result.GetValue(skip) ?? [],
            DryRun = result.GetValue(dryRun),
            Tree = result.GetValue(tree),
            Exclusive = result.GetValue(exclusive),
            Continue = result.GetValue(@continue),
            Help = result.GetValue(help),
            Description = result.GetValue(description),
        };

        var parallelText = result.GetValue(parallel);
        if (parallelText is not null)
        {
            if (int.TryParse(parallelText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1)
            {
                options = options with { Parallel = n };
            }
            else
            {
                errors.Add($"--parallel: '{parallelText}' is not valid. Expected a whole number of at least 1, e.g. --parallel 4.");
            }
        }

        var verbosityText = result.GetValue(verbosity);
        if (verbosityText is not null)
        {
            if (ParseVerbosity(verbosityText) is { } level)
            {
                options = options with { Verbosity = level };
            }
            else
            {
                errors.Add($"--verbosity: '{verbosityText}' is not valid. Expected one of: quiet, minimal, normal, verbose, diagnostic (or q, m, n, v, diag).");
            }
        }

        var given = new Dictionary<ParameterDescriptor, IReadOnlyList<string>>();
        var versionResult = result.GetResult(version);
        if (versionResult is not null)
        {
            string[] values = result.GetValue(version) is { } value ? [value] : [];
            if (values.Length == 0 || versionParameter is null)
            {
                options = options with { ShowVersion = true };
                if (values.Length > 0)
                {
                    errors.Add($"--version takes no value in this pipeline (it has no Version parameter); got '{values[0]}'.");
                }
            }
            else
            {
                given[versionParameter] = values;
            }
        }

        foreach (var (parameter, option) in parameterOptions)
        {
            if (result.GetResult(option) is null)
            {
                continue;
            }

            given[parameter] = option switch
            {
                Option<string?> flag => result.GetValue(flag) is { } value ? [value] : [],
                Option<string[]> values => result.GetValue(values) ?? [],
                _ => [],
            };
        }

        return errors.Count > 0 ? (null, errors) : (options with { Parameters = given }, errors);
    }

    private static string MissingValue(string option) => option switch
    {
        "--target" => "--target needs the name of a target, e.g. --target Build (several: --target Build Test). Run --help for the list of targets.",
        "--skip" => "--skip needs the name of a target, e.g. --skip Test.",
        "--verbosity" => "--verbosity needs a level: quiet, minimal, normal, verbose or diagnostic, e.g. --verbosity verbose.",
        "--parallel" => "--parallel needs a whole number of at least 1, e.g. --parallel 4.",
        _ => $"{option} needs a value, e.g. {option} VALUE. Run --help for what it accepts.",
    };

    private static Verbosity? ParseVerbosity(string text) => text.ToUpperInvariant() switch
    {
        "QUIET" or "Q" => Verbosity.Quiet,
        "MINIMAL" or "M" => Verbosity.Minimal,
        "NORMAL" or "N" => Verbosity.Normal,
        "VERBOSE" or "V" => Verbosity.Verbose,
        "DIAGNOSTIC" or "DIAG" or "D" => Verbosity.Diagnostic,
        _ => null,
    };
}
