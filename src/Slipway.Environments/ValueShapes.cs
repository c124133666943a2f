using System.Collections;
using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Slipway.Processes;

namespace Slipway.Environments;

// How the typed model maps to YAML, derived once per type by reflection. The binder (YAML -> model),
// the printer (model -> text) and the JSON schema all read these shapes, so a new property on a
// record shows up in all three without anyone writing a key name twice.

/// <summary>What the binder needs while it works: where errors go and what the environment allows.</summary>
internal sealed class BindingContext(string environmentName, IReadOnlySet<string> secretSchemes, ICollection<ConfigurationError> errors)
{
    public string EnvironmentName { get; } = environmentName;

    public IReadOnlySet<string> SecretSchemes { get; } = secretSchemes;

    /// <summary>The repository root, which configured paths must stay inside; empty: checked by their text alone.</summary>
    public string RootDirectory { get; init; } = string.Empty;

    /// <summary>Directories outside the repository where <c>file:</c> secrets may live (<see cref="EnvironmentLoader.SecretDirectoriesVariable"/>).</summary>
    public IReadOnlyList<string> SecretDirectories { get; init; } = [];

    public void Report(SourceLocation at, string path, string message) =>
        errors.Add(new ConfigurationError(at.File, at.Line, at.Column, path, message));
}

/// <summary>How one kind of YAML value binds to one CLR type.</summary>
internal abstract class ValueShape
{
    /// <summary>What a valid value looks like, for "expected ..." messages.</summary>
    public abstract string Expected { get; }

    /// <summary>Binds <paramref name="node"/>; reports its own errors and returns false when any occurred.</summary>
    public bool TryBind(SourceNode node, string path, BindingContext context, out object? value)
    {
        if (node is SourceScalar { IsUnresolved: true })
        {
            value = null;
            return false;
        }

        return TryBindValue(node, path, context, out value);
    }

    /// <summary>Binds a node that interpolation left intact.</summary>
    protected abstract bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value);

    /// <summary>The JSON schema of a valid value (without null).</summary>
    public abstract JsonObject ToSchema(SchemaDefinitions definitions);

    protected bool Mismatch(SourceNode node, string path, BindingContext context, out object? value)
    {
        context.Report(node.Location, path, $"expected {Expected}, got {node.Describe()}");
        value = null;
        return false;
    }

    public static ValueShape For(Type type, ICustomAttributeProvider? attributes = null)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var range = attributes?.GetCustomAttributes(typeof(RangeAttribute), false).OfType<RangeAttribute>().FirstOrDefault();
        if (type == typeof(int))
        {
            return new IntegerShape(range is null ? null : Convert.ToInt64(range.Minimum, CultureInfo.InvariantCulture),
                range is null ? null : Convert.ToInt64(range.Maximum, CultureInfo.InvariantCulture));
        }

        if (type == typeof(double))
        {
            return new NumberShape(range is null ? null : Convert.ToDouble(range.Minimum, CultureInfo.InvariantCulture),
                range is null ? null : Convert.ToDouble(range.Maximum, CultureInfo.InvariantCulture));
        }

        if (type == typeof(bool))
        {
            return BooleanShape.Instance;
        }

        if (type == typeof(string))
        {
            var pattern = attributes?.GetCustomAttributes(typeof(RegularExpressionAttribute), false).OfType<RegularExpressionAttribute>().FirstOrDefault();
            var minLength = attributes?.GetCustomAttributes(typeof(MinLengthAttribute), false).OfType<MinLengthAttribute>().FirstOrDefault();
            var name = attributes?.GetCustomAttributes(typeof(NameRuleAttribute), false).OfType<NameRuleAttribute>().FirstOrDefault();
            var repositoryPath = attributes?.GetCustomAttributes(typeof(RepositoryPathAttribute), false).OfType<RepositoryPathAttribute>().FirstOrDefault();
            return name is not null
                ? new NameShape(name.Kind)
                : new StringShape(pattern?.Pattern, pattern?.ErrorMessage, minLength?.Length ?? 0) { RepositoryPath = repositoryPath };
        }

        if (type.IsEnum)
        {
            return EnumShape.For(type);
        }

        if (type == typeof(Duration))
        {
            // Durations are waits and timeouts, which timers take only up to about 24 days; a longer one would fail
            // mid-deploy. The few that are not waits (backup retention) say how long they may be.
            var longest = attributes?.GetCustomAttributes(typeof(MaximumDurationAttribute), false).OfType<MaximumDurationAttribute>().FirstOrDefault();
            return ParsedScalarShape.Known[type].WithMaximum(Duration.Parse(longest?.Maximum ?? MaximumDurationAttribute.ForWaits));
        }

        if (ParsedScalarShape.Known.TryGetValue(type, out var parsed))
        {
            return parsed;
        }

        if (type == typeof(SecretReference))
        {
            return SecretReferenceShape.Instance;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var minItems = attributes?.GetCustomAttributes(typeof(MinLengthAttribute), false).OfType<MinLengthAttribute>().FirstOrDefault();
            return new ListShape(type.GetGenericArguments()[0], minItems?.Length ?? 0, attributes);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) && type.GetGenericArguments()[0] == typeof(string))
        {
            var keys = attributes?.GetCustomAttributes(typeof(NameRuleAttribute), false).OfType<NameRuleAttribute>().FirstOrDefault();
            return new MapShape(type.GetGenericArguments()[1]) { KeyKind = keys?.Kind };
        }

        if (type.IsClass && type.GetConstructor(Type.EmptyTypes) is not null)
        {
            return RecordShape.For(type);
        }

        throw new NotSupportedException($"{type} has no YAML shape; add one in {nameof(ValueShape)}.{nameof(For)}");
    }

    /// <summary>True when <paramref name="node"/> is a non-null scalar, which every scalar shape needs first.</summary>
    protected static bool Scalar(SourceNode node, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SourceScalar? scalar)
    {
        scalar = node as SourceScalar;
        return scalar is { IsNull: false };
    }

    protected static JsonObject Schema(string type) => new() { ["type"] = type };
}

internal sealed class IntegerShape(long? minimum, long? maximum) : ValueShape
{
    public long? Minimum { get; } = minimum;

    public long? Maximum { get; } = maximum is int.MaxValue ? null : maximum;

    public override string Expected => RangeText.Describe("an integer", Minimum, Maximum);

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        // Every integer of the model is a count, a port or a weight: plain digits only. A sign, an exponent or a leading
        // zero (YAML 1.1 read 012 as octal 10) is refused rather than guessed at.
        if (Scalar(node, out var scalar) && scalar.IsPlain && StrictNumber.IsCount(scalar.Text)
            && int.TryParse(scalar.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && (Minimum is null || number >= Minimum) && (Maximum is null || number <= Maximum))
        {
            value = number;
            return true;
        }

        return Mismatch(node, path, context, out value);
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions)
    {
        var schema = Schema("integer");
        if (Minimum is { } min)
        {
            schema["minimum"] = min;
        }

        if (Maximum is { } max)
        {
            schema["maximum"] = max;
        }

        return schema;
    }
}

internal sealed class NumberShape(double? minimum, double? maximum) : ValueShape
{
    public override string Expected => RangeText.Describe("a number", minimum, maximum);

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        if (Scalar(node, out var scalar) && scalar.IsPlain && StrictNumber.IsDecimal(scalar.Text)
            && double.TryParse(scalar.Text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            && double.IsFinite(number) && (minimum is null || number >= minimum) && (maximum is null || number <= maximum))
        {
            value = number;
            return true;
        }

        return Mismatch(node, path, context, out value);
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions)
    {
        var schema = Schema("number");
        if (minimum is { } min)
        {
            schema["minimum"] = min;
        }

        if (maximum is { } max)
        {
            schema["maximum"] = max;
        }

        return schema;
    }
}

/// <summary>How numbers must be written: plain decimal digits, so no value is read differently than it looks.</summary>
internal static class StrictNumber
{
    /// <summary><c>0</c> or digits without a leading zero; no sign, exponent or separator.</summary>
    public static bool IsCount(string text) =>
        text.Length is > 0 and <= 10 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0');

    /// <summary>A count, optionally followed by a decimal point and digits: <c>0.01</c>, <c>1</c>, <c>2.5</c>.</summary>
    public static bool IsDecimal(string text)
    {
        var point = text.IndexOf('.', StringComparison.Ordinal);
        return point < 0
            ? IsCount(text)
            : IsCount(text[..point]) && point < text.Length - 1 && text.Length <= 32 && text[(point + 1)..].All(char.IsAsciiDigit);
    }
}

internal static class RangeText
{
    public static string Describe<T>(string noun, T? minimum, T? maximum)
        where T : struct, IFormattable => (minimum, maximum) switch
        {
            ({ } min, { } max) => $"{noun} between {Format(min)} and {Format(max)}",
            ({ } min, null) => $"{noun} ≥ {Format(min)}",
            (null, { } max) => $"{noun} ≤ {Format(max)}",
            _ => noun,
        };

    private static string Format(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
}

internal sealed class BooleanShape : ValueShape
{
    public static BooleanShape Instance { get; } = new();

    public override string Expected => "true or false";

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        if (Scalar(node, out var scalar) && scalar.IsPlain)
        {
            switch (scalar.Text)
            {
                case "true" or "True" or "TRUE":
                    value = true;
                    return true;
                case "false" or "False" or "FALSE":
                    value = false;
                    return true;
            }
        }

        return Mismatch(node, path, context, out value);
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions) => Schema("boolean");
}

internal sealed class StringShape(string? pattern, string? patternDescription, int minimumLength) : ValueShape
{
    // \A and \z around the pattern: .NET's "$" also matches before a final line break, which would let "api\n" pass
    // as "api"; the text must match whole.
    private readonly Regex? _regex = pattern is null ? null : new Regex($"\\A(?:{pattern})\\z", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Set when the text is a path that must stay inside the repository.</summary>
    public RepositoryPathAttribute? RepositoryPath { get; init; }

    public override string Expected => patternDescription
        ?? (minimumLength > 0 ? $"text of at least {minimumLength} characters" : "text");

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        // Any scalar is text: "PORT: 8080" in an env map means the string "8080".
        if (Scalar(node, out var scalar) && scalar.Text.Length >= minimumLength && (_regex is null || _regex.IsMatch(scalar.Text)))
        {
            value = scalar.Text;
            return RepositoryPath is null || ContainedInRepository(scalar, path, context, RepositoryPath);
        }

        return Mismatch(node, path, context, out value);
    }

    /// <summary>Refuses a path that leads outside the repository (by its text; for written folders, also through links).</summary>
    private static bool ContainedInRepository(SourceScalar scalar, string path, BindingContext context, RepositoryPathAttribute rule)
    {
        var problem = ContainedPath.LexicalProblem(scalar.Text);
        if (problem is null && rule.Written && context.RootDirectory.Length > 0
            && !ContainedPath.TryResolve(context.RootDirectory, scalar.Text, out _))
        {
            problem = "a path that leads out through a symbolic link";
        }

        if (problem is null)
        {
            return true;
        }

        context.Report(scalar.Location, path,
            $"{PrintableText.Quote(scalar.Text)} is {problem}: {rule.What} must be inside the repository, written relative to its root");
        return false;
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions)
    {
        var schema = Schema("string");
        if (pattern is not null)
        {
            schema["pattern"] = SchemaDefinitions.AllowingPlaceholders(pattern);
        }

        if (minimumLength > 0)
        {
            schema["minLength"] = minimumLength;
        }

        return schema;
    }
}

/// <summary>A name (<see cref="ResourceName"/>): a probe's, say.</summary>
internal sealed class NameShape(string kind) : ValueShape
{
    public override string Expected => $"a {kind} name ({ResourceName.Rule})";

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        if (!Scalar(node, out var scalar))
        {
            return Mismatch(node, path, context, out value);
        }

        if (ResourceName.Problem(kind, scalar.Text) is { } problem)
        {
            context.Report(node.Location, path, problem);
            value = null;
            return false;
        }

        value = scalar.Text;
        return true;
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions)
    {
        var schema = Schema("string");
        schema["pattern"] = SchemaDefinitions.AllowingPlaceholders(ResourceName.Pattern);
        schema["maxLength"] = ResourceName.MaxLength;
        return schema;
    }
}

internal sealed class EnumShape : ValueShape
{
    private static readonly ConcurrentDictionary<Type, EnumShape> Cache = new();
    private readonly Dictionary<string, object> _values;

    private EnumShape(Type type)
    {
        _values = Enum.GetNames(type).ToDictionary(NameOf, name => Enum.Parse(type, name), StringComparer.Ordinal);
    }

    public static EnumShape For(Type type) => Cache.GetOrAdd(type, t => new EnumShape(t));

    public static string NameOf(string memberName) => JsonNamingPolicy.SnakeCaseLower.ConvertName(memberName);

    public static string NameOf(object value) => NameOf(value.ToString()!);

    public IEnumerable<string> Names => _values.Keys;

    public override string Expected => "one of " + string.Join(", ", _values.Keys);

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        if (Scalar(node, out var scalar) && _values.TryGetValue(scalar.Text, out value))
        {
            return true;
        }

        context.Report(node.Location, path,
            $"expected {Expected}, got {node.Describe()}{(node is SourceScalar s ? NameSuggestion.DidYouMean(s.Text, _values.Keys) : string.Empty)}");
        value = null;
        return false;
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions)
    {
        var schema = Schema("string");
        schema["enum"] = new JsonArray([.. _values.Keys.Select(k => JsonValue.Create(k))]);
        return schema;
    }
}

/// <summary>A scalar with its own notation (durations, sizes, CPU, dates, times), parsed by the type itself.</summary>
/// <param name="expected">What valid text looks like, for messages.</param>
/// <param name="pattern">The same notation as a regex, for the schema.</param>
/// <param name="allowsNumber">Whether YAML may read a valid value as a number (CPU <c>0.5</c>), which the schema must then accept.</param>
/// <param name="parse">Returns the value, or null when the text is invalid.</param>
/// <param name="format">The canonical text of a value.</param>
internal sealed class ParsedScalarShape(string expected, string pattern, bool allowsNumber, Func<string, object?> parse, Func<object, string> format) : ValueShape
{
    private Duration? _maximum;

    public static readonly IReadOnlyDictionary<Type, ParsedScalarShape> Known = new Dictionary<Type, ParsedScalarShape>
    {
        [typeof(Duration)] = new("a duration like 30s, 5m or 1h30m",
            "^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$", false,
            text => Duration.TryParse(text, out var d) ? d : null, value => value.ToString()!),
        [typeof(ByteSize)] = new("a size like 512Mi or 1Gi",
            "^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$", false,
            text => ByteSize.TryParse(text, out var s) ? s : null, value => value.ToString()!),
        [typeof(CpuQuantity)] = new("a CPU quantity like 250m or 0.5",
            @"^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$", true,
            text => CpuQuantity.TryParse(text, out var c) ? c : null, value => value.ToString()!),
        [typeof(DateOnly)] = new("a date like 2026-12-31",
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", false,
            text => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null,
            value => ((DateOnly)value).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        [typeof(TimeOnly)] = new("a time of day like 02:00",
            "^[0-2][0-9]:[0-5][0-9]$", false,
            text => TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null,
            value => ((TimeOnly)value).ToString("HH:mm", CultureInfo.InvariantCulture)),
    };

    public override string Expected => expected;

    public string Format(object value) => format(value);

    /// <summary>This (duration) shape, refusing values longer than <paramref name="maximum"/>.</summary>
    public ParsedScalarShape WithMaximum(Duration maximum) => new(expected, pattern, allowsNumber, parse, format) { _maximum = maximum };

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        if (Scalar(node, out var scalar) && parse(scalar.Text) is { } parsed)
        {
            if (_maximum is { } maximum && (Duration)parsed > maximum)
            {
                context.Report(node.Location, path, $"expected a duration of at most {maximum}, got {scalar.Text}; longer waits are not supported");
                value = null;
                return false;
            }

            value = parsed;
            return true;
        }

        return Mismatch(node, path, context, out value);
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions)
    {
        // An editor reads "0.5" or "2" as a number; the pattern then does not apply, so bound it instead.
        var schema = allowsNumber
            ? new JsonObject { ["type"] = new JsonArray("string", "number"), ["exclusiveMinimum"] = 0 }
            : Schema("string");
        schema["pattern"] = SchemaDefinitions.AllowingPlaceholders(pattern);
        schema["description"] = "Written like " + expected[(expected.IndexOf(" like ", StringComparison.Ordinal) + 6)..] + ".";
        return schema;
    }
}

internal sealed class SecretReferenceShape : ValueShape
{
    public static SecretReferenceShape Instance { get; } = new();

    public override string Expected => "a secret reference like env:NAME or file:PATH";

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        if (!Scalar(node, out var scalar) || !SecretReference.TryParse(scalar.Text, context.EnvironmentName, out var reference))
        {
            return Mismatch(node, path, context, out value);
        }

        if (!context.SecretSchemes.Contains(reference!.Scheme))
        {
            var known = context.SecretSchemes.Order(StringComparer.Ordinal).ToList();
            context.Report(node.Location, path,
                $"unknown secret scheme {PrintableText.Quote(reference.Scheme)} in {PrintableText.Quote(scalar.Text)}; known schemes: {string.Join(", ", known)}{NameSuggestion.DidYouMean(reference.Scheme, known)}");
            value = null;
            return false;
        }

        if (reference.Scheme == "file" && FileOutsideRepository(reference.Path, context) is { } problem)
        {
            context.Report(node.Location, path,
                $"{PrintableText.Quote(scalar.Text)} is {problem}: a file: secret must be inside the repository, or in a directory listed in {EnvironmentLoader.SecretDirectoriesVariable}");
            value = null;
            return false;
        }

        value = reference;
        return true;
    }

    /// <summary>Why a <c>file:</c> path is not allowed by its text, or null (links are followed when the secret is read).</summary>
    private static string? FileOutsideRepository(string file, BindingContext context)
    {
        var problem = ContainedPath.LexicalProblem(file);
        if (problem is null || context.RootDirectory.Length == 0)
        {
            return problem;
        }

        var full = Path.GetFullPath(file, context.RootDirectory);
        return context.SecretDirectories.Any(d => ContainedPath.IsInside(d, full)) ? null : problem;
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions)
    {
        var schema = Schema("string");
        schema["pattern"] = "^[a-z0-9-]+:.+$";
        schema["description"] = "A reference to a secret, never its value: env:NAME, file:PATH or scheme:path for a registered provider.";
        return schema;
    }
}

internal sealed class ListShape(Type elementType, int minimumItems, ICustomAttributeProvider? attributes = null) : ValueShape
{
    // The list's own attributes that describe its items (a path rule on a list of paths) apply to each item.
    public ValueShape Element { get; } = For(elementType, attributes?.IsDefined(typeof(RepositoryPathAttribute), false) == true ? attributes : null);

    public override string Expected => minimumItems > 0 ? $"a list of at least {minimumItems} item(s)" : "a list";

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        if (node is not SourceSequence sequence)
        {
            return Mismatch(node, path, context, out value);
        }

        var items = Array.CreateInstance(elementType, sequence.Items.Count);
        var ok = true;
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            if (Element.TryBind(sequence.Items[i], KeyPath.Item(path, i), context, out var item))
            {
                items.SetValue(item, i);
            }
            else
            {
                ok = false;
            }
        }

        if (ok && items.Length < minimumItems)
        {
            return Mismatch(node, path, context, out value);
        }

        // A read-only wrapper, so a caller cannot cast the list back to an array and change it.
        value = Activator.CreateInstance(typeof(ReadOnlyCollection<>).MakeGenericType(elementType), items);
        return ok;
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions)
    {
        var schema = Schema("array");
        schema["items"] = Element.ToSchema(definitions);
        if (minimumItems > 0)
        {
            schema["minItems"] = minimumItems;
        }

        return schema;
    }
}

internal sealed class MapShape(Type valueType) : ValueShape
{
    private readonly Type _dictionaryType = typeof(OrderedDictionary<,>).MakeGenericType(typeof(string), valueType);
    private readonly Type _readOnlyType = typeof(ReadOnlyDictionary<,>).MakeGenericType(typeof(string), valueType);

    public ValueShape Value { get; } = For(valueType);

    /// <summary>What the keys name (<c>service</c>), when they must be names; null for free-form keys.</summary>
    public string? KeyKind { get; init; }

    public override string Expected => "a mapping";

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        if (node is not SourceMapping mapping)
        {
            return Mismatch(node, path, context, out value);
        }

        // Ordered, so services print and deploy in the order the file lists them.
        var entries = (IDictionary)Activator.CreateInstance(_dictionaryType)!;
        var ok = true;
        foreach (var entry in mapping.Entries)
        {
            if (KeyKind is not null && ResourceName.Problem(KeyKind, entry.Key) is { } badKey)
            {
                context.Report(entry.KeyLocation, KeyPath.Child(path, entry.Key), badKey);
                ok = false;
                continue;
            }

            if (Value.TryBind(entry.Value, KeyPath.Child(path, entry.Key), context, out var item))
            {
                entries.Add(entry.Key, item);
            }
            else
            {
                ok = false;
            }
        }

        value = Activator.CreateInstance(_readOnlyType, entries);
        return ok;
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions)
    {
        var schema = Schema("object");
        if (KeyKind is not null)
        {
            schema["propertyNames"] = new JsonObject { ["pattern"] = ResourceName.Pattern, ["maxLength"] = ResourceName.MaxLength };
        }

        schema["additionalProperties"] = Value.ToSchema(definitions);
        return schema;
    }
}

/// <summary>One key of a record: its YAML name, property and value shape.</summary>
internal sealed record KeyShape(string Name, PropertyInfo Property, ValueShape Shape, bool IsRequired);

internal sealed class RecordShape : ValueShape
{
    private static readonly ConcurrentDictionary<Type, RecordShape> Cache = new();
    private readonly Dictionary<string, KeyShape> _keysByName;

    private RecordShape(Type type)
    {
        Type = type;
        Keys = [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is not null && !p.IsDefined(typeof(LoaderProvidedAttribute)))
            .OrderBy(p => p.MetadataToken)
            .Select(p => new KeyShape(JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name), p, For(p.PropertyType, p),
                p.IsDefined(typeof(RequiredMemberAttribute))))];
        _keysByName = Keys.ToDictionary(k => k.Name, StringComparer.Ordinal);
    }

    public static RecordShape For(Type type) => Cache.GetOrAdd(type, t => new RecordShape(t));

    public Type Type { get; }

    public IReadOnlyList<KeyShape> Keys { get; }

    public override string Expected => "a mapping";

    protected override bool TryBindValue(SourceNode node, string path, BindingContext context, out object? value)
    {
        if (node is not SourceMapping mapping)
        {
            return Mismatch(node, path, context, out value);
        }

        var instance = Activator.CreateInstance(Type)!;
        var ok = true;
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in mapping.Entries)
        {
            var childPath = KeyPath.Child(path, entry.Key);
            if (!_keysByName.TryGetValue(entry.Key, out var key))
            {
                var hint = NameSuggestion.DidYouMean(entry.Key, _keysByName.Keys);
                context.Report(entry.KeyLocation, childPath, entry.Key == "<<"
                    ? "YAML merge keys (<<) are not supported; share settings through extends instead"
                    : hint.Length > 0
                    ? $"unknown key {PrintableText.Quote(entry.Key)}{hint}"
                    : $"unknown key {PrintableText.Quote(entry.Key)}; expected one of: {string.Join(", ", _keysByName.Keys)}");
                ok = false;
                continue;
            }

            if (entry.Value is SourceScalar { IsNull: true })
            {
                continue;
            }

            present.Add(key.Name);
            if (key.Shape.TryBind(entry.Value, childPath, context, out var item))
            {
                key.Property.SetValue(instance, item);
            }
            else
            {
                ok = false;
            }
        }

        foreach (var key in Keys)
        {
            if (key.IsRequired && !present.Contains(key.Name))
            {
                context.Report(mapping.Location, KeyPath.Child(path, key.Name), $"required key is missing; expected {key.Shape.Expected}");
                ok = false;
            }
        }

        value = instance;
        return ok;
    }

    public override JsonObject ToSchema(SchemaDefinitions definitions) => definitions.Reference(this);

    /// <summary>The object schema of this record, written once under <c>definitions</c>.</summary>
    public JsonObject ToDefinition(SchemaDefinitions definitions)
    {
        var properties = new JsonObject();
        foreach (var key in Keys)
        {
            properties[key.Name] = SchemaDefinitions.AllowingNull(key.Shape.ToSchema(definitions));
        }

        return new JsonObject
        {
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
        };
    }
}

/// <summary>Collects record definitions so each record type is written once and referenced by name.</summary>
internal sealed class SchemaDefinitions
{
    private readonly SortedDictionary<string, JsonObject?> _definitions = new(StringComparer.Ordinal);

    public JsonObject Reference(RecordShape record)
    {
        var name = record.Type.Name;
        if (!_definitions.ContainsKey(name))
        {
            _definitions[name] = null;
            _definitions[name] = record.ToDefinition(this);
        }

        return new JsonObject { ["$ref"] = "#/definitions/" + name };
    }

    public JsonObject ToJson()
    {
        var result = new JsonObject();
        foreach (var (name, definition) in _definitions)
        {
            result[name] = definition;
        }

        return result;
    }

    /// <summary>
    /// A pattern that also accepts text with a <c>${VAR}</c> placeholder: the editor sees the file
    /// before interpolation, and the loader checks the interpolated value anyway.
    /// </summary>
    public static string AllowingPlaceholders(string pattern) => $"(?:{pattern})|\\$\\{{";

    /// <summary>Every key of a layer may be <c>null</c>, which removes the inherited value.</summary>
    public static JsonObject AllowingNull(JsonObject schema)
    {
        if (schema["type"] is JsonValue type && type.TryGetValue<string>(out var single))
        {
            schema["type"] = new JsonArray(single, "null");
            if (schema["enum"] is JsonArray values)
            {
                values.Add(null);
            }

            return schema;
        }

        if (schema["type"] is JsonArray types)
        {
            types.Add("null");
            return schema;
        }

        return new JsonObject { ["anyOf"] = new JsonArray(schema, new JsonObject { ["type"] = "null" }) };
    }
}
