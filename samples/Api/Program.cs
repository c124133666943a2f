using Slipway.Samples.Api;
using Slipway.Samples.Api.Migrations;
using Slipway.Samples.ServiceHosting;

// Sub-commands share the image with the web app: `migrate` is the pipeline's migration step and
// `healthcheck` is the Dockerfile's HEALTHCHECK. Anything else starts the web app.
return args switch
{
    [MigrateCommand.Name, ..] => await MigrateCommand.RunAsync(EnvironmentConfiguration(), Console.Out, Console.Error, CancellationToken.None),
    [LivenessProbeCommand.Name, ..] => await LivenessProbeCommand.RunAsync(LocalLivenessUrl(), Console.Out, TimeSpan.FromSeconds(3)),
    _ => await RunWebAsync(args),
};

static IConfiguration EnvironmentConfiguration() => new ConfigurationBuilder().AddEnvironmentVariables().Build();

static Uri LocalLivenessUrl()
{
    // ASPNETCORE_HTTP_PORTS may list several ports ("8080;8081"); the first one serves the app.
    var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS");
    var port = string.IsNullOrWhiteSpace(ports) ? ApiApplication.DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture) : ports.Split(';', ',')[0].Trim();
    return new Uri($"http://127.0.0.1:{port}{HealthPaths.Live}");
}

static async Task<int> RunWebAsync(string[] args)
{
    var builder = WebApplication.CreateBuilder(args);
    var errors = new List<string>();
    var settings = ApiSettings.Parse(builder.Configuration, errors);
    if (errors.Count > 0)
    {
        await Console.Error.WriteLineAsync("api: invalid configuration:");
        foreach (var message in errors)
        {
            await Console.Error.WriteLineAsync($"  {message}");
        }

        return 2;
    }

    var version = VersionInfo.Resolve(builder.Configuration, VersionInfo.InformationalVersionOf(typeof(ApiApplication).Assembly));
    builder.Services.AddSampleInfrastructure(settings);
    var app = ApiApplication.Build(builder, settings, version);
    await app.RunAsync();
    return 0;
}
