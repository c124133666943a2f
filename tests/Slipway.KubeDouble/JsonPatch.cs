using System.Text.Json.Nodes;

namespace Slipway.KubeDouble;

/// <summary>RFC 6902 JSON patches (add, remove, replace, test) with RFC 6901 pointers, as <c>kubectl patch --type=json</c> applies them.</summary>
internal static class JsonPatch
{
    public static JsonObject Apply(JsonObject document, JsonArray operations)
    {
        var result = document.DeepClone().AsObject();
        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = operation["op"]?.GetValue<string>();
            var path = operation["path"]?.GetValue<string>() ?? throw Invalid("missing path");
            var (parent, last) = Parent(result, path);
            switch (op)
            {
                case "add":
                    Set(parent, last, operation["value"]?.DeepClone(), insert: true);
                    break;
                case "replace":
                    _ = Get(parent, last) ?? throw Invalid($"replace operation does not apply: doc is missing key: {path}");
                    Set(parent, last, operation["value"]?.DeepClone(), insert: false);
                    break;
                case "remove":
                    _ = Get(parent, last) ?? throw Invalid($"remove operation does not apply: doc is missing path: {path}");
                    Remove(parent, last);
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(parent, last), operation["value"]))
                    {
                        throw Invalid($"testing value {path} failed");
                    }

                    break;
                default:
                    throw Invalid($"unexpected kind: {op}");
            }
        }

        return result;
    }

    private static (JsonNode Parent, string Last) Parent(JsonObject root, string path)
    {
        if (!path.StartsWith('/'))
        {
            throw Invalid($"invalid path: {path}");
        }

        var tokens = path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
        JsonNode node = root;
        foreach (var token in tokens.SkipLast(1))
        {
            node = Get(node, token) ?? throw Invalid($"doc is missing path: {path}");
        }

        return (node, tokens[^1]);
    }

    private static JsonNode? Get(JsonNode node, string token) => node switch
    {
        JsonObject o => o[token],
        JsonArray a when int.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out var i) && i >= 0 && i < a.Count => a[i],
        _ => null,
    };

    private static void Set(JsonNode node, string token, JsonNode? value, bool insert)
    {
        switch (node)
        {
            case JsonObject o:
                o[token] = value;
                break;
            case JsonArray a when token == "-" && insert:
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out var i) && i >= 0 && i <= a.Count:
                if (insert)
                {
                    a.Insert(i, value);
                }
                else
                {
                    a[i] = value;
                }

                break;
            default:
                throw Invalid($"cannot set {token}");
        }
    }

    private static void Remove(JsonNode node, string token)
    {
        switch (node)
        {
            case JsonObject o:
                o.Remove(token);
                break;
            case JsonArray a:
                a.RemoveAt(int.Parse(token, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }

    private static DoubleFailure Invalid(string message) => new($"The request is invalid: {message}");
}
