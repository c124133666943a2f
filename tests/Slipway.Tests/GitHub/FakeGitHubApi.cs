using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.GitHub;
using Slipway.Tests.Tools;

namespace Slipway.Tests.GitHub;

/// <summary>
/// GitHub's REST API as far as the tests need it: a <see cref="LocalHttpServer"/> on 127.0.0.1 answering from routes
/// (method and path pattern, last added wins), 404 otherwise, and the variables that point Slipway at it.
/// </summary>
public sealed class FakeGitHubApi : IAsyncDisposable
{
    public const string Token = "ghs_fakeTokenForTests0123456789";
    public const string Repository = "octo-org/slipway";

    private readonly List<(string Method, Regex Path, Func<ReceivedRequest, CannedResponse> Respond)> _routes = [];
    private readonly Lock _gate = new();
    private readonly LocalHttpServer _server;

    public FakeGitHubApi(string apiPath = "")
    {
        _server = new LocalHttpServer(Answer);
        ApiUrl = $"http://{_server.Host}{apiPath}";
    }

    public string ApiUrl { get; }

    public IReadOnlyList<ReceivedRequest> Requests => _server.Requests;

    /// <summary>GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL for this server, plus <paramref name="more"/>.</summary>
    public Dictionary<string, string> Variables(params (string Name, string Value)[] more)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GITHUB_TOKEN"] = Token,
            ["GITHUB_REPOSITORY"] = Repository,
            ["GITHUB_API_URL"] = ApiUrl,
        };
        foreach (var (name, value) in more)
        {
            variables[name] = value;
        }

        return variables;
    }

    public GitHubConnection Connection() => GitHubConnection.Detect(Variables()).Connection!;

    public FakeGitHubApi On(string method, string pathPattern, Func<ReceivedRequest, CannedResponse> respond)
    {
        lock (_gate)
        {
            _routes.Add((method, new Regex(pathPattern, RegexOptions.CultureInvariant), respond));
        }

        return this;
    }

    public FakeGitHubApi On(string method, string pathPattern, int status, object body) =>
        On(method, pathPattern, _ => Json(status, body));

    public static CannedResponse Json(int status, object body) => new(status, JsonSerializer.Serialize(body), "application/json; charset=utf-8");

    public static JsonElement BodyOf(ReceivedRequest request) => JsonDocument.Parse(request.Body).RootElement;

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private CannedResponse Answer(ReceivedRequest request)
    {
        lock (_gate)
        {
            for (var i = _routes.Count - 1; i >= 0; i--)
            {
                var (method, path, respond) = _routes[i];
                if (method == request.Method && path.IsMatch(request.PathAndQuery))
                {
                    return respond(request);
                }
            }
        }

        return Json(404, new { message = "Not Found", documentation_url = "https://docs.github.com/rest" });
    }
}
