using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Slipway.Tests.Tools;

/// <summary>What <see cref="LocalHttpServer"/> answers one request with, after <paramref name="Delay"/> if given.</summary>
public sealed record CannedResponse(int Status, string Body = "", string? ContentType = null, IReadOnlyDictionary<string, string>? Headers = null, TimeSpan? Delay = null);

/// <summary>One request the server received: method, path and query, the Authorization and Accept headers, and its body.</summary>
public sealed record ReceivedRequest(string Method, string PathAndQuery, string? Authorization, string? Accept, string Body = "");

/// <summary>
/// A tiny HTTP server on 127.0.0.1 and a free port (System.Net.HttpListener; Kestrel is not referenced by the
/// tests), answering from a function of the request. Records every request so tests can assert the auth flow.
/// Requests are answered concurrently, so a delayed answer does not hold up the next request.
/// </summary>
public sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<ReceivedRequest, CannedResponse> _respond;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentBag<Task> _answers = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public LocalHttpServer(Func<ReceivedRequest, CannedResponse> respond)
    {
        _respond = respond;
        (_listener, Port) = Listen();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary><c>127.0.0.1:PORT</c>, as a registry host is written.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();

        // Close alone: Stop then Close unregisters the prefix twice, and the second time binds the port again to do it,
        // which fails when a parallel test's server has taken the port meanwhile ("Address already in use").
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // Stopping the listener ends GetContextAsync this way.
        }

        await Task.WhenAll(_answers);
        _stopping.Dispose();
    }

    /// <summary>
    /// A listener on a free port. The port is free when asked for and taken when listened on: a parallel test (another
    /// server of this class, a TcpListener) may take it in between, so a port that cannot be listened on is replaced.
    /// </summary>
    private static (HttpListener Listener, int Port) Listen()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return (listener, port);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            string body;
            using (var reader = new StreamReader(context.Request.InputStream, context.Request.ContentEncoding))
            {
                body = await reader.ReadToEndAsync();
            }

            var request = new ReceivedRequest(
                context.Request.HttpMethod,
                context.Request.Url!.PathAndQuery,
                context.Request.Headers["Authorization"],
                context.Request.Headers["Accept"],
                body);
            _requests.Enqueue(request);
            _answers.Add(AnswerAsync(context, _respond(request)));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context, CannedResponse answer)
    {
        try
        {
            if (answer.Delay is { } delay)
            {
                await Task.Delay(delay, _stopping.Token);
            }

            context.Response.StatusCode = answer.Status;
            foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
            {
                context.Response.AddHeader(name, value);
            }

            var body = Encoding.UTF8.GetBytes(answer.Body);
            if (answer.ContentType is not null)
            {
                context.Response.ContentType = answer.ContentType;
            }

            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body, _stopping.Token);
            context.Response.Close();
        }
        catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException or IOException)
        {
            // The server is being disposed, or the client gave up on a delayed answer.
            context.Response.Abort();
        }
    }
}
