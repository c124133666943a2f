using System.Reflection;
using System.Xml.Linq;
using NetArchTest.Rules;
using Slipway.Tests.Support;

namespace Slipway.Tests.Architecture;

/// <summary>
/// The packages' layering (DESIGN.md): project references are checked by the build (Directory.Build.targets), and what
/// one assembly holds in several namespaces is checked here, on the compiled IL.
/// </summary>
public sealed class LayeringTests
{
    private static readonly Assembly Core = typeof(Slipway.Targets.Pipeline).Assembly;
    private static readonly Assembly Environments = typeof(Slipway.Environments.DeployEnvironment).Assembly;
    private static readonly Assembly Tools = typeof(Slipway.Tools.Docker.DockerCli).Assembly;
    private static readonly Assembly GitHub = typeof(Slipway.GitHub.GitHubConnection).Assembly;
    private static readonly Assembly Delivery = typeof(Slipway.Delivery.DeliveryRun).Assembly;
    private static readonly Assembly Testing = typeof(RecordingToolRunner).Assembly;

    public static TheoryData<string, string[], string[]> Rules => new()
    {
        // assembly, namespace the rule applies to, namespaces it must not use
        { "Slipway", ["Slipway.Processes"], ["Slipway.Targets", "Slipway.Cli"] },
        { "Slipway", ["Slipway.Targets"], ["Slipway.Cli"] },
        { "Slipway.Environments", ["Slipway.Environments"], ["Slipway.Targets", "Slipway.Cli"] },
        { "Slipway.Tools", ["Slipway.Tools"], ["Slipway.Targets", "Slipway.Cli"] },
        { "Slipway.GitHub", ["Slipway.GitHub"], ["Slipway.Cli"] },
        { "Slipway.Delivery", ["Slipway.Delivery"], ["Slipway.Targets", "Slipway.Cli"] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void A_namespace_uses_only_the_layers_below_it(string assembly, string[] subject, string[] forbidden)
    {
        var offenders = Offenders(AssemblyNamed(assembly), subject[0], forbidden);

        Assert.True(offenders.Count == 0, $"{string.Join(", ", offenders)} in {subject[0]} use {string.Join(" or ", forbidden)}.");
    }

    [Fact]
    public void The_rule_finds_a_delivery_type_that_uses_the_targets_outside_Components()
    {
        // This test assembly holds one on purpose (Fixtures below): the same rule as Slipway.Delivery's must name it.
        var offenders = Offenders(typeof(LayeringTests).Assembly, "Slipway.Tests.Architecture.Fixtures.Delivery", ["Slipway.Targets", "Slipway.Cli"]);

        Assert.Equal(["Slipway.Tests.Architecture.Fixtures.Delivery.DeployStepThatKnowsTargets"], offenders);
    }

    [Fact]
    public void No_product_assembly_references_the_testing_package()
    {
        foreach (var assembly in new[] { Core, Environments, Tools, GitHub, Delivery })
        {
            Assert.DoesNotContain(assembly.GetReferencedAssemblies(), r => r.Name == Testing.GetName().Name);
        }
    }

    [Fact]
    public async Task The_build_fails_a_src_project_with_a_forbidden_reference_naming_the_rule()
    {
        var copy = ThrowawayCopyOf("Slipway.Tools", forbidden: "Slipway.Delivery");
        var control = ThrowawayCopyOf("Slipway.Tools", forbidden: null);

        var refused = await DotNetAsync(["build", copy, "-p:RestoreLockedMode=false", "-nologo", "-v:q"]);
        var allowed = await DotNetAsync(["msbuild", control, "-t:SlipwayCheckLayering", "-nologo", "-v:q"]);

        Assert.True(refused.ExitCode != 0, refused.Output);
        Assert.Contains("error SLIPWAY001: Slipway.Tools must not reference Slipway.Delivery: tools know no target, deploy or matrix. It may reference only: Slipway.", refused.Output, StringComparison.Ordinal);
        Assert.True(allowed.ExitCode == 0, allowed.Output);
    }

    private static List<string> Offenders(Assembly assembly, string subject, string[] forbidden)
    {
        var result = Types.InAssembly(assembly).That().ResideInNamespace(subject)
            .And().DoNotResideInNamespace(subject + ".Components")
            .ShouldNot().HaveDependencyOnAny(forbidden)
            .GetResult();
        return [.. (result.FailingTypeNames ?? []).Where(n => !n.Contains('<', StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    private static Assembly AssemblyNamed(string name) =>
        new[] { Core, Environments, Tools, GitHub, Delivery }.Single(a => a.GetName().Name == name);

    /// <summary>
    /// A copy of <paramref name="project"/>'s project file in a temporary directory that imports the repository's build
    /// files, with its references made absolute and, when given, a forbidden one added.
    /// </summary>
    private static string ThrowawayCopyOf(string project, string? forbidden)
    {
        var source = Path.Combine(TestPaths.RepositoryRoot, "src", project, project + ".csproj");
        var root = TestPaths.NewTempDirectory();
        var document = XDocument.Load(source);
        foreach (var reference in document.Descendants("ProjectReference"))
        {
            reference.SetAttributeValue("Include", Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, (string)reference.Attribute("Include")!)));
        }

        if (forbidden is not null)
        {
            document.Root!.Add(new XElement("ItemGroup", new XElement("ProjectReference", new XAttribute("Include", Path.Combine(TestPaths.RepositoryRoot, "src", forbidden, forbidden + ".csproj")))));
        }

        Directory.CreateDirectory(Path.Combine(root, project));
        var copy = Path.Combine(root, project, project + ".csproj");
        document.Save(copy);
        foreach (var (file, imported) in new[] { ("Directory.Build.props", "src/Directory.Build.props"), ("Directory.Build.targets", "Directory.Build.targets"), ("Directory.Packages.props", "Directory.Packages.props") })
        {
            File.WriteAllText(Path.Combine(root, file), $"<Project><Import Project=\"{Path.Combine(TestPaths.RepositoryRoot, imported)}\" /></Project>");
        }

        return copy;
    }

    private static Task<(int ExitCode, string Output)> DotNetAsync(string[] args) => ChildProcess.RunAsync("dotnet", args);
}
