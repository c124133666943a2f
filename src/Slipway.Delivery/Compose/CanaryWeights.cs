using Slipway.Tools.Haproxy;

namespace Slipway.Delivery.Compose;

/// <summary>
/// Per-server HAProxy weights that give a canary its share of traffic when stable and canary servers sit in one
/// backend: with <c>N</c> stable and <c>M</c> canary servers, <c>M·wc ÷ (M·wc + N·ws) = percent ÷ 100</c>, in whole
/// weights of 1 to 256 (HAProxy's range). Exact enough for the usual steps; at the extremes (99 % with eight stable
/// servers) the range itself limits the precision, and the share actually set is printed.
/// </summary>
/// <param name="Stable">The weight of each stable server.</param>
/// <param name="Canary">The weight of each canary server.</param>
internal sealed record CanaryWeights(int Stable, int Canary)
{
    /// <summary>The weights for <paramref name="percent"/> % to the canary.</summary>
    public static CanaryWeights For(int percent, int stableServers, int canaryServers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stableServers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canaryServers);
        if (percent == 0)
        {
            return new CanaryWeights(1, 0);
        }

        if (percent == 100)
        {
            return new CanaryWeights(0, 1);
        }

        // Canary : stable per-server weights = percent·N : (100 − percent)·M; the best pair of whole weights in 1..256.
        var best = new CanaryWeights(1, 1);
        var bestError = double.MaxValue;
        for (var stable = 1; stable <= HaproxyRuntimeApi.MaxWeight; stable++)
        {
            var canary = (int)Math.Clamp(Math.Round((double)stable * percent * stableServers / ((100.0 - percent) * canaryServers)), 1, HaproxyRuntimeApi.MaxWeight);
            var candidate = new CanaryWeights(stable, canary);
            var error = Math.Abs(candidate.Share(stableServers, canaryServers) - percent);
            if (error < bestError - 1e-9)
            {
                (best, bestError) = (candidate, error);
            }
        }

        return best;
    }

    /// <summary>The canary's share these weights give, in percent, for the given numbers of servers.</summary>
    public double Share(int stableServers, int canaryServers)
    {
        var total = ((double)Stable * stableServers) + ((double)Canary * canaryServers);
        return total == 0 ? 0 : 100.0 * Canary * canaryServers / total;
    }
}
