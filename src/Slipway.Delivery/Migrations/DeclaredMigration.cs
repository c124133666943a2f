namespace Slipway.Delivery.Migrations;

/// <summary>What a migration does to the release before it: keeps it working, or not.</summary>
public enum MigrationKind
{
    /// <summary>
    /// The previous release keeps working on the schema it leaves (a new nullable column, a new table, a new index):
    /// rolling back across it is safe.
    /// </summary>
    Expand,

    /// <summary>
    /// The previous release does not work on the schema or data it leaves (a dropped or renamed column, deleted rows):
    /// rolling back across it is refused unless forced.
    /// </summary>
    Contract,
}

/// <summary>One migration script of a release, as its leading comment declares it.</summary>
/// <param name="Id">The script's file name without <c>.sql</c>, e.g. <c>0002_add_orders_processed_by</c>.</param>
/// <param name="Kind">What it declares itself.</param>
public sealed record DeclaredMigration(string Id, MigrationKind Kind)
{
    /// <summary><c>0003_drop_legacy_status (contract)</c>.</summary>
    public override string ToString() => $"{Id} ({MigrationDeclarations.NameOf(Kind)})";
}
