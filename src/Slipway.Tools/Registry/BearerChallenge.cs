namespace Slipway.Tools.Registry;

/// <summary>
/// The parameters of a <c>WWW-Authenticate: Bearer realm="…",service="…",scope="…"</c> challenge, which tells a
/// registry client where to get a token (the distribution token-auth protocol).
/// </summary>
internal sealed record BearerChallenge(string Realm, string? Service, string? Scope)
{
    /// <summary>Reads the parameter list of a Bearer challenge; null when it has no realm.</summary>
    public static BearerChallenge? Parse(string? parameters)
    {
        if (string.IsNullOrWhiteSpace(parameters))
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < parameters.Length)
        {
            while (i < parameters.Length && (parameters[i] == ',' || char.IsWhiteSpace(parameters[i])))
            {
                i++;
            }

            var equals = parameters.IndexOf('=', i);
            if (equals < 0)
            {
                break;
            }

            var name = parameters[i..equals].Trim();
            i = equals + 1;
            string value;
            if (i < parameters.Length && parameters[i] == '"')
            {
                // Quoted: a scope such as "repository:slipway/api:pull,push" contains commas.
                var text = new System.Text.StringBuilder();
                i++;
                while (i < parameters.Length && parameters[i] != '"')
                {
                    if (parameters[i] == '\\' && i + 1 < parameters.Length)
                    {
                        i++;
                    }

                    text.Append(parameters[i]);
                    i++;
                }

                i++;
                value = text.ToString();
            }
            else
            {
                var end = parameters.IndexOf(',', i);
                end = end < 0 ? parameters.Length : end;
                value = parameters[i..end].Trim();
                i = end;
            }

            values[name] = value;
        }

        return values.TryGetValue("realm", out var realm) && realm.Length > 0
            ? new BearerChallenge(realm, values.GetValueOrDefault("service"), values.GetValueOrDefault("scope"))
            : null;
    }

    /// <summary>The token request address: the realm with <c>service</c> and <c>scope</c> as query parameters.</summary>
    public Uri TokenUri()
    {
        var query = new List<string>();
        if (Service is not null)
        {
            query.Add("service=" + Uri.EscapeDataString(Service));
        }

        if (Scope is not null)
        {
            query.Add("scope=" + Uri.EscapeDataString(Scope));
        }

        var separator = Realm.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        return new Uri(query.Count == 0 ? Realm : Realm + separator + string.Join('&', query));
    }
}
