namespace Slipway.Tests.HostileInput;

/// <summary>Command lines: missing values, bad numbers and durations, both forms of --target, and escaping.</summary>
public static partial class HostileCorpus
{
    private static IEnumerable<HostileCase> CliCases() =>
    [
        new("target-without-a-value", ["--target"], 2)
        {
            Expected = _ => ["error: --target needs the name of a target, e.g. --target Build (several: --target Build Test)."],
        },
        new("verbosity-without-a-value", ["--target", "ValidateEnvironments", "--verbosity"], 2)
        {
            Expected = _ => ["error: --verbosity needs a level: quiet, minimal, normal, verbose or diagnostic, e.g. --verbosity verbose."],
        },
        new("skip-without-a-value", ["--target", "ValidateEnvironments", "--skip"], 2)
        {
            Expected = _ => ["error: --skip needs the name of a target, e.g. --skip Test."],
        },
        new("env-without-a-value", ["--target", "History", "--env"], 2)
        {
            Expected = _ => ["error: --env needs a value, e.g. --env VALUE."],
        },
        new("parallel-zero", [.. Validate, "--parallel", "0"], 2)
        {
            Expected = _ => ["error: --parallel: '0' is not valid. Expected a whole number of at least 1, e.g. --parallel 4."],
        },
        new("parallel-beyond-a-number", [.. Validate, "--parallel", "99999999999999"], 2)
        {
            Expected = _ => ["error: --parallel: '99999999999999' is not valid."],
        },
        new("lock-wait-negative", [.. Validate, "--lock-wait", "-5m"], 2)
        {
            Expected = _ => ["error: --lock-wait: '-5m' is not valid. Expected a duration from 0s to 24d, e.g. 90s, 5m, 1h30m."],
        },
        new("lock-wait-negative-clock-form", [.. Validate, "--lock-wait", "-00:05:00"], 2)
        {
            Expected = _ => ["error: --lock-wait: '-00:05:00' is not valid. Expected a duration from 0s to 24d"],
        },
        new("lock-wait-that-would-overflow", [.. Validate, "--lock-wait", "99999999d"], 2)
        {
            Expected = _ => ["error: --lock-wait: '99999999d' is not valid. Expected a duration from 0s to 24d"],
        },
        new("targets-in-one-option", ["--target", "ValidateEnvironments", "ShowEnvironment", "--env", "dev"], 0)
        {
            Expected = _ => ["Valid environments: dev, prod, staging", "# environment: dev"],
        },
        new("targets-in-repeated-options", ["--target", "ValidateEnvironments", "--target", "ShowEnvironment", "--env", "dev"], 0)
        {
            Expected = _ => ["Valid environments: dev, prod, staging", "# environment: dev"],
        },
        new("per-service-targets-as-ci-runs-them", ["--target", "Build", "Sbom", "Scan", "--env", "dev", "--service", "api", "--dry-run"], 0)
        {
            Script = GitAtHead,
            Expected = _ => ["Dry run of Build, Sbom, Scan"],
        },
        new("target-followed-by-an-option", ["--target", "--dry-run"], 2)
        {
            Expected = _ => ["error: --target: \"--dry-run\" is an option, not the name of a target. Give the name right after --target, e.g. --target Build --dry-run."],
        },
        new("unknown-option-among-targets", ["--target", "ValidateEnvironments", "--dryrun-please"], 2)
        {
            Expected = _ => ["error: Unknown option '--dryrun-please'."],
        },
        new("unknown-target", ["--target", "DeplyoDev"], 2)
        {
            Expected = _ => ["error: Unknown target 'DeplyoDev'. Did you mean 'DeployDev'?"],
        },
        new("unknown-option-injects-a-workflow-command", ["--target", "ValidateEnvironments", "--verbose\n::error::pwned"], 2)
        {
            Expected = _ => ["error: Unknown option '--verbose\\n::error::pwned'."],
        },
        new("target-name-of-100000-characters", ["--target", new string('T', 100_000)], 2)
        {
            Expected = _ => ["error: Unknown target 'TTTT"],
        },
        new("service-filter-is-a-path", ["--target", "Build", "--env", "dev", "--service", "../x"], 2)
        {
            Expected = _ => ["error: --service ../x: environments/dev.yml has no such service. Services: api, worker."],
        },
        new("deploy-target-and-env-disagree", ["--target", "DeployStaging", "--env", "prod", "--dry-run"], 2)
        {
            Expected = _ => ["error: DeployStaging deploys to staging, but --env says prod: drop --env (or use --env staging)."],
        },
    ];
}
