using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Slipway.Environments;

/// <summary>
/// Reads one YAML file into a <see cref="SourceMapping"/> from YamlDotNet's parser events, keeping
/// every position. Duplicate keys are reported (and the first one kept) rather than thrown, so one
/// run shows every mistake; a syntax error ends the file because nothing after it can be trusted.
/// </summary>
internal static class YamlSourceReader
{
    public static SourceMapping? Read(string text, string file, ICollection<ConfigurationError> errors) =>
        Read(new StringReader(text), () => text, file, errors);

    /// <summary>Reads from <paramref name="input"/>; <paramref name="wholeText"/> is called only to explain a syntax error.</summary>
    public static SourceMapping? Read(TextReader input, Func<string> wholeText, string file, ICollection<ConfigurationError> errors)
    {
        var reader = new Reader(file, errors);
        var scanner = new Scanner(input);
        var parser = new Parser(scanner);
        try
        {
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _))
            {
                return new SourceMapping(new SourceLocation(file, 1, 1), []);
            }

            parser.Consume<DocumentStart>();
            var root = reader.ReadNode(parser);
            parser.Consume<DocumentEnd>();
            if (parser.Current is DocumentStart second)
            {
                errors.Add(Error(file, second.Start, "an environment file holds one YAML document; remove the second '---'"));
                return null;
            }

            return root switch
            {
                SourceMapping mapping => mapping,
                SourceScalar { IsNull: true } => new SourceMapping(root.Location, []),
                _ => Fail(errors, new ConfigurationError(file, root.Location.Line, root.Location.Column, string.Empty,
                    $"expected a mapping of keys at the top of the file, got {root.Describe()}")),
            };
        }
        catch (YamlException exception)
        {
            errors.Add(DescribeSyntaxError(wholeText(), file, exception));
            return null;
        }
        catch (InvalidOperationException) when (reader.OpenFlowCollections.Count > 0)
        {
            // YamlDotNet 18's scanner throws this, without a mark, on an unclosed flow collection;
            // the bracket that was opened is where the person needs to look.
            var (mark, path, bracket) = reader.OpenFlowCollections.Peek();
            errors.Add(new ConfigurationError(file, (int)mark.Line, (int)mark.Column, path,
                $"invalid YAML: this '{bracket}' is never closed; close it with '{(bracket == '[' ? ']' : '}')}'"));
            return null;
        }
    }

    private static SourceMapping? Fail(ICollection<ConfigurationError> errors, ConfigurationError error)
    {
        errors.Add(error);
        return null;
    }

    private static SourceLocation Locate(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);

    private static ConfigurationError Error(string file, Mark mark, string message) =>
        new(file, (int)mark.Line, (int)mark.Column, string.Empty, message);

    private static ConfigurationError DescribeSyntaxError(string text, string file, YamlException exception)
    {
        // YamlDotNet reports a tab in indentation as a token that "cannot start any token", which
        // sends people looking for the wrong problem; name the tab instead.
        var lines = text.Split('\n');
        var lineIndex = (int)exception.Start.Line - 1;
        var mentionsTab = exception.Message.Contains("tab", StringComparison.OrdinalIgnoreCase);

        // YamlDotNet marks some tab errors at the start of the enclosing mapping, so look further then.
        var last = mentionsTab ? lines.Length - 1 : Math.Min(lineIndex, lines.Length - 1);
        var first = mentionsTab ? Math.Max(0, lineIndex) : Math.Max(0, lineIndex - 1);
        for (var i = first; i <= last; i++)
        {
            var line = lines[i];
            var indentEnd = 0;
            while (indentEnd < line.Length && line[indentEnd] is ' ' or '\t')
            {
                indentEnd++;
            }

            var tab = line.IndexOf('\t', 0, indentEnd);
            if (tab >= 0)
            {
                return new ConfigurationError(file, i + 1, tab + 1, string.Empty,
                    "tab character in indentation; YAML indents with spaces only");
            }
        }

        var message = exception.InnerException?.Message ?? exception.Message;
        var paren = message.IndexOf("):", StringComparison.Ordinal);
        if (message.StartsWith('(') && paren > 0)
        {
            // Drop YamlDotNet's "(Line: 3, Col: 5, Idx: ...) - (...):" prefix; the position is printed already.
            message = message[(paren + 2)..].Trim();
        }

        return Error(file, exception.Start, "invalid YAML: " + message.TrimEnd('.'));
    }

    private sealed class Reader(string file, ICollection<ConfigurationError> errors)
    {
        private readonly Dictionary<string, SourceNode> _anchors = new(StringComparer.Ordinal);

        /// <summary>Flow collections (<c>[...]</c>, <c>{...}</c>) opened and not yet closed, innermost on top.</summary>
        public Stack<(Mark Mark, string Path, char Bracket)> OpenFlowCollections { get; } = new();

        // The key path of the node being read, as segments; joined only when an error needs it,
        // because building a string per key would cost more than the parse on large files.
        private readonly List<string> _path = [];

        private string CurrentPath()
        {
            var path = string.Empty;
            foreach (var segment in _path)
            {
                path = segment[0] == '[' ? path + segment : KeyPath.Child(path, segment);
            }

            return path;
        }

        public SourceNode ReadNode(IParser parser)
        {
            var current = parser.Current ?? throw new SemanticErrorException("unexpected end of the YAML stream");
            switch (current)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    if (_anchors.TryGetValue(alias.Value.Value, out var anchored))
                    {
                        return anchored;
                    }

                    throw new SemanticErrorException(alias.Start, alias.End, $"unknown alias *{alias.Value.Value}");

                case Scalar scalar:
                    parser.MoveNext();
                    return Remember(scalar, new SourceScalar(Locate(file, scalar.Start), scalar.Value, scalar.Style));

                case SequenceStart start:
                    {
                        parser.MoveNext();
                        OpenFlow(start.Style == SequenceStyle.Flow, start.Start, '[');
                        var items = new List<SourceNode>();
                        while (!parser.TryConsume<SequenceEnd>(out _))
                        {
                            _path.Add(string.Create(CultureInfo.InvariantCulture, $"[{items.Count}]"));
                            items.Add(ReadNode(parser));
                            _path.RemoveAt(_path.Count - 1);
                        }

                        CloseFlow(start.Style == SequenceStyle.Flow);

                        return Remember(start, new SourceSequence(Locate(file, start.Start), items));
                    }

                case MappingStart start:
                    {
                        parser.MoveNext();
                        OpenFlow(start.Style == MappingStyle.Flow, start.Start, '{');
                        var entries = new List<SourceEntry>();
                        while (!parser.TryConsume<MappingEnd>(out _))
                        {
                            var key = ReadNode(parser);
                            if (key is not SourceScalar keyScalar)
                            {
                                errors.Add(new ConfigurationError(file, key.Location.Line, key.Location.Column, CurrentPath(),
                                    "keys must be plain text, not lists or mappings"));
                                ReadNode(parser);
                                continue;
                            }

                            _path.Add(keyScalar.Text);
                            var value = ReadNode(parser);
                            var first = FindEntry(entries, keyScalar.Text);
                            if (first is not null)
                            {
                                errors.Add(new ConfigurationError(file, keyScalar.Location.Line, keyScalar.Location.Column, CurrentPath(),
                                    $"duplicate key \"{keyScalar.Text}\" (first set at line {first.KeyLocation.Line}); remove one of them"));
                            }
                            else
                            {
                                entries.Add(new SourceEntry(keyScalar.Text, keyScalar.Location, value));
                            }

                            _path.RemoveAt(_path.Count - 1);
                        }

                        CloseFlow(start.Style == MappingStyle.Flow);
                        return Remember(start, new SourceMapping(Locate(file, start.Start), entries));
                    }

                default:
                    throw new SemanticErrorException(current.Start, current.End, $"unexpected {current.GetType().Name}");
            }
        }

        private void OpenFlow(bool isFlow, Mark mark, char bracket)
        {
            if (isFlow)
            {
                OpenFlowCollections.Push((mark, CurrentPath(), bracket));
            }
        }

        private static SourceEntry? FindEntry(List<SourceEntry> entries, string key)
        {
            // Mappings in environment files are small (a few keys, or one per service); a scan
            // beats a dictionary per mapping except for the services map, where it is still cheap.
            foreach (var entry in entries)
            {
                if (string.Equals(entry.Key, key, StringComparison.Ordinal))
                {
                    return entry;
                }
            }

            return null;
        }

        private void CloseFlow(bool isFlow)
        {
            if (isFlow)
            {
                OpenFlowCollections.Pop();
            }
        }

        private SourceNode Remember(NodeEvent node, SourceNode value)
        {
            if (!node.Anchor.IsEmpty)
            {
                _anchors[node.Anchor.Value] = value;
            }

            return value;
        }
    }
}
