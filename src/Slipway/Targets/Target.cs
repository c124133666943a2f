namespace Slipway.Targets;

/// <summary>
/// A target is a member of a <see cref="Pipeline"/>: <c>public Target Build =&gt; _ =&gt; _.Executes(...)</c>.
/// Dependencies refer to other members (<c>.DependsOn(Build)</c>), so renames are safe.
/// </summary>
/// <param name="definition">The definition to configure.</param>
/// <returns>The configured definition.</returns>
public delegate TargetDefinition Target(TargetDefinition definition);
