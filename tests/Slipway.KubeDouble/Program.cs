// A TEST DOUBLE of helm and kubectl: see README.md. Not Helm, not kubectl; it reaches no cluster.
return Slipway.KubeDouble.KubeDoubleProgram.Run(args, Console.In, Console.Out, Console.Error, Environment.GetEnvironmentVariable);
