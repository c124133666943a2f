using Slipway.Tests.Support;
using Slipway.Tools.DotNet;

namespace Slipway.Tests.Tools;

public sealed class ProjectInputsTests
{
    [Fact]
    public void A_projects_inputs_are_its_directory_its_linked_sources_and_the_repository_build_files()
    {
        var files = ProjectInputs.Files(TestPaths.RepositoryRoot, "samples/Api/Api.csproj");

        Assert.Contains("samples/Api/Api.csproj", files);
        Assert.Contains("samples/Api/Dockerfile", files);
        Assert.Contains(files, f => f.StartsWith("samples/Api/Migrations/", StringComparison.Ordinal));
        Assert.Contains(files, f => f.StartsWith("samples/ServiceHosting/", StringComparison.Ordinal));
        Assert.Contains("Directory.Packages.props", files);
        Assert.DoesNotContain(files, f => f.StartsWith("samples/Worker/", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.Contains("/bin/", StringComparison.Ordinal) || f.Contains("/obj/", StringComparison.Ordinal));
    }

    [Fact]
    public void The_hash_changes_with_a_source_file_of_the_project_and_not_with_another_projects()
    {
        var root = TestPaths.NewTempDirectory();
        foreach (var (path, text) in new[]
        {
            ("a/A.csproj", "<Project><ItemGroup><Compile Include=\"../shared/**/*.cs\" /></ItemGroup></Project>"),
            ("a/Program.cs", "class A {}"),
            ("b/B.csproj", "<Project />"),
            ("b/Program.cs", "class B {}"),
            ("shared/Common.cs", "class C {}"),
        })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, path))!);
            File.WriteAllText(Path.Combine(root, path), text);
        }

        var before = ProjectInputs.Hash(root, "a/A.csproj", ["base sha256:1"]);
        File.WriteAllText(Path.Combine(root, "b/Program.cs"), "class B { int x; }");
        Assert.Equal(before, ProjectInputs.Hash(root, "a/A.csproj", ["base sha256:1"]));

        File.WriteAllText(Path.Combine(root, "shared/Common.cs"), "class C { int y; }");
        var afterShared = ProjectInputs.Hash(root, "a/A.csproj", ["base sha256:1"]);
        Assert.NotEqual(before, afterShared);

        Assert.NotEqual(afterShared, ProjectInputs.Hash(root, "a/A.csproj", ["base sha256:2"]));
    }
}
