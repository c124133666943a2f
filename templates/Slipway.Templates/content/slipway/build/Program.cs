// The pipeline host: ./build.sh builds this project when its inputs change and runs it with your arguments.
return await Slipway.Cli.SlipwayHost.RunAsync<SlipwayApp.Build.SlipwayAppPipeline>(args);
