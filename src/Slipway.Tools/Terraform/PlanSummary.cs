using System.Globalization;
using System.Text.Json;

namespace Slipway.Tools.Terraform;

/// <summary>What a saved Terraform plan would do to one resource instance, from <c>resource_changes[].change.actions</c>.</summary>
public enum PlannedAction
{
    /// <summary><c>["no-op"]</c>: nothing changes.</summary>
    NoOp,

    /// <summary><c>["create"]</c>.</summary>
    Create,

    /// <summary><c>["read"]</c>: a data source read during apply.</summary>
    Read,

    /// <summary><c>["update"]</c>: changed in place.</summary>
    Update,

    /// <summary><c>["delete","create"]</c> or <c>["create","delete"]</c>: destroyed and made again (the order is Terraform's create_before_destroy choice).</summary>
    Replace,

    /// <summary><c>["delete"]</c>.</summary>
    Delete,

    /// <summary><c>["forget"]</c> (Terraform 1.7+, a <c>removed</c> block with <c>destroy = false</c>): dropped from state, left running.</summary>
    Forget,
}

/// <summary>One resource instance in a plan.</summary>
/// <param name="Address">Its full address, e.g. <c>module.network.aws_subnet.public[0]</c>.</param>
/// <param name="Action">What the plan does to it.</param>
public sealed record PlannedResourceChange(string Address, PlannedAction Action)
{
    /// <summary>True when applying destroys the existing object: a delete or a replace.</summary>
    public bool IsDestructive => Action is PlannedAction.Delete or PlannedAction.Replace;
}

/// <summary>
/// The part of <c>terraform show -json PLAN</c> a pipeline decides on: every resource change and its action. Built by
/// <see cref="Parse"/>; rendered for people by <see cref="RenderTable"/>.
/// </summary>
/// <param name="FormatVersion">The JSON format's version, e.g. <c>1.2</c>; only major version 1 is read.</param>
/// <param name="TerraformVersion">The Terraform that made the plan.</param>
/// <param name="Changes">Every resource instance in the plan, in Terraform's order, no-ops included.</param>
public sealed record PlanSummary(string FormatVersion, string? TerraformVersion, IReadOnlyList<PlannedResourceChange> Changes)
{
    /// <summary>The changes that do something (everything but no-ops).</summary>
    public IReadOnlyList<PlannedResourceChange> Effective => [.. Changes.Where(c => c.Action != PlannedAction.NoOp)];

    /// <summary>The deletes and replaces: what an environment without <c>allow_destroy</c> refuses.</summary>
    public IReadOnlyList<PlannedResourceChange> Destructive => [.. Changes.Where(c => c.IsDestructive)];

    /// <summary>True when applying the plan would change no resource.</summary>
    public bool HasNoChanges => Effective.Count == 0;

    /// <summary>How many changes of <paramref name="action"/> the plan holds.</summary>
    public int Count(PlannedAction action) => Changes.Count(c => c.Action == action);

    /// <summary>
    /// Reads <c>terraform show -json</c> output of a saved plan.
    /// </summary>
    /// <exception cref="FormatException">
    /// Not JSON, no <c>format_version</c>, a major format version other than 1, or an action list this reader does
    /// not know: refusing is safer than guessing what a plan destroys.
    /// </exception>
    public static PlanSummary Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"terraform show -json printed something that is not JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format_version", out var format) || format.ValueKind != JsonValueKind.String)
            {
                throw new FormatException("terraform show -json printed no format_version: is the file a saved plan (terraform plan -out)?");
            }

            var formatVersion = format.GetString()!;
            if (formatVersion.Split('.')[0] != "1")
            {
                throw new FormatException($"terraform show -json printed format_version {formatVersion}; Slipway reads major version 1. Use a Terraform release whose JSON output format is 1.x.");
            }

            var terraformVersion = root.TryGetProperty("terraform_version", out var tv) && tv.ValueKind == JsonValueKind.String ? tv.GetString() : null;
            var changes = new List<PlannedResourceChange>();
            if (root.TryGetProperty("resource_changes", out var resourceChanges) && resourceChanges.ValueKind == JsonValueKind.Array)
            {
                foreach (var change in resourceChanges.EnumerateArray())
                {
                    var address = change.TryGetProperty("address", out var a) && a.ValueKind == JsonValueKind.String
                        ? a.GetString()!
                        : throw new FormatException("A resource_changes entry of terraform show -json has no address.");
                    changes.Add(new PlannedResourceChange(address, ActionOf(address, change)));
                }
            }

            return new PlanSummary(formatVersion, terraformVersion, changes);
        }
    }

    /// <summary>
    /// A table of the effective changes (action and address), then a count per action; "No changes." when there is
    /// nothing to do.
    /// </summary>
    public string RenderTable()
    {
        var effective = Effective;
        if (effective.Count == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"No changes: {Changes.Count} resource(s) already match the configuration.\n");
        }

        var table = TextTable.Render(["ACTION", "ADDRESS"], [.. effective.Select(c => new[] { Name(c.Action), c.Address })]);
        var counts = string.Join(", ", new[] { PlannedAction.Create, PlannedAction.Update, PlannedAction.Replace, PlannedAction.Delete, PlannedAction.Read, PlannedAction.Forget }
            .Where(a => a is not (PlannedAction.Read or PlannedAction.Forget) || Count(a) > 0)
            .Select(a => string.Create(CultureInfo.InvariantCulture, $"{Count(a)} to {Name(a)}")));
        return table + string.Create(CultureInfo.InvariantCulture, $"Plan: {counts}; {Count(PlannedAction.NoOp)} unchanged.\n");
    }

    /// <summary>The word for <paramref name="action"/> in tables and messages: create, update, replace, delete, read, forget, no-op.</summary>
    public static string Name(PlannedAction action) => action switch
    {
        PlannedAction.NoOp => "no-op",
        _ => action.ToString().ToLowerInvariant(),
    };

    private static PlannedAction ActionOf(string address, JsonElement change)
    {
        if (!change.TryGetProperty("change", out var body) || !body.TryGetProperty("actions", out var actionsElement) || actionsElement.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{address}: terraform show -json gives no change.actions.");
        }

        string[] actions = [.. actionsElement.EnumerateArray().Select(a => a.GetString() ?? string.Empty)];
        return actions switch
        {
            ["no-op"] => PlannedAction.NoOp,
            ["create"] => PlannedAction.Create,
            ["read"] => PlannedAction.Read,
            ["update"] => PlannedAction.Update,
            ["delete"] => PlannedAction.Delete,
            ["delete", "create"] or ["create", "delete"] => PlannedAction.Replace,
            ["forget"] => PlannedAction.Forget,
            _ => throw new FormatException($"{address}: unknown change.actions [{string.Join(", ", actions.Select(a => '"' + a + '"'))}] in terraform show -json; refusing to guess whether it destroys anything."),
        };
    }
}
