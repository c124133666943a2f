using Microsoft.Extensions.Configuration;
using Slipway.Samples.ServiceHosting;

namespace Slipway.Samples.Api.Tests;

public class VersionInfoTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Environment_variables_win_over_the_stamped_version()
    {
        var info = VersionInfo.Resolve(Config(new() { ["APP_VERSION"] = "1.4.2", ["APP_COMMIT"] = "abc1234" }), "0.1.0+fff");
        Assert.Equal(new VersionInfo("1.4.2", "abc1234"), info);
    }

    [Fact]
    public void The_informational_version_is_split_into_version_and_commit()
    {
        Assert.Equal(new VersionInfo("0.1.0", "0123abcd"), VersionInfo.Resolve(Config([]), "0.1.0+0123abcd"));
    }

    [Fact]
    public void Missing_commit_is_reported_as_unknown()
    {
        Assert.Equal(new VersionInfo("0.1.0", "unknown"), VersionInfo.Resolve(Config([]), "0.1.0"));
        Assert.Equal(new VersionInfo("0.0.0", "unknown"), VersionInfo.Resolve(Config([]), null));
    }
}
