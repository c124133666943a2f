using System.Globalization;
using Slipway.Processes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Slipway.Environments;

/// <summary>
/// Reads one YAML file into a <see cref="SourceMapping"/> from YamlDotNet's parser events, keeping
/// every position. Duplicate keys are reported (and the first one kept) rather than thrown, so one
/// run shows every mistake; a syntax error ends the file because nothing after it can be trusted.
/// Reading is bounded (<see cref="EnvironmentLimits"/>: depth, and nodes counting what aliases repeat, so an alias bomb
/// is refused as soon as it outgrows the limit) and cancellable; explicit tags are refused, because Slipway defines none
/// and ignoring one (<c>!!str 3</c>, <c>!vault x</c>) would silently change what the value means.
/// </summary>
internal static class YamlSourceReader
{
    public static SourceMapping? Read(string text, string file, ICollection<ConfigurationError> errors) =>
        Read(new StringReader(text), () => text, file, errors);

    /// <summary>Reads from <paramref name="input"/>; <paramref name="wholeText"/> is called only to explain a syntax error.</summary>
    public static SourceMapping? Read(TextReader input, Func<string> wholeText, string file, ICollection<ConfigurationError> errors, CancellationToken cancellation = default)
    {
        var reader = new Reader(file, errors, cancellation);
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
        catch (LimitExceededException exception)
        {
            errors.Add(Error(file, exception.At, exception.Message));
            return null;
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

    /// <summary>A bound of <see cref="EnvironmentLimits"/> was reached at <see cref="At"/>.</summary>
    private sealed class LimitExceededException(Mark at, string message) : Exception(message)
    {
        public Mark At { get; } = at;
    }

    private sealed class Reader(string file, ICollection<ConfigurationError> errors, CancellationToken cancellation)
    {
        /// <summary>Each anchored node with the number of nodes it stands for, which an alias to it repeats.</summary>
        private readonly Dictionary<string, (SourceNode Node, long Nodes)> _anchors = new(StringComparer.Ordinal);

        /// <summary>Nodes so far, aliases counted as the nodes they repeat: what every later walk of the tree visits.</summary>
        private long _nodes;

        private int _depth;

        private int _events;

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
            var before = _nodes;
            Count(current, 1);
            if (current is NodeEvent { Tag.IsEmpty: false } tagged)
            {
                errors.Add(Error(file, tagged.Start,
                    $"explicit YAML tags are not supported ({PrintableText.Escape(ShortTag(tagged.Tag.Value))}): Slipway defines none, and ignoring one would change what the value means; remove it (quote a value to make it text)"));
            }

            switch (current)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    if (_anchors.TryGetValue(alias.Value.Value, out var anchored))
                    {
                        Count(alias, anchored.Nodes - 1);
                        return anchored.Node;
                    }

                    throw new SemanticErrorException(alias.Start, alias.End, $"unknown alias *{PrintableText.Escape(Cut(alias.Value.Value))}");

                case Scalar scalar:
                    parser.MoveNext();
                    return Remember(scalar, new SourceScalar(Locate(file, scalar.Start), scalar.Value, scalar.Style), before);

                case SequenceStart start:
                    {
                        parser.MoveNext();
                        Enter(start);
                        OpenFlow(start.Style == SequenceStyle.Flow, start.Start, '[');
                        var items = new List<SourceNode>();
                        while (!parser.TryConsume<SequenceEnd>(out _))
                        {
                            _path.Add(string.Create(CultureInfo.InvariantCulture, $"[{items.Count}]"));
                            items.Add(ReadNode(parser));
                            _path.RemoveAt(_path.Count - 1);
                        }

                        CloseFlow(start.Style == SequenceStyle.Flow);
                        _depth--;

                        return Remember(start, new SourceSequence(Locate(file, start.Start), items), before);
                    }

                case MappingStart start:
                    {
                        parser.MoveNext();
                        Enter(start);
                        OpenFlow(start.Style == MappingStyle.Flow, start.Start, '{');
                        var entries = new List<SourceEntry>();
                        Dictionary<string, SourceEntry>? byKey = null;
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
                            var first = FindEntry(entries, ref byKey, keyScalar.Text);
                            if (first is not null)
                            {
                                errors.Add(new ConfigurationError(file, keyScalar.Location.Line, keyScalar.Location.Column, CurrentPath(),
                                    $"duplicate key {PrintableText.Quote(keyScalar.Text)} (first set at line {first.KeyLocation.Line}); remove one of them"));
                            }
                            else
                            {
                                var entry = new SourceEntry(keyScalar.Text, keyScalar.Location, value);
                                entries.Add(entry);
                                byKey?.Add(entry.Key, entry);
                            }

                            _path.RemoveAt(_path.Count - 1);
                        }

                        CloseFlow(start.Style == MappingStyle.Flow);
                        _depth--;
                        return Remember(start, new SourceMapping(Locate(file, start.Start), entries), before);
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

        /// <summary>Counts <paramref name="nodes"/> more nodes, refusing the file once they pass the limit; checks for cancellation now and then.</summary>
        private void Count(ParsingEvent at, long nodes)
        {
            _nodes += nodes;
            if (_nodes > EnvironmentLimits.MaxNodes)
            {
                throw new LimitExceededException(at.Start, at is AnchorAlias
                    ? $"this alias makes the file larger than the limit of {EnvironmentLimits.MaxNodes:N0} nodes (aliases count as every node they repeat); an environment file needs far fewer — write the values out, or share them through extends"
                    : $"the file has more than the limit of {EnvironmentLimits.MaxNodes:N0} nodes; split it, or share settings through extends");
            }

            if ((++_events & 0x3FF) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }
        }

        private void Enter(ParsingEvent start)
        {
            if (++_depth > EnvironmentLimits.MaxDepth)
            {
                throw new LimitExceededException(start.Start,
                    $"mappings and lists nest deeper than the limit of {EnvironmentLimits.MaxDepth} levels here; an environment file nests a few levels");
            }
        }

        private static string ShortTag(string tag) =>
            tag.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal) ? "!!" + Cut(tag["tag:yaml.org,2002:".Length..]) : Cut(tag);

        private static string Cut(string text) => text.Length > PrintableText.MaxQuotedLength ? text[..PrintableText.MaxQuotedLength] + "…" : text;

        private static SourceEntry? FindEntry(List<SourceEntry> entries, ref Dictionary<string, SourceEntry>? byKey, string key)
        {
            if (byKey is not null)
            {
                return byKey.GetValueOrDefault(key);
            }

            // Mappings in environment files are small (a few keys); a scan beats a dictionary per mapping until
            // one grows (the services map), and then an index keeps a map of many keys from costing n² comparisons.
            if (entries.Count >= 16)
            {
                byKey = new Dictionary<string, SourceEntry>(entries.Count * 2, StringComparer.Ordinal);
                foreach (var entry in entries)
                {
                    byKey[entry.Key] = entry;
                }

                return byKey.GetValueOrDefault(key);
            }

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

        private SourceNode Remember(NodeEvent node, SourceNode value, long nodesBefore)
        {
            if (!node.Anchor.IsEmpty)
            {
                _anchors[node.Anchor.Value] = (value, _nodes - nodesBefore);
            }

            return value;
        }
    }
}
