using System.Xml.Linq;

namespace Slipway.Tools.DotNet;

/// <summary>The counts and failing test names from a TRX file (what <c>dotnet test --logger trx</c> writes).</summary>
public sealed record TestResults(int Passed, int Failed, int Skipped, IReadOnlyList<string> FailedTests)
{
    /// <summary>No tests.</summary>
    public static TestResults Empty { get; } = new(0, 0, 0, []);

    /// <summary>The sum of two results.</summary>
    public TestResults Add(TestResults other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Passed + other.Passed, Failed + other.Failed, Skipped + other.Skipped, [.. FailedTests, .. other.FailedTests]);
    }

    /// <summary>"12 passed, 1 failed, 0 skipped".</summary>
    public override string ToString() => $"{Passed} passed, {Failed} failed, {Skipped} skipped";

    /// <summary>Reads a TRX document.</summary>
    public static TestResults FromTrx(string trx)
    {
        var document = XDocument.Parse(trx);
        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        var results = document.Descendants(ns + "UnitTestResult").ToList();
        var failed = results.Where(r => (string?)r.Attribute("outcome") == "Failed").Select(r => (string?)r.Attribute("testName") ?? "(unnamed)").ToList();
        return new TestResults(
            results.Count(r => (string?)r.Attribute("outcome") == "Passed"),
            failed.Count,
            results.Count(r => (string?)r.Attribute("outcome") is "NotExecuted" or "Inconclusive"),
            failed);
    }
}
