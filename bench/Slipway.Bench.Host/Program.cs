return await Slipway.Cli.SlipwayHost.RunAsync<Slipway.Bench.Host.GeneratedPipeline>(args);
