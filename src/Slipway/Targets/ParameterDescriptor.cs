using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using Slipway.Processes;

namespace Slipway.Targets;

/// <summary>A pipeline parameter as discovered from its property: names, type, description, default.</summary>
internal sealed class ParameterDescriptor
{
    /// <summary>The longest duration a parameter takes: about what .NET's timers can wait (24.8 days).</summary>
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(24);

    internal ParameterDescriptor(PropertyInfo property, ParameterAttribute attribute)
    {
        Property = property;
        Description = attribute.Description;
        IsSecret = attribute is SecretAttribute;
        var kebab = attribute.Name ?? KebabCase(property.Name);
        OptionName = "--" + kebab;
        var snake = kebab.Replace('-', '_').ToUpperInvariant();
        EnvironmentVariables = ["SLIPWAY_" + snake, snake];
        ValueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        ElementType = ListElementType(ValueType);
        if (IsSecret && ValueType != typeof(Secret))
        {
            throw new InvalidOperationException($"[Secret] property '{property.Name}' must be of type Secret, not {property.PropertyType.Name}.");
        }
    }

    /// <summary>The property's name, as used in <c>Requires(() =&gt; Name)</c>.</summary>
    public string Name => Property.Name;

    /// <summary>The command-line option, e.g. <c>--registry-password</c>.</summary>
    public string OptionName { get; }

    /// <summary>The environment variables read, in order of precedence.</summary>
    public IReadOnlyList<string> EnvironmentVariables { get; }

    /// <summary>Shown in help.</summary>
    public string Description { get; }

    /// <summary>True for secrets.</summary>
    public bool IsSecret { get; }

    /// <summary>The parameter's type without Nullable.</summary>
    public Type ValueType { get; }

    /// <summary>True for a flag (bool): <c>--flag</c> alone means true.</summary>
    public bool IsFlag => ValueType == typeof(bool);

    /// <summary>True for a list: repeat the option, or separate values with commas.</summary>
    public bool IsList => ElementType is not null;

    internal Type? ElementType { get; }

    internal PropertyInfo Property { get; }

    /// <summary>What the parameter accepts, for help and errors: <c>one of: quiet, normal</c>.</summary>
    public string AcceptedForms => Forms(ElementType ?? ValueType) + (IsList ? " (repeat the option or separate values with commas)" : string.Empty);

    /// <summary>A short type word for help: <c>&lt;int&gt;</c>.</summary>
    public string ValueHint => IsFlag ? string.Empty : "<" + HintOf(ElementType ?? ValueType) + (IsList ? "...>" : ">");

    internal object? Parse(IReadOnlyList<string> values)
    {
        if (IsList)
        {
            var parts = values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
            var array = Array.CreateInstance(ElementType!, parts.Count);
            for (var i = 0; i < parts.Count; i++)
            {
                array.SetValue(ParseScalar(ElementType!, parts[i]), i);
            }

            return array;
        }

        var value = values.Count == 0 ? (IsFlag ? "true" : string.Empty) : values[^1];
        return ParseScalar(ValueType, value);
    }

    internal static string KebabCase(string name)
    {
        var text = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]))))
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    private object? ParseScalar(Type type, string text)
    {
        if (type == typeof(string))
        {
            return text;
        }

        if (type == typeof(Secret))
        {
            return new Secret(text, OptionName);
        }

        if (type == typeof(bool))
        {
            return text.ToUpperInvariant() switch
            {
                "TRUE" or "1" or "YES" or "ON" => true,
                "FALSE" or "0" or "NO" or "OFF" => false,
                _ => throw new FormatException(),
            };
        }

        if (type == typeof(int))
        {
            return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
        }

        if (type == typeof(long))
        {
            return long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
        }

        if (type == typeof(double))
        {
            return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        if (type == typeof(TimeSpan))
        {
            // A duration parameter is a wait or a timeout: never negative, and within what a timer takes.
            var duration = DurationText.Parse(text);
            return duration >= TimeSpan.Zero && duration <= MaxDuration ? duration : throw new FormatException();
        }

        if (type == typeof(FileInfo))
        {
            return string.IsNullOrWhiteSpace(text) ? throw new FormatException() : new FileInfo(text);
        }

        if (type == typeof(DirectoryInfo))
        {
            return string.IsNullOrWhiteSpace(text) ? throw new FormatException() : new DirectoryInfo(text);
        }

        if (type.IsEnum)
        {
            var match = Enum.GetNames(type).FirstOrDefault(n => string.Equals(n, text.Replace("-", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
            return match is null ? throw new FormatException() : Enum.Parse(type, match);
        }

        // Value types of the pipeline's own (EnvironmentName, …): a static Parse(string) or a string constructor.
        var parse = type.GetMethod("Parse", BindingFlags.Public | BindingFlags.Static, [typeof(string)]);
        if (parse is not null)
        {
            try
            {
                return parse.Invoke(null, [text]);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                throw new FormatException(ex.InnerException.Message, ex.InnerException);
            }
        }

        var constructor = type.GetConstructor([typeof(string)]);
        if (constructor is not null)
        {
            return constructor.Invoke([text]);
        }

        throw new InvalidOperationException($"Parameter '{Name}' has type {type.Name}, which Slipway cannot bind: use string, bool, int, long, double, TimeSpan, FileInfo, DirectoryInfo, an enum, a list of these, or a type with a static Parse(string).");
    }

    private static string Forms(Type type) => type switch
    {
        _ when type == typeof(bool) => "true or false (the flag alone means true)",
        _ when type == typeof(int) || type == typeof(long) => "a whole number, e.g. 4",
        _ when type == typeof(double) => "a number, e.g. 0.5",
        _ when type == typeof(TimeSpan) => "a duration from 0s to 24d, e.g. 90s, 5m, 1h30m",
        _ when type == typeof(FileInfo) || type == typeof(DirectoryInfo) => "a path",
        _ when type == typeof(Secret) => "any text (kept secret)",
        _ when type.IsEnum => "one of: " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
        _ when type == typeof(string) => "any text",
        _ => $"a {type.Name}",
    };

    private static string HintOf(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) => "int",
        _ when type == typeof(double) => "number",
        _ when type == typeof(TimeSpan) => "duration",
        _ when type == typeof(FileInfo) || type == typeof(DirectoryInfo) => "path",
        _ when type == typeof(Secret) => "secret",
        _ when type.IsEnum => string.Join("|", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
        _ when type == typeof(string) => "text",
        _ => type.Name.ToLowerInvariant(),
    };

    private static Type? ListElementType(Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var definition = type.GetGenericTypeDefinition();
            if (definition == typeof(IReadOnlyList<>) || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>))
            {
                return type.GetGenericArguments()[0];
            }
        }

        return null;
    }
}
