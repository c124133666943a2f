using Slipway.Processes;

namespace Slipway.Tests.Processes;

public sealed class ToolInvocationTests
{
    [Fact]
    public void Every_With_returns_a_copy_and_leaves_the_original_unchanged()
    {
        var original = ToolInvocation.Of("docker").WithArguments("build");
        var changed = original.WithArguments("--pull").WithEnvironment("DOCKER_BUILDKIT", "1").WithWorkingDirectory("/src");

        Assert.Equal("docker build", original.ToDisplayString());
        Assert.Equal("DOCKER_BUILDKIT=1 docker build --pull", changed.ToDisplayString());
        Assert.Equal("/src", changed.WorkingDirectory);
        Assert.Null(original.WorkingDirectory);
    }

    [Fact]
    public void Secrets_print_masked_in_arguments_and_environment_but_reveal_to_the_process()
    {
        var password = new Secret("p@ss word-1b2c", "--registry-password");
        var invocation = ToolInvocation.Of("docker").WithArguments("login", "--password", password).WithEnvironment("TOKEN", password);

        Assert.Equal("TOKEN=*** docker login --password ***", invocation.ToDisplayString());
        Assert.Equal("p@ss word-1b2c", invocation.Arguments[2].Reveal());
        Assert.Equal([password], invocation.Secrets.Distinct());
    }

    [Fact]
    public void A_deferred_value_prints_as_a_named_placeholder_until_its_producer_sets_it()
    {
        var digest = new Deferred("digest of api", "Publish");
        var reference = new CompositeValue(["127.0.0.1:5000/api@", digest]);
        var invocation = ToolInvocation.Of("cosign").WithArguments("sign", reference);

        Assert.Equal("cosign sign '127.0.0.1:5000/api@<digest of api from Publish>'", invocation.ToDisplayString());
        var ex = Assert.Throws<InvalidOperationException>(() => invocation.Arguments[1].Reveal());
        Assert.Contains("produced by target 'Publish'", ex.Message, StringComparison.Ordinal);

        digest.Set("sha256:abc");
        Assert.Equal("cosign sign 127.0.0.1:5000/api@sha256:abc", invocation.ToDisplayString());
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("two words", "'two words'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    [InlineData("key=value", "key=value")]
    public void Display_quoting_is_POSIX_shell_quoting(string token, string expected) =>
        Assert.Equal(expected, ToolInvocation.Quote(token));

    [Fact]
    public void Multi_line_secrets_are_scrubbed_line_by_line()
    {
        _ = new Secret("-----BEGIN KEY-----\nline-one-9d8e7f\nline-two-6c5b4a\n-----END KEY-----", "file:key.pem");

        Assert.Equal("got *** and ***", Redaction.Scrub("got line-one-9d8e7f and line-two-6c5b4a"));
    }
}

public sealed class RedactionTests
{
    [Fact]
    public void Values_too_short_to_be_secrets_are_not_scrubbed_so_output_stays_readable()
    {
        _ = new Secret("q", "--tiny");

        Assert.Equal("quick question", Redaction.Scrub("quick question"));
        Assert.Equal("***", new Secret("q").ToString());
    }
}
