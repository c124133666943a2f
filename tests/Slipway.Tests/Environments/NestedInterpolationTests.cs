namespace Slipway.Tests.Environments;

/// <summary>A default may hold placeholders itself: <c>${A:-${B:-x}}</c> is A, else B, else x.</summary>
public sealed class NestedInterpolationTests
{
    [Theory]
    [InlineData("${A:-${B:-x}}", "", "", "x")]
    [InlineData("${A:-${B:-x}}", "", "b", "b")]
    [InlineData("${A:-${B:-x}}", "a", "", "a")]
    [InlineData("${A:-${B:-${C:-deep}}}-tail", "", "", "deep-tail")]
    [InlineData("${A:-$${literal}}", "", "", "${literal}")]
    [InlineData("${A:-{braces}}", "", "", "{braces}")]
    [InlineData("${A:-${UNSET}}", "a", "", "a")]
    public void A_default_is_expanded_only_when_used(string description, string a, string b, string expected)
    {
        using var files = new ScratchEnvironments(("base", ScratchEnvironments.MinimalBase), ("dev", $"extends: base\ndescription: \"{description}\"\n"));
        var variables = new Dictionary<string, string>();
        if (a.Length > 0)
        {
            variables["A"] = a;
        }

        if (b.Length > 0)
        {
            variables["B"] = b;
        }

        Assert.Equal(expected, files.LoadValid("dev", variables).Description);
    }

    [Fact]
    public void An_unset_variable_in_a_used_default_is_an_error_at_its_own_position()
    {
        using var files = new ScratchEnvironments(("base", ScratchEnvironments.MinimalBase), ("dev", "extends: base\ndescription: x ${A:-${B}}\n"));

        var result = files.Load("dev");

        Assert.Equal(["environments/dev.yml:2:21: description: variable \"B\" is not set; set it as a parameter or environment variable, or give a default with ${B:-value}"], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Defaults_nest_at_most_eight_levels()
    {
        var nine = string.Concat(Enumerable.Range(0, 9).Select(i => $"${{V{i}:-")) + "x" + new string('}', 9);
        using var files = new ScratchEnvironments(("base", ScratchEnvironments.MinimalBase), ("dev", $"extends: base\ndescription: \"{nine}\"\n"));

        var result = files.Load("dev");

        Assert.Contains(result.Errors, e => e.Message == "defaults nest deeper than 8 levels; write the value out");
    }
}
