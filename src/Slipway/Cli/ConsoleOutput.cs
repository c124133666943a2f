using Spectre.Console;
using Spectre.Console.Rendering;

namespace Slipway.Cli;

/// <summary>
/// The console, for plain lines and Spectre renderables alike. On a terminal it goes through Spectre
/// (colour, live progress); elsewhere lines are written as they are, never wrapped, so CI logs stay
/// line-oriented and greppable.
/// </summary>
internal sealed class ConsoleOutput : IDisposable
{
    private readonly TextWriter _writer;
    private readonly object _gate = new();
    private readonly Timer _flusher;

    /// <summary>Creates the console over <paramref name="writer"/>, flushing it every 50 ms.</summary>
    public ConsoleOutput(TextWriter writer, bool isTerminal)
    {
        _writer = writer;
        _flusher = new Timer(_ => Flush(), null, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50));
        IsTerminal = isTerminal;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        if (!isTerminal)
        {
            Console.Profile.Width = 160;
        }
    }

    /// <summary>True on an interactive terminal.</summary>
    public bool IsTerminal { get; }

    /// <summary>The Spectre console, for tables, trees and progress.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Writes one line of plain text (tool output: never interpreted as markup).</summary>
    public void Line(string text)
    {
        lock (_gate)
        {
            if (IsTerminal)
            {
                Console.Write(new Text(text + Environment.NewLine));
            }
            else
            {
                _writer.WriteLine(text);
            }
        }
    }

    /// <summary>Writes a line with Spectre markup on a terminal, or the plain text elsewhere.</summary>
    public void Markup(string markup, string plain)
    {
        lock (_gate)
        {
            if (IsTerminal)
            {
                Console.MarkupLine(markup);
            }
            else
            {
                _writer.WriteLine(plain);
            }
        }
    }

    /// <summary>Writes a renderable (table, tree).</summary>
    public void Write(IRenderable renderable)
    {
        lock (_gate)
        {
            Console.Write(renderable);
        }
    }

    /// <summary>Stops the periodic flush and flushes.</summary>
    public void Dispose()
    {
        _flusher.Dispose();
        Flush();
    }

    /// <summary>Flushes the underlying writer.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            _writer.Flush();
        }
    }
}
