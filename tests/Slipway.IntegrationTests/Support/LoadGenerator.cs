using System.Diagnostics;
using System.Globalization;

namespace Slipway.IntegrationTests.Support;

/// <summary>What a <see cref="LoadGenerator"/> did between <see cref="LoadGenerator.Start"/> and <see cref="LoadGenerator.StopAsync"/>.</summary>
/// <param name="Sent">Requests sent.</param>
/// <param name="Succeeded">Requests answered with a 2xx status.</param>
/// <param name="Failed">Requests answered with another status, timed out, or failed to connect.</param>
/// <param name="Skipped">Scheduled requests not sent: the in-flight bound was reached, or the schedule had fallen more than one period behind.</param>
/// <param name="Failures">Failed requests by cause: <c>HTTP 503</c>, <c>timeout after 5000 ms</c>, <c>HttpRequestException: Connection refused (...)</c>.</param>
/// <param name="FirstFailure">When the earliest failed request was sent, from the start; null without failures.</param>
/// <param name="LastFailure">When the latest failed request was sent, from the start; null without failures.</param>
/// <param name="SendingTime">From the start to when the schedule ended (caps reached or stopped).</param>
/// <param name="AchievedRate">Requests per second between the first and the last send; 0 with fewer than two sends.</param>
public sealed record LoadSummary(
    int Sent,
    int Succeeded,
    int Failed,
    int Skipped,
    IReadOnlyDictionary<string, int> Failures,
    TimeSpan? FirstFailure,
    TimeSpan? LastFailure,
    TimeSpan SendingTime,
    double AchievedRate)
{
    /// <summary>Each failed request with its tag (see <see cref="LoadGenerator.TagParameter"/>), cause and send time.</summary>
    public IReadOnlyList<FailedRequest> FailedRequests { get; init; } = [];

    /// <summary>The timeout each request had.</summary>
    public TimeSpan RequestTimeout { get; init; }

    /// <summary>One line for assertion messages.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Sent} sent, {Succeeded} succeeded, {Failed} failed, {Skipped} skipped in {SendingTime.TotalSeconds:0.00}s at {AchievedRate:0.0}/s; ")
        + (Failures.Count == 0
            ? "no failures"
            : string.Create(
                CultureInfo.InvariantCulture,
                $"failures: {string.Join(", ", Failures.Select(f => $"{f.Key} ×{f.Value}"))}, sent from {FirstFailure?.TotalSeconds:0.00}s to {LastFailure?.TotalSeconds:0.00}s"));
}

/// <summary>One request of a <see cref="LoadGenerator"/> that failed: its tag (the sequence number sent as
/// <see cref="LoadGenerator.TagParameter"/>), what went wrong (a <see cref="LoadSummary.Failures"/> key) and when it was sent.</summary>
public sealed record FailedRequest(long Tag, string Cause, TimeSpan SentAt);

/// <summary>
/// Steady GET traffic against a loopback service while a test deploys or rolls back, to measure what users would
/// have seen. Requests go out on a fixed-rate schedule (request <c>n</c> at <c>n / rate</c> seconds) without
/// waiting for answers, each with its own timeout, at most <c>maxInFlight</c> at a time. Hard caps on the
/// request count and the duration are never exceeded: nothing is sent once either is reached.
/// </summary>
public sealed class LoadGenerator : IAsyncDisposable
{
    private readonly Uri _target;
    private readonly bool _tagged;
    private readonly double _rate;
    private readonly int _maxRequests;
    private readonly TimeSpan _maxDuration;
    private readonly TimeSpan _requestTimeout;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _inFlight;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _requests = [];
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly List<FailedRequest> _failedRequests = [];
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = new();
    private Task? _schedule;
    private Task<LoadSummary>? _stopped;
    private int _sent;
    private int _succeeded;
    private int _skipped;
    private TimeSpan? _firstSend;
    private TimeSpan? _lastSend;
    private TimeSpan? _firstFailure;
    private TimeSpan? _lastFailure;
    private TimeSpan _sendingTime;

    /// <param name="target">A loopback http(s) URL (127.0.0.1, localhost or ::1); anything else throws, so a test can never load a real host.</param>
    /// <param name="requestsPerSecond">The fixed rate, e.g. 25.</param>
    /// <param name="maxRequests">The most requests ever sent.</param>
    /// <param name="maxDuration">No request is sent this long after <see cref="Start"/> or later.</param>
    /// <param name="requestTimeout">The timeout of each request; 5 seconds by default.</param>
    /// <param name="maxInFlight">The most requests awaiting an answer at once; a scheduled request beyond it is skipped.</param>
    /// <param name="tagged">Adds <see cref="TagParameter"/>=<c>n</c> (the request's sequence number) to each request's query,
    /// so a failure can be found in the proxy's log (<see cref="ProxyVerdict"/>).</param>
    public LoadGenerator(Uri target, double requestsPerSecond, int maxRequests, TimeSpan maxDuration, TimeSpan? requestTimeout = null, int maxInFlight = 64, bool tagged = false)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!target.IsAbsoluteUri || target.Scheme is not ("http" or "https") || !target.IsLoopback)
        {
            throw new ArgumentException($"The load generator only targets loopback http(s) URLs such as http://127.0.0.1:8080/; got '{target}'.", nameof(target));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(requestsPerSecond, 1000);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRequests);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxDuration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInFlight);
        _target = target;
        _tagged = tagged;
        _rate = requestsPerSecond;
        _maxRequests = maxRequests;
        _maxDuration = maxDuration;
        _requestTimeout = requestTimeout ?? TimeSpan.FromSeconds(5);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_requestTimeout, TimeSpan.Zero, nameof(requestTimeout));
        _inFlight = new SemaphoreSlim(maxInFlight, maxInFlight);

        // Each request carries its own timeout; the client's would cut them all at one fixed value.
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = maxInFlight }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The query parameter a tagged generator adds to each request: its sequence number, from 0.</summary>
    public const string TagParameter = "lg";

    /// <summary>Requests sent so far.</summary>
    public int Sent => Volatile.Read(ref _sent);

    /// <summary>
    /// The least rate (requests/s) a story's load at 25/s must reach for its "no request failed" to mean something. On a
    /// 2-core machine that also runs the stack, the proxy and other builds, the generator falls behind when responses
    /// slow down (it skips rather than bursts); 15/s still sends a request every ~70 ms through every step of a rollout.
    /// </summary>
    public const double BusyMachineFloor = 15;

    /// <summary>Scheduled requests skipped so far (<see cref="LoadSummary.Skipped"/>).</summary>
    public int Skipped => Volatile.Read(ref _skipped);

    /// <summary>Starts sending in the background; once only.</summary>
    public void Start()
    {
        if (_schedule is not null)
        {
            throw new InvalidOperationException("The load generator was already started; create a new one for another run.");
        }

        _clock.Start();
        _schedule = Task.Run(ScheduleAsync);
    }

    /// <summary>
    /// Stops sending, waits for the requests in flight to be answered or to time out, and summarises. Calling it
    /// again returns the same summary.
    /// </summary>
    public Task<LoadSummary> StopAsync()
    {
        if (_schedule is null)
        {
            throw new InvalidOperationException("The load generator was not started; call Start() first.");
        }

        return _stopped ??= StopOnceAsync(_schedule);
    }

    /// <summary>Stops if running and releases the HTTP client.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_schedule is not null)
        {
            await StopAsync();
        }

        _http.Dispose();
        _inFlight.Dispose();
        _stop.Dispose();
    }

    private async Task<LoadSummary> StopOnceAsync(Task schedule)
    {
        await _stop.CancelAsync();
        await schedule;
        Task[] requests;
        lock (_gate)
        {
            requests = [.. _requests];
        }

        await Task.WhenAll(requests);
        lock (_gate)
        {
            var failed = _failures.Values.Sum();
            var rate = _sent >= 2 && _lastSend > _firstSend ? (_sent - 1) / (_lastSend.Value - _firstSend!.Value).TotalSeconds : 0;
            return new LoadSummary(
                _sent,
                _succeeded,
                failed,
                _skipped,
                new SortedDictionary<string, int>(_failures, StringComparer.Ordinal),
                _firstFailure,
                _lastFailure,
                _sendingTime,
                rate)
            {
                FailedRequests = [.. _failedRequests.OrderBy(f => f.Tag)],
                RequestTimeout = _requestTimeout,
            };
        }
    }

    private async Task ScheduleAsync()
    {
        var period = TimeSpan.FromSeconds(1 / _rate);
        for (long tick = 0; _sent < _maxRequests; tick++)
        {
            var due = TimeSpan.FromTicks((long)(tick * TimeSpan.TicksPerSecond / _rate));
            if (due >= _maxDuration)
            {
                break;
            }

            var wait = due - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            var now = _clock.Elapsed;
            if (_stop.IsCancellationRequested || now >= _maxDuration)
            {
                break;
            }

            // A stalled scheduler drops the ticks it missed instead of bursting to catch up.
            if (now - due > period || !_inFlight.Wait(0))
            {
                Interlocked.Increment(ref _skipped);
                continue;
            }

            lock (_gate)
            {
                _firstSend ??= now;
                _lastSend = now;
                _requests.Add(SendAsync(_sent, now));
            }

            Interlocked.Increment(ref _sent);
        }

        _sendingTime = _clock.Elapsed;
    }

    private async Task SendAsync(long tag, TimeSpan sentAt)
    {
        var target = _tagged ? TaggedTarget(tag) : _target;
        // Off the scheduler's thread at once, so a slow connect never delays the next tick.
        await Task.Yield();
        try
        {
            using var timeout = new CancellationTokenSource(_requestTimeout);
            try
            {
                using var response = await _http.GetAsync(target, HttpCompletionOption.ResponseContentRead, timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _succeeded);
                }
                else
                {
                    RecordFailure(string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}"), tag, sentAt);
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                RecordFailure(string.Create(CultureInfo.InvariantCulture, $"timeout after {(long)_requestTimeout.TotalMilliseconds} ms"), tag, sentAt);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                RecordFailure($"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" "), tag, sentAt);
            }
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private Uri TaggedTarget(long tag) => new UriBuilder(_target)
    {
        Query = (_target.Query.Length > 1 ? _target.Query[1..] + "&" : string.Empty) + string.Create(CultureInfo.InvariantCulture, $"{TagParameter}={tag}"),
    }.Uri;

    private void RecordFailure(string cause, long tag, TimeSpan sentAt)
    {
        lock (_gate)
        {
            _failedRequests.Add(new FailedRequest(tag, cause, sentAt));
            _failures[cause] = _failures.GetValueOrDefault(cause) + 1;
            _firstFailure = _firstFailure is { } first && first <= sentAt ? first : sentAt;
            _lastFailure = _lastFailure is { } last && last >= sentAt ? last : sentAt;
        }
    }
}
