namespace Slipway.Environments;

/// <summary>
/// Rules that involve more than one key, checked after binding so each can be stated in terms of the
/// typed model. Errors point at the offending key, or at the nearest section a file wrote when the
/// problem is a key that is missing.
/// </summary>
internal static class EnvironmentRules
{
    public static void Check(DeployEnvironment environment, string environmentFile, ICollection<ConfigurationError> errors)
    {
        var report = new Reporter(environment, environmentFile, errors);
        CheckTrigger(environment, report);
        CheckDelivery(environment, report);
        CheckServices(environment, report);
        CheckSecurity(environment, report);
        CheckData(environment, report);
        CheckSupplyChain(environment, report);
        CheckCanary(environment, report);
        CheckInfra(environment, report);
        CheckProbes(environment, report);
    }

    private static void CheckProbes(DeployEnvironment environment, Reporter report)
    {
        var probes = environment.Slo?.Probes ?? [];
        for (var i = 0; i < probes.Count; i++)
        {
            // The checks before traffic send a GET of the path straight to each new container: nothing else.
            if (probes[i].Direct == true && (probes[i].Request is { IsSafe: false } || probes[i].FollowUp is not null))
            {
                report.At($"slo.probes[{i}].direct", "the checks before traffic send only a GET of the path to each new container; a probe with another method or a follow_up runs through the proxy only: remove direct or set it to false");
            }

            // A warm-up request is a sample whose answer is not judged: of a probe that changes something, it would change it.
            if (probes[i].Warmup > 0 && (probes[i].Request is { IsSafe: false } || probes[i].FollowUp is not null))
            {
                report.At($"slo.probes[{i}].warmup", "only a probe that changes nothing (GET or HEAD, no follow_up) can be warmed up: its warm-up requests are sent like samples and not judged; remove warmup");
            }
        }
    }

    private static void CheckInfra(DeployEnvironment environment, Reporter report)
    {
        // Var files are relative to the stack, so only together with it can they be checked against the repository.
        var varFiles = environment.Infra?.VarFiles ?? [];
        for (var i = 0; i < varFiles.Count; i++)
        {
            if (ContainedPath.LexicalProblem(Path.Combine(environment.Infra!.Stack, varFiles[i])) is { } problem)
            {
                report.At($"infra.var_files[{i}]", $"{Processes.PrintableText.Quote(varFiles[i])} is {problem} of the repository: a var file must be inside it, written relative to the stack");
            }
        }
    }

    private static void CheckTrigger(DeployEnvironment environment, Reporter report)
    {
        if (environment.Trigger.On is TriggerEvent.Branch or TriggerEvent.Tag && environment.Trigger.Pattern is null)
        {
            report.At("trigger.pattern", $"a {EnumShape.NameOf(environment.Trigger.On)} trigger needs a pattern, e.g. main or v*");
        }
    }

    private static void CheckDelivery(DeployEnvironment environment, Reporter report)
    {
        var delivery = environment.Delivery;
        if (delivery.Driver == DeliveryDriver.Compose && delivery.Compose is null)
        {
            report.At("delivery.compose", "the compose driver needs a delivery.compose section with at least a project");
        }

        if (delivery.Driver == DeliveryDriver.Helm)
        {
            if (delivery.Helm?.Namespace is null)
            {
                report.At("delivery.helm.namespace", "the helm driver needs a namespace to install into");
            }

            if (delivery.Helm?.Release is null)
            {
                report.At("delivery.helm.release", "the helm driver needs a release name");
            }

            if (environment.Ingress is { Router: IngressRouter.Gateway, Gateway: null })
            {
                report.At("ingress.gateway", "the helm driver routes through a Gateway API HTTPRoute: name the gateway (ingress.gateway.name), or set ingress.router: ingress_nginx");
            }
        }
    }

    private static void CheckServices(DeployEnvironment environment, Reporter report)
    {
        if (environment.Services.Count == 0)
        {
            report.At("services", "at least one service is needed");
        }

        foreach (var (name, service) in environment.Services)
        {
            var requests = service.Resources.Requests;
            var limits = service.Resources.Limits;
            var path = $"services.{name}.resources.limits";
            if (requests?.Cpu is { } cpuRequest && limits?.Cpu is { } cpuLimit && cpuLimit < cpuRequest)
            {
                report.At(path + ".cpu", $"the limit {cpuLimit} is below the request {cpuRequest}");
            }

            if (requests?.Memory is { } memoryRequest && limits?.Memory is { } memoryLimit && memoryLimit < memoryRequest)
            {
                report.At(path + ".memory", $"the limit {memoryLimit} is below the request {memoryRequest}");
            }
        }

        if (environment.Data.Migrations.ImageOf is { } imageOf && !environment.Services.ContainsKey(imageOf))
        {
            var hint = NameSuggestion.DidYouMean(imageOf, environment.Services.Keys);
            report.At("data.migrations.image_of", $"no service named \"{imageOf}\""
                + (hint.Length > 0 ? hint : $"; services: {string.Join(", ", environment.Services.Keys)}"));
        }

        if (environment.Ingress is { } ingress && !environment.Services.ContainsKey(ingress.Backend))
        {
            var hint = NameSuggestion.DidYouMean(ingress.Backend, environment.Services.Keys);
            report.At("ingress.backend", $"no service named \"{ingress.Backend}\""
                + (hint.Length > 0 ? hint : $"; services: {string.Join(", ", environment.Services.Keys)}"));
        }

        if (environment.Ingress is { } routed && environment.Services.TryGetValue(routed.Backend, out var backend) && backend.Role == ServiceRole.Worker)
        {
            report.At($"services.{routed.Backend}.role", $"\"{routed.Backend}\" is ingress.backend, so it answers requests: remove role: worker (a worker takes its work from a queue and nothing calls it)");
        }
    }

    private static void CheckSecurity(DeployEnvironment environment, Reporter report)
    {
        var security = environment.Security;
        if (security.TlsMode == TlsMode.Provided)
        {
            if (security.TlsCertificate is null)
            {
                report.At("security.tls_certificate", "tls_mode provided needs tls_certificate (a secret reference to the PEM chain)");
            }

            if (security.TlsKey is null)
            {
                report.At("security.tls_key", "tls_mode provided needs tls_key (a secret reference to the PEM key)");
            }
        }

        for (var i = 0; i < security.CorsOrigins.Count; i++)
        {
            var origin = security.CorsOrigins[i];
            if (origin != "*" && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                && uri.GetLeftPart(UriPartial.Authority).Equals(origin, StringComparison.OrdinalIgnoreCase)))
            {
                report.At($"security.cors_origins[{i}]", $"{Processes.PrintableText.Quote(origin)} is not an origin: write scheme://host[:port] with no path, e.g. https://app.example.com, or \"*\" for any");
            }
        }

        if (security.TlsMode != TlsMode.Off && environment.Ingress is null && environment.Delivery.Driver == DeliveryDriver.Compose)
        {
            report.At("security.tls_mode", "TLS at the proxy needs an ingress (host, backend and https_port); add an ingress section or set tls_mode: off");
        }

        if (environment.IsProduction && security.CorsOrigins.Contains("*"))
        {
            report.At("security.cors_origins", "production environments list their CORS origins; \"*\" lets any site call the API with user credentials");
        }
    }

    private static void CheckData(DeployEnvironment environment, Reporter report)
    {
        if (environment.Data.MaintenanceWindow is { } window && !MaintenanceWindows.TryFindTimeZone(window.TimeZone, out _))
        {
            report.At("data.maintenance_window.time_zone", $"'{window.TimeZone}' is not a time zone this machine knows; use an IANA name such as UTC or Europe/Berlin");
        }

        if (environment.Data.MaintenanceWindow is { Days.Count: 0 })
        {
            report.At("data.maintenance_window.days", "a window needs at least one day, e.g. days: [sunday]");
        }

        if (environment.Data.Mode == DataMode.Production && environment.Data.Postgres is { Backup.BeforeDeploy: false })
        {
            report.At("data.postgres.backup.before_deploy", "production data needs a backup before every deploy; set before_deploy: true");
        }
    }

    private static void CheckSupplyChain(DeployEnvironment environment, Reporter report)
    {
        var policy = environment.SupplyChain;
        if (environment.IsProduction && !policy.RequireSignature)
        {
            report.At("supply_chain.require_signature",
                "production environments (named prod, or deployed from tags) must require signatures; set require_signature: true");
        }

        if (policy.RequireSignature && policy.Signing is null)
        {
            report.At("supply_chain.signing", "signatures are required, so a signing section (mode key or keyless) is needed");
        }

        switch (policy.Signing)
        {
            case { Mode: SigningMode.Keyless } keyless:
                if (keyless.Identity is null)
                {
                    report.At("supply_chain.signing.identity", "keyless signing needs the certificate identity to verify, e.g. the release workflow URL");
                }

                if (keyless.Issuer is null)
                {
                    report.At("supply_chain.signing.issuer", "keyless signing needs the OIDC issuer to verify, e.g. https://token.actions.githubusercontent.com");
                }

                break;
            case { Mode: SigningMode.Key } key:
                if (key.Key is null)
                {
                    report.At("supply_chain.signing.key", "key signing needs the private key as a secret reference, e.g. file:cosign.key");
                }

                if (key.PublicKey is null)
                {
                    report.At("supply_chain.signing.public_key", "key signing needs the public key file that verifies, e.g. cosign.pub");
                }

                break;
        }
    }

    private static void CheckCanary(DeployEnvironment environment, Reporter report)
    {
        if (environment.Canary is not { } canary)
        {
            return;
        }

        for (var i = 1; i < canary.Steps.Count; i++)
        {
            if (canary.Steps[i].Weight <= canary.Steps[i - 1].Weight)
            {
                report.At($"canary.steps[{i}].weight",
                    $"canary weights must increase strictly: {canary.Steps[i].Weight} follows {canary.Steps[i - 1].Weight}");
            }
        }

        if (environment.Slo is null || environment.Slo.Probes.Count == 0)
        {
            report.At("canary", "a canary is judged by SLO probes; add slo.probes");
        }
    }

    private sealed class Reporter(DeployEnvironment environment, string environmentFile, ICollection<ConfigurationError> errors)
    {
        public void At(string path, string message)
        {
            var location = environment.Origins.Nearest(path) ?? new SourceLocation(environmentFile, 1, 1);
            errors.Add(new ConfigurationError(location.File, location.Line, location.Column, path, message));
        }
    }
}
