using System.Collections.Immutable;
using System.Text.Json;
using Slipway.Processes;

namespace Slipway.Tools.Docker;

/// <summary>What <see cref="DockerCli.ImageHistory"/> prints: the instruction behind each step that made an image.</summary>
public static class DockerImageHistory
{
    /// <summary>
    /// The <c>CreatedBy</c> of every step, newest first, from one JSON object per line. The classic builder writes
    /// <c>/bin/sh -c #(nop)  ENV …</c> for metadata and <c>/bin/sh -c apt-get …</c> for RUN; BuildKit writes the instruction
    /// itself (<c>COPY . /app/ # buildkit</c>, <c>RUN /bin/sh -c …</c>). An imported base layer has an empty one.
    /// </summary>
    /// <exception cref="FormatException">A line is not a JSON object with a string <c>CreatedBy</c>.</exception>
    public static ImmutableArray<string> Parse(string jsonLines)
    {
        ArgumentNullException.ThrowIfNull(jsonLines);
        var steps = ImmutableArray.CreateBuilder<string>();
        foreach (var line in jsonLines.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                steps.Add(document.RootElement is { ValueKind: JsonValueKind.Object } step
                    && step.TryGetProperty("CreatedBy", out var createdBy) && createdBy.ValueKind == JsonValueKind.String
                        ? createdBy.GetString()!
                        : throw new FormatException($"docker image history printed a step without \"CreatedBy\": {PrintableText.Quote(line)}"));
            }
            catch (JsonException e)
            {
                throw new FormatException($"docker image history printed a line that is not JSON: {PrintableText.Quote(line)}", e);
            }
        }

        return steps.ToImmutable();
    }

}
