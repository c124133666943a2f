using System.Text;

namespace Slipway.Tests.HostileInput;

/// <summary>Environment files: names, paths, bounds, file kinds, encodings and scalars.</summary>
public static partial class HostileCorpus
{
    private const string Dev = "environments/dev.yml";
    private const string NameRule = "use lowercase letters, digits and '-', starting with a letter, not ending with '-', at most 63 characters";

    private static readonly string[] ShowDev = ["--target", "ShowEnvironment", "--env", "dev"];
    private static readonly string[] Validate = ["--target", "ValidateEnvironments"];

    /// <summary>dev.yml with <paramref name="text"/> added to its api service (4-space indented keys).</summary>
    private static Action<HostileWorkspace> InApi(string text) => w => w.Edit(Dev, "  api:\n    replicas: 1\n", "  api:\n    replicas: 1\n" + text);

    /// <summary>dev.yml with the api's <c>replicas: 1</c> written as <paramref name="value"/>.</summary>
    private static Action<HostileWorkspace> ApiReplicas(string value) => w => w.Edit(Dev, "  api:\n    replicas: 1\n", $"  api:\n    replicas: {value}\n");

    private static Action<HostileWorkspace> AddService(string key, string body = "    image: x\n    dockerfile: x/Dockerfile\n") =>
        w => w.Edit(Dev, "  worker:\n    replicas: 1\n", "  worker:\n    replicas: 1\n" + key + "\n" + body);

    private static string At(HostileWorkspace w, string text, int column, string rest) => $"{Dev}:{w.LineOf(Dev, text)}:{column}: {rest}";

    private static IEnumerable<HostileCase> EnvironmentCases() =>
    [
        // Names: one rule for services, environments and probes.
        new("service-name-climbs-out", ShowDev, 2)
        {
            Arrange = AddService("  ../../x:"),
            Expected = w => [At(w, "../../x:", 3, $"services.../../x: \"../../x\" is not a valid service name: {NameRule}; did you mean \"x\"?")],
        },
        new("service-name-uppercase-beside-lowercase", ShowDev, 2)
        {
            Arrange = AddService("  Api:"),
            Expected = w => [At(w, "  Api:", 3, "services.Api: \"Api\" is not a valid service name")],
        },
        new("service-name-with-a-space", ShowDev, 2)
        {
            Arrange = AddService("  my api:"),
            Expected = w => [At(w, "my api:", 3, "services.my api: \"my api\" is not a valid service name"), "did you mean \"my-api\"?"],
        },
        new("service-name-with-a-trailing-line-break", ShowDev, 2)
        {
            Arrange = AddService("  \"web\\n\":"),
            Expected = w => [At(w, "\"web\\n\":", 3, "services.web\\n: \"web\\n\" is not a valid service name"), "did you mean \"web\"?"],
        },
        new("service-name-too-long", ShowDev, 2)
        {
            Arrange = AddService("  " + new string('a', 64) + ":"),
            Expected = w => [At(w, new string('a', 64), 3, $"services.{new string('a', 64)}: \"{new string('a', 64)}\" is not a valid service name")],
        },
        new("probe-name-not-a-name", ShowDev, 2)
        {
            Arrange = w => w.Append(Dev, "slo:\n  probes:\n    - name: Ready Probe\n      path: /health/ready\n      p95_latency: 300ms\n"),
            Expected = w => [At(w, "Ready Probe", 13, "slo.probes[0].name: \"Ready Probe\" is not a valid probe name"), "did you mean \"ready-probe\"?"],
        },
        new("migrations-image-of-not-a-name", ShowDev, 2)
        {
            Arrange = w => w.Edit(Dev, "  migrations:\n    timeout: 2m\n", "  migrations:\n    timeout: 2m\n    image_of: Billing API\n"),
            Expected = w => [At(w, "image_of:", 15, "data.migrations.image_of: \"Billing API\" is not a valid service name"), "did you mean \"billing-api\"?"],
            Absent = ["no service named"],
        },
        new("environment-name-uppercase", ["--target", "ShowEnvironment", "--env", "Dev"], 2)
        {
            Expected = _ => [$"error: environments: \"Dev\" is not a valid environment name: {NameRule}; did you mean \"dev\"?"],
        },
        new("environment-name-is-a-path", ["--target", "History", "--env", "../environments/dev"], 2)
        {
            Expected = _ => ["error: environments: \"../environments/dev\" is not a valid environment name"],
        },
        new("environment-name-injects-a-workflow-command", ["--target", "History", "--env", "dev\n::error::pwned"], 2)
        {
            Expected = _ => ["error: environments: \"dev\\n::error::pwned\" is not a valid environment name"],
        },
        new("environment-name-carries-a-terminal-sequence", ["--target", "History", "--env", "dev\u001b[2J"], 2)
        {
            Expected = _ => ["error: environments: \"dev\\e[2J\" is not a valid environment name"],
            Absent = ["\u001b"],
        },
        new("extends-climbs-out", ShowDev, 2)
        {
            Arrange = w => w.Edit(Dev, "extends: base", "extends: ../base"),
            Expected = w => [At(w, "extends:", 10, "extends: expected the name of another environment file, e.g. base, got \"../base\"")],
        },
        new("environment-file-name-not-a-name", Validate, 2)
        {
            Arrange = w => w.Write("environments/Staging.yml", w.Read("environments/staging.yml")),
            Expected = _ => ["error: environments/Staging.yml: not loaded: \"Staging\" is not a valid environment name", "did you mean \"staging\"?"],
        },

        // Paths: everything configured stays inside the repository.
        new("state-directory-climbs-out", ["--target", "History", "--env", "dev"], 2)
        {
            Arrange = w => w.Append(Dev, "state_directory: ../elsewhere\n"),
            Expected = w => [At(w, "state_directory:", 18, "state_directory: \"../elsewhere\" is a path that climbs out with '..': the state directory must be inside the repository")],
        },
        new("state-directory-absolute", ["--target", "History", "--env", "dev"], 2)
        {
            Arrange = w => w.Append(Dev, $"state_directory: {w.Outside}/state\n"),
            Expected = w => [At(w, "state_directory:", 18, $"state_directory: \"{w.Outside}/state\" is an absolute path")],
        },
        new("state-directory-through-a-symlink", ["--target", "History", "--env", "dev"], 2)
        {
            Arrange = w => w.Symlink(".slipway/elsewhere", w.Outside).Append(Dev, "state_directory: .slipway/elsewhere/state\n"),
            Expected = w => [At(w, "state_directory:", 18, "state_directory: \".slipway/elsewhere/state\" is a path that leads out through a symbolic link")],
        },
        new("backup-directory-climbs-out", ShowDev, 2)
        {
            Arrange = w => w.Edit(Dev, "      retention: 1d\n", "      retention: 1d\n      directory: ../backups\n"),
            Expected = w => [At(w, "directory: ../backups", 18, "data.postgres.backup.directory: \"../backups\" is a path that climbs out with '..': the backup directory must be inside the repository")],
        },
        new("dockerfile-outside", ShowDev, 2)
        {
            Arrange = InApi("    dockerfile: ../../Dockerfile\n"),
            Expected = w => [At(w, "../../Dockerfile", 17, "services.api.dockerfile: \"../../Dockerfile\" is a path that climbs out with '..': a Dockerfile must be inside the repository")],
        },
        new("compose-file-absolute", ShowDev, 2)
        {
            Arrange = w => w.Append(Dev, "delivery:\n  compose:\n    files:\n      - /etc/passwd\n"),
            Expected = w => [At(w, "- /etc/passwd", 9, "delivery.compose.files[0]: \"/etc/passwd\" is an absolute path: a Compose file must be inside the repository")],
        },
        new("file-secret-outside", ShowDev, 2)
        {
            Arrange = InApi("    secrets:\n      DB_PASSWORD: file:/etc/shadow\n"),
            Expected = w => [At(w, "file:/etc/shadow", 20, "services.api.secrets.DB_PASSWORD: \"file:/etc/shadow\" is an absolute path: a file: secret must be inside the repository, or in a directory listed in SLIPWAY_SECRET_DIRECTORIES")],
        },
        new("file-secret-climbs-out", ShowDev, 2)
        {
            Arrange = InApi("    secrets:\n      DB_PASSWORD: file:../../id_rsa\n"),
            Expected = w => [At(w, "file:../../id_rsa", 20, "services.api.secrets.DB_PASSWORD: \"file:../../id_rsa\" is a path that climbs out with '..'")],
        },
        new("file-secret-in-an-allowed-directory", ShowDev, 0)
        {
            Arrange = InApi("    secrets:\n      DB_PASSWORD: file:/run/slipway-secrets/db\n"),
            Environment = new Dictionary<string, string> { ["SLIPWAY_SECRET_DIRECTORIES"] = "/run/slipway-secrets" },
            Expected = _ => ["DB_PASSWORD: file:/run/slipway-secrets/db"],
        },
        new("infra-var-file-outside", ["--target", "ShowEnvironment", "--env", "staging"], 2)
        {
            Arrange = w => w.Edit("environments/staging.yml", "    - staging.tfvars\n", "    - ../../../secrets.tfvars\n"),
            Expected = w => [$"environments/staging.yml:{w.LineOf("environments/staging.yml", "secrets.tfvars")}:7: infra.var_files[0]: \"../../../secrets.tfvars\" is a path that climbs out with '..' of the repository"],
        },
        new("environments-directory-outside", [.. Validate, "--environments-directory", "../outside"], 2)
        {
            Expected = _ => ["error: ../outside: the environments directory \"../outside\" is outside the repository"],
        },
        new("environments-directory-missing", [.. Validate, "--environments-directory", "nosuch"], 2)
        {
            Expected = _ => ["error: nosuch: the environments directory \"nosuch\" does not exist; create it, or pass the right --environments-directory"],
        },

        // Bounds: nothing loads for long, nothing overflows the stack.
        new("nesting-10000-levels", ShowDev, 2)
        {
            Arrange = w => w.Write(Dev, "extends: base\ndescription: " + new string('[', 10_000) + new string(']', 10_000) + "\n"),
            Expected = _ => [$"{Dev}:2:77: mappings and lists nest deeper than the limit of 64 levels here"],
        },
        new("deep-block-nesting", ShowDev, 2)
        {
            Arrange = w => w.Write(Dev, "extends: base\n" + string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', 2 * i) + "k:\n"))),
            Expected = _ => [$"{Dev}:66:129: mappings and lists nest deeper than the limit of 64 levels here"],
        },
        new("alias-bomb-of-a-billion-leaves", ShowDev, 2)
        {
            Arrange = w => w.Write(Dev, AliasBomb()),
            Expected = _ => [$"{Dev}:8:12: this alias makes the file larger than the limit of 200,000 nodes (aliases count as every node they repeat)"],
        },
        new("too-many-nodes", ShowDev, 2)
        {
            Arrange = w => w.Write(Dev, "extends: base\nservices:\n  api:\n    env:\n" + string.Concat(Enumerable.Range(0, 120_000).Select(i => $"      K{i}: v\n"))),
            Expected = _ => ["the file has more than the limit of 200,000 nodes; split it, or share settings through extends"],
        },
        new("long-variable-repeated-in-every-value", ShowDev, 2)
        {
            Arrange = w => w.Edit(Dev, "  worker:\n    replicas: 1\n", "  worker:\n    replicas: 1\n    env:\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"      K{i}: ${{LONG_VALUE}}\n"))),
            Environment = new Dictionary<string, string> { ["LONG_VALUE"] = new string('v', 100_000) },
            Expected = _ => ["placeholders add more than the limit of 16 MiB of text to this environment; \"LONG_VALUE\" is too long to repeat this often"],
        },
        new("many-keys-load-quickly", Validate, 0)
        {
            Arrange = w => w.Edit(Dev, "  worker:\n    replicas: 1\n", "  worker:\n    replicas: 1\n    env:\n" + string.Concat(Enumerable.Range(0, 60_000).Select(i => $"      K{i}: v\n"))),
            Expected = _ => ["Valid environments: dev, prod, staging"],
        },
        new("file-larger-than-the-limit", ShowDev, 2)
        {
            Arrange = w => w.Write(Dev, "extends: base\ndescription: \"" + new string('x', 5 << 20) + "\"\n"),
            Expected = _ => [$"error: {Dev}: is larger than the limit of 4 MiB for this file"],
        },

        // File kinds: only regular files, links only inside the folder.
        new("environment-file-is-a-fifo", ShowDev, 2)
        {
            Arrange = w => w.Delete(Dev).Fifo(Dev),
            Expected = _ => [$"error: {Dev}: is a FIFO (named pipe), not a regular file; only regular files are read"],
        },
        new("environment-file-is-a-directory", Validate, 2)
        {
            Arrange = w => w.Delete("environments/prod.yml").Folder("environments/prod.yml"),
            Expected = _ => ["error: environments/prod.yml: is a directory, not a regular file; only regular files are read"],
        },
        new("environment-file-links-to-passwd", ShowDev, 2)
        {
            Arrange = w => w.Delete(Dev).Symlink(Dev, "/etc/passwd"),
            Expected = _ => [$"error: {Dev}: is a symbolic link to a file outside environments/; only links to files inside the environments folder are followed"],
            Absent = ["root:", "/bin/"],
        },
        new("environment-file-links-to-nothing", ShowDev, 2)
        {
            Arrange = w => w.Delete(Dev).Symlink(Dev, "dev-gone.yml"),
            Expected = _ => [$"error: {Dev}: is a symbolic link to \"dev-gone.yml\", which does not exist; fix or remove the link"],
        },
        new("link-inside-the-folder-is-followed", ["--target", "ShowEnvironment", "--env", "local"], 0)
        {
            Arrange = w => w.Symlink("environments/local.yml", "dev.yml"),
            Expected = _ => ["# environment: local"],
        },
        new("yaml-extension-is-named", Validate, 2)
        {
            Arrange = w => w.Write("environments/qa.yaml", "extends: base\ntrigger:\n  on: pull_request\n"),
            Expected = _ => ["error: environments/qa.yaml: not loaded: environment files are named <name>.yml; rename it to qa.yml"],
        },
        new("stray-directory-is-named", Validate, 2)
        {
            Arrange = w => w.Folder("environments/old"),
            Expected = _ => ["error: environments/old: not an environment file (a directory); the folder holds only <name>.yml files and environment.schema.json"],
        },
        new("nothing-to-validate", Validate, 2)
        {
            Arrange = w => w.Delete(Dev).Delete("environments/staging.yml").Delete("environments/prod.yml"),
            Expected = _ => ["error: environments: no environment to validate: the directory holds no <name>.yml file besides base.yml"],
        },
        new("empty-base-is-named", ShowDev, 2)
        {
            Arrange = w => w.Write("environments/base.yml", string.Empty),
            Expected = _ => ["error: environments/base.yml:1:1: the file is empty, but environments extend it"],
        },

        // Scalars mean what they look like, or are refused.
        new("explicit-str-tag", ShowDev, 2)
        {
            Arrange = ApiReplicas("!!str 3"),
            Expected = w => [At(w, "!!str", 15, "explicit YAML tags are not supported (!!str)")],
        },
        new("custom-tag-on-a-secret", ShowDev, 2)
        {
            Arrange = InApi("    secrets:\n      DB_PASSWORD: !vault db/password\n"),
            Expected = w => [At(w, "!vault", 20, "explicit YAML tags are not supported (!vault)")],
        },
        new("count-with-a-leading-zero", ShowDev, 2)
        {
            Arrange = ApiReplicas("012"),
            Expected = w => [At(w, "replicas: 012", 15, "services.api.replicas: expected an integer ≥ 1, got 012")],
        },
        new("count-with-a-sign", ShowDev, 2)
        {
            Arrange = ApiReplicas("+3"),
            Expected = w => [At(w, "replicas: +3", 15, "services.api.replicas: expected an integer ≥ 1, got +3")],
        },
        new("count-in-hexadecimal", ShowDev, 2)
        {
            Arrange = ApiReplicas("0x10"),
            Expected = w => [At(w, "replicas: 0x10", 15, "services.api.replicas: expected an integer ≥ 1, got \"0x10\"")],
        },
        new("rate-with-an-exponent", ShowDev, 2)
        {
            Arrange = w => w.Append(Dev, "slo:\n  probes:\n    - name: ready\n      path: /health/ready\n      p95_latency: 300ms\n      max_error_rate: 1e-2\n"),
            Expected = w => [At(w, "max_error_rate", 23, "slo.probes[0].max_error_rate: expected a number between 0 and 1, got 1e-2")],
        },
        new("duration-that-would-overflow", ShowDev, 2)
        {
            Arrange = w => w.Edit(Dev, "rollout:\n  timeout: 5m\n", "rollout:\n  timeout: 99999999d\n"),
            Expected = w => [At(w, "99999999d", 12, "rollout.timeout: expected a duration like 30s, 5m or 1h30m, got \"99999999d\"")],
        },
        new("duration-longer-than-a-timer-waits", ShowDev, 2)
        {
            Arrange = w => w.Edit(Dev, "rollout:\n  timeout: 5m\n", "rollout:\n  timeout: 30d\n"),
            Expected = w => [At(w, "timeout: 30d", 12, "rollout.timeout: expected a duration of at most 24d, got 30d")],
        },
        new("invalid-utf8", ShowDev, 2)
        {
            Arrange = w => w.WriteBytes(Dev, [.. "extends: base\ndescription: caf"u8, 0xC3, (byte)'\n']),
            Expected = _ => [$"error: {Dev}:2:17: is not valid UTF-8 (byte 0xC3); save it as UTF-8"],
        },
        new("nul-byte", ShowDev, 2)
        {
            Arrange = w => w.WriteBytes(Dev, [.. "extends: base\ndescription: a"u8, 0x00, .. "b\n"u8]),
            Expected = _ => [$"error: {Dev}:2:15: holds a NUL byte; it is not a text file"],
        },
        new("terminal-escape-sequence", ShowDev, 2)
        {
            Arrange = w => w.WriteBytes(Dev, [.. "extends: base\ndescription: a"u8, 0x1B, .. "[31mred\n"u8]),
            Expected = _ => [$"error: {Dev}:2:15: holds the control character U+001B; remove it (only tab and line breaks are allowed)"],
            Absent = ["\u001b"],
        },
        new("utf32-is-refused", ShowDev, 2)
        {
            Arrange = w => w.WriteBytes(Dev, [0xFF, 0xFE, 0x00, 0x00, .. new UTF32Encoding(false, false).GetBytes(w.Read(Dev))]),
            Expected = _ => [$"error: {Dev}:1:1: is UTF-32, which is not supported; save it as UTF-8"],
        },
        new("nested-default-is-expanded", ShowDev, 0)
        {
            Arrange = w => w.Edit(Dev, "description: Per-PR", "description: ${DESCRIPTION_A:-${DESCRIPTION_B}} Per-PR"),
            Environment = new Dictionary<string, string> { ["DESCRIPTION_B"] = "from-b" },
            Expected = _ => ["description: from-b Per-PR"],
        },
        new("nested-default-unset", ShowDev, 2)
        {
            Arrange = w => w.Edit(Dev, "description: Per-PR", "description: ${DESCRIPTION_A:-${DESCRIPTION_B}} Per-PR"),
            Expected = w => [At(w, "DESCRIPTION_A", 31, "description: variable \"DESCRIPTION_B\" is not set")],
        },
        new("utf8-bom-is-accepted", ShowDev, 0)
        {
            Arrange = w => w.WriteBytes(Dev, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(w.Read(Dev))]),
            Expected = _ => ["# environment: dev"],
        },
        new("crlf-is-accepted", ShowDev, 0)
        {
            Arrange = w => w.Write(Dev, w.Read(Dev).Replace("\n", "\r\n", StringComparison.Ordinal)),
            Expected = _ => ["# environment: dev", "replicas: 1"],
        },
        new("utf16-little-endian-with-bom-is-accepted", ShowDev, 0)
        {
            Arrange = w => w.WriteBytes(Dev, [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(w.Read(Dev))]),
            Expected = _ => ["# environment: dev", "new_checkout: true"],
        },
        new("utf16-big-endian-with-bom-is-accepted", ShowDev, 0)
        {
            Arrange = w => w.WriteBytes(Dev, [0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes(w.Read(Dev))]),
            Expected = _ => ["# environment: dev", "new_checkout: true"],
        },
        new("anchors-and-aliases-within-limits-are-accepted", ShowDev, 0)
        {
            Arrange = w => w
                .Edit(Dev, "    env:\n      ASPNETCORE_ENVIRONMENT: Development\n", "    env: &shared\n      ASPNETCORE_ENVIRONMENT: Development\n      SHARED_BY_ALIAS: \"yes\"\n")
                .Edit(Dev, "  worker:\n    replicas: 1\n", "  worker:\n    replicas: 1\n    env: *shared\n"),
            Expected = _ => ["      ASPNETCORE_ENVIRONMENT: Development\n      SHARED_BY_ALIAS: \"yes\"\n    feature_flags:", "    env:\n      ASPNETCORE_ENVIRONMENT: Development\n      SHARED_BY_ALIAS: \"yes\"\n"],
        },
        new("refused-content-is-not-echoed", ShowDev, 2)
        {
            Arrange = w => w.Write(Dev, "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsecret-line-that-must-not-print\n"),
            Expected = _ => [$"error: {Dev}:1:1: expected a mapping of keys at the top of the file, got \"root:x:0:0:root:/root:/bin/bash daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin …\""],
            Absent = ["secret-line-that-must-not-print"],
        },
        new("control-character-in-a-key-is-escaped", ShowDev, 2)
        {
            Arrange = w => w.Append(Dev, "\"bell\\a\": 1\n"),
            Expected = w => [At(w, "bell", 1, "bell\\u0007: unknown key \"bell\\u0007\"")],
            Absent = ["\u0007"],
        },
    ];

    /// <summary>Ten levels of ten aliases each: 10^9 leaves if anyone expanded it.</summary>
    private static string AliasBomb()
    {
        var text = new StringBuilder("extends: base\nbomb:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 10; i++)
        {
            text.Append("  a").Append(i).Append(": &a").Append(i).Append(" [").AppendJoin(", ", Enumerable.Repeat($"*a{i - 1}", 10)).Append("]\n");
        }

        return text.ToString();
    }
}
