using Slipway.Delivery.Compose;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>Per-server weights that give the canary group its share of a backend shared with the stable servers.</summary>
public sealed class CanaryWeightsTests
{
    [Theory]
    [InlineData(10, 1, 1)]
    [InlineData(10, 2, 1)]
    [InlineData(10, 8, 1)]
    [InlineData(50, 2, 1)]
    [InlineData(1, 8, 4)]
    [InlineData(90, 1, 4)]
    [InlineData(90, 8, 1)]
    [InlineData(33, 3, 2)]
    public void The_canary_gets_its_percentage_within_half_a_percent(int percent, int stable, int canary)
    {
        var weights = CanaryWeights.For(percent, stable, canary);

        Assert.InRange(weights.Stable, 1, 256);
        Assert.InRange(weights.Canary, 1, 256);
        Assert.InRange(weights.Share(stable, canary), percent - 0.5, percent + 0.5);
    }

    [Fact]
    public void Zero_and_a_hundred_percent_take_one_side_out_entirely()
    {
        Assert.Equal(new CanaryWeights(1, 0), CanaryWeights.For(0, 2, 1));
        Assert.Equal(new CanaryWeights(0, 1), CanaryWeights.For(100, 2, 1));
        Assert.Equal(10, CanaryWeights.For(10, 2, 1).Share(2, 1), 1);
    }

    [Fact]
    public void At_the_extremes_the_weight_range_limits_the_precision_but_the_side_that_should_win_wins()
    {
        // 99 % to one canary beside eight stable servers needs a ratio of 792 : 1; 256 : 1 is the most HAProxy takes.
        var weights = CanaryWeights.For(99, 8, 1);

        Assert.Equal(new CanaryWeights(1, 256), weights);
        Assert.InRange(weights.Share(8, 1), 96.9, 97.0);
    }

    [Fact]
    public void A_split_needs_servers_on_both_sides()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryWeights.For(10, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryWeights.For(10, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryWeights.For(101, 1, 1));
    }
}
