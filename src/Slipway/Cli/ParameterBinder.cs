using System.Collections;
using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Cli;

/// <summary>
/// Sets pipeline parameters from the command line, then <c>SLIPWAY_NAME</c>, then <c>NAME</c>; a
/// parameter given nowhere keeps its initial value. A bad value is an error naming the parameter, the
/// value (masked for secrets) and the accepted forms.
/// </summary>
internal static class ParameterBinder
{
    /// <summary>Binds every parameter; returns the errors (empty on success).</summary>
    public static IReadOnlyList<string> Bind(
        Pipeline pipeline,
        IReadOnlyList<ParameterDescriptor> parameters,
        IReadOnlyDictionary<ParameterDescriptor, IReadOnlyList<string>> commandLine,
        IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentNullException.ThrowIfNull(environment);
        var errors = new List<string>();
        foreach (var parameter in parameters)
        {
            IReadOnlyList<string>? values = null;
            string source;
            if (commandLine.TryGetValue(parameter, out var given))
            {
                values = given;
                source = parameter.OptionName;
            }
            else
            {
                // An empty variable counts as unset, as ${VAR:-default} does: CI passes optional inputs that way.
                var variable = parameter.EnvironmentVariables.FirstOrDefault(v => environment.TryGetValue(v, out var value) && value.Length > 0);
                source = variable ?? string.Empty;
                if (variable is not null)
                {
                    values = [environment[variable]];
                }
            }

            if (values is null)
            {
                continue;
            }

            try
            {
                var value = parameter.Parse(values);
                if (parameter.Property.CanWrite)
                {
                    parameter.Property.SetValue(pipeline, value);
                }
                else
                {
                    // A component's parameter (an interface has no state): its default member reads it with TryGetValue.
                    pipeline.SetParameterValue(parameter.Name, value);
                }
            }
            catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
            {
                var shown = parameter.IsSecret ? Secret.Mask : string.Join(",", values);
                var from = source.StartsWith("--", StringComparison.Ordinal) ? source : $"{parameter.OptionName} (from ${source})";
                errors.Add($"{from}: '{shown}' is not valid. Expected {parameter.AcceptedForms}.");
            }
        }

        return errors;
    }

    /// <summary>Whether the parameter named <paramref name="name"/> has a usable value.</summary>
    public static bool HasValue(Pipeline pipeline, IReadOnlyList<ParameterDescriptor> parameters, string name)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var parameter = parameters.FirstOrDefault(p => p.Name == name);
        return parameter?.Property.GetValue(pipeline) switch
        {
            null => false,
            string s => s.Length > 0,
            Secret secret => !secret.IsEmpty,
            ICollection collection => collection.Count > 0,
            _ => true,
        };
    }
}
