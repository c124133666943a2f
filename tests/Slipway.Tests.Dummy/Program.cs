using System.Diagnostics;

// A small executable the process runner is tested against. Each command exercises one contract:
// arguments arrive unquoted, both streams are captured, exit codes propagate, and a cancelled run
// leaves no child behind.
switch (args.FirstOrDefault())
{
    case "echo":
        Console.WriteLine(string.Join('\n', args.Skip(1)));
        return 0;
    case "stderr":
        Console.Error.WriteLine(string.Join(' ', args.Skip(1)));
        return 0;
    case "stdin":
        // Upper-cases its standard input, so a test sees the input arrived and was closed (ReadToEnd returns).
        Console.Write(Console.In.ReadToEnd().ToUpperInvariant());
        return 0;
    case "env":
        Console.WriteLine(Environment.GetEnvironmentVariable(args[1]) ?? "<unset>");
        return 0;
    case "exit":
        Console.Error.WriteLine($"exiting with {args[1]}");
        for (var i = 1; i <= 30; i++)
        {
            Console.Error.WriteLine($"stderr line {i}");
        }

        return int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
    case "sleep":
        Thread.Sleep(TimeSpan.FromSeconds(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture)));
        return 0;
    case "spawn-sleeper":
        // Starts a long-sleeping grandchild, writes its PID, and waits: killing only this process
        // would leave the grandchild running.
        using (var child = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!)
        {
            File.WriteAllText(args[1], child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            child.WaitForExit();
        }

        return 0;
    case "flaky":
        // Fails with a transient-looking error until it has been called args[2] times, then succeeds;
        // args[3] (optional) replaces the error message.
        var count = (File.Exists(args[1]) ? int.Parse(File.ReadAllText(args[1]), System.Globalization.CultureInfo.InvariantCulture) : 0) + 1;
        File.WriteAllText(args[1], count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (count <= int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture))
        {
            Console.Error.WriteLine(args.Length > 3 ? args[3] : "dial tcp 127.0.0.1:5000: connect: connection refused");
            return 1;
        }

        Console.WriteLine($"succeeded on call {count}");
        return 0;
    case "pipeline":
        return await Slipway.Cli.SlipwayHost.RunAsync<Slipway.Tests.Dummy.SignalTestPipeline>(args[1..]);
    default:
        Console.Error.WriteLine("usage: dummy echo|stderr|env|exit|sleep|spawn-sleeper|pipeline ...");
        return 64;
}
