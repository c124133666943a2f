using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Slipway.IntegrationTests.Support;

/// <summary>Small waits and questions the deploy stories ask of a running stack.</summary>
public static class StackProbe
{
    /// <summary>A TCP port free on 127.0.0.1 right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Two different TCP ports free on 127.0.0.1 right now (both held while the second is chosen).</summary>
    public static (int First, int Second) TwoFreePorts()
    {
        using var first = new TcpListener(IPAddress.Loopback, 0);
        using var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        return (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
    }

    /// <summary>The version the stack's api reports at <c>/version</c>, through its proxy.</summary>
    public static async Task<string?> ServedVersionAsync(Uri stack)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(stack, "/version")));
        return document.RootElement.GetProperty("version").GetString();
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Xunit.Assert.True(watch.Elapsed < timeout, $"timed out after {timeout} waiting for {what}");
            await Task.Delay(100);
        }
    }
}
