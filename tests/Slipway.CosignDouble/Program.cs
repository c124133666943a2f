// A TEST DOUBLE of cosign: see README.md. Not cosign; it signs nothing for real.
return Slipway.CosignDouble.CosignDoubleProgram.Run(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory());
