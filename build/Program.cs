return await Slipway.Cli.SlipwayHost.RunAsync<Slipway.Build.SlipwayPipeline>(args);
