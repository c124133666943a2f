using Slipway.Samples.ServiceHosting;
using Slipway.Samples.Worker;

// `healthcheck` is the Dockerfile's HEALTHCHECK (the base image has no curl); anything else runs
// the worker.
return args switch
{
    [LivenessProbeCommand.Name, ..] => await LivenessProbeCommand.RunAsync(LocalLivenessUrl(), Console.Out, TimeSpan.FromSeconds(3)),
    _ => await RunWorkerAsync(args),
};

static Uri LocalLivenessUrl()
{
    var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS");
    var port = string.IsNullOrWhiteSpace(ports) ? WorkerApplication.DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture) : ports.Split(';', ',')[0].Trim();
    return new Uri($"http://127.0.0.1:{port}{HealthPaths.Live}");
}

static async Task<int> RunWorkerAsync(string[] args)
{
    var builder = WebApplication.CreateBuilder(args);
    var errors = new List<string>();
    var settings = WorkerSettings.Parse(builder.Configuration, errors);
    if (errors.Count > 0)
    {
        await Console.Error.WriteLineAsync("worker: invalid configuration:");
        foreach (var message in errors)
        {
            await Console.Error.WriteLineAsync($"  {message}");
        }

        return 2;
    }

    var version = VersionInfo.Resolve(builder.Configuration, VersionInfo.InformationalVersionOf(typeof(WorkerApplication).Assembly));
    builder.Services.AddWorkerInfrastructure(settings);
    var app = WorkerApplication.Build(builder, settings, version);
    await app.RunAsync();
    return 0;
}
