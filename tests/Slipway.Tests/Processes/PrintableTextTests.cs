using Slipway.Processes;

namespace Slipway.Tests.Processes;

public sealed class PrintableTextTests
{
    [Theory]
    [InlineData("plain text stays as it is", "plain text stays as it is")]
    [InlineData("two\nlines", "two\\nlines")]
    [InlineData("carriage\r\nreturn", "carriage\\r\\nreturn")]
    [InlineData("\u001b[31mred\u001b[0m", "\\e[31mred\\e[0m")]
    [InlineData("bell\u0007", "bell\\u0007")]
    [InlineData("c1\u009bcsi", "c1\\u009Bcsi")]
    [InlineData("right-to-left \u202Eoverride", "right-to-left \\u202Eoverride")]
    [InlineData("line\u2028separator", "line\\u2028separator")]
    [InlineData("emoji 🚀 and é stay", "emoji 🚀 and é stay")]
    public void Escape_writes_control_and_direction_characters_as_escapes(string text, string expected) =>
        Assert.Equal(expected, PrintableText.Escape(text));

    [Fact]
    public void A_lone_surrogate_is_escaped() =>
        Assert.Equal("lone \\uD800 surrogate", PrintableText.Escape("lone " + (char)0xD800 + " surrogate"));

    [Fact]
    public void Quote_escapes_and_cuts_a_long_value()
    {
        var quoted = PrintableText.Quote("say \"hi\"\\" + new string('x', 200));

        Assert.StartsWith("\"say \\\"hi\\\"\\\\xxx", quoted, StringComparison.Ordinal);
        Assert.EndsWith("x…\"", quoted, StringComparison.Ordinal);
        Assert.True(quoted.Length < PrintableText.MaxQuotedLength + 10, quoted);
    }

    [Fact]
    public void Quote_does_not_split_a_surrogate_pair()
    {
        var quoted = PrintableText.Quote(new string('x', PrintableText.MaxQuotedLength - 1) + "🚀🚀");

        Assert.DoesNotContain("\\uD83D", quoted, StringComparison.Ordinal);
        Assert.EndsWith("x…\"", quoted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("::error::pwned", "\\::error::pwned")]
    [InlineData("   ::add-mask::x", "\\   ::add-mask::x")]
    [InlineData("error: ::not a command here", "error: ::not a command here")]
    public void Line_keeps_a_line_from_reading_as_a_workflow_command(string line, string expected) =>
        Assert.Equal(expected, PrintableText.Line(line));
}
