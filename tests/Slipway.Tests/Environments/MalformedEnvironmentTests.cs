using Slipway.Environments;

namespace Slipway.Tests.Environments;

/// <summary>
/// The malformed corpus: every file in Malformed/ (except the valid base they extend) holds exactly
/// one mistake and announces on its first line the one error the loader must report:
/// <c># expect: &lt;file&gt;:&lt;line&gt;:&lt;col&gt;: &lt;key path&gt;: &lt;message&gt;</c>.
/// </summary>
public class MalformedEnvironmentTests
{
    private const string Directory = "tests/Slipway.Tests/Environments/Malformed";
    private const string ExpectPrefix = "# expect: ";

    public static TheoryData<string> Cases() => [.. CaseNames()];

    public static IEnumerable<string> CaseNames() =>
        System.IO.Directory.EnumerateFiles(RepositoryRoot.Combine(Directory), "*.yml")
            .Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(name => name != EnvironmentLoader.BaseName)
            .Order(StringComparer.Ordinal);

    [Fact]
    public void The_corpus_has_at_least_thirty_cases() => Assert.True(CaseNames().Count() >= 30);

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_loader_reports_exactly_the_expected_error(string name)
    {
        var firstLine = File.ReadLines(RepositoryRoot.Combine(Directory, name + ".yml")).First();
        Assert.StartsWith(ExpectPrefix, firstLine, StringComparison.Ordinal);

        var result = new EnvironmentLoader(RepositoryRoot.Path).Load(Directory, name, new Dictionary<string, string>());

        Assert.False(result.Succeeded);
        Assert.Null(result.Environment);
        Assert.Equal([firstLine[ExpectPrefix.Length..]], result.Errors.Select(e => e.ToString()));
    }
}
