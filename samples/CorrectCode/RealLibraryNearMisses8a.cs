namespace CorrectCode.RealLibraries8a;

/// <summary>A user record whose password hash an authentication provider may migrate.</summary>
public sealed class AccountRecord
{
    public string? PasswordHash { get; set; }
}

/// <summary>An authentication contract whose password change may be asynchronous in other providers.</summary>
public interface IPasswordProvider
{
    Task ChangePassword(AccountRecord account, string newPassword);
}

/// <summary>
/// The default provider hashes locally: its <c>ChangePassword</c> is synchronous and returns a completed task, so the
/// hash migration during a login calls it without awaiting (Jellyfin's <c>DefaultAuthenticationProvider</c>).
/// </summary>
public sealed class LocalPasswordProvider : IPasswordProvider
{
    public bool Authenticate(AccountRecord account, string password)
    {
        if (account.PasswordHash is null || !account.PasswordHash.StartsWith("v1:", StringComparison.Ordinal))
        {
            ChangePassword(account, password);
        }

        return string.Equals(account.PasswordHash, Hash(password), StringComparison.Ordinal);
    }

    public Task ChangePassword(AccountRecord account, string newPassword)
    {
        if (string.IsNullOrEmpty(newPassword))
        {
            account.PasswordHash = null;
            return Task.CompletedTask;
        }

        account.PasswordHash = Hash(newPassword);
        return Task.CompletedTask;
    }

    private static string Hash(string password) => "v1:" + password.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>An item whose derived state is recomputed after a metadata refresh.</summary>
public sealed class MediaEntry
{
    public string? SortName { get; set; }

    public string Name { get; set; } = string.Empty;
}

/// <summary>
/// A refresh service whose hook after a refresh is synchronous by default; derived services that need I/O override it
/// (Jellyfin's <c>MetadataService&lt;T&gt;.AfterMetadataRefresh</c>).
/// </summary>
public class EntryRefreshService
{
    public Task RefreshAsync(MediaEntry entry, CancellationToken cancellationToken) => AfterMetadataRefresh(entry, cancellationToken);

    protected virtual Task AfterMetadataRefresh(MediaEntry entry, CancellationToken cancellationToken)
    {
        entry.SortName ??= entry.Name;
        return Task.CompletedTask;
    }
}

/// <summary>An override that runs the synchronous base hook without awaiting it, then does its own work.</summary>
public sealed class AlbumEntryRefreshService : EntryRefreshService
{
    protected override Task AfterMetadataRefresh(MediaEntry entry, CancellationToken cancellationToken)
    {
        base.AfterMetadataRefresh(entry, cancellationToken);
        entry.Name = entry.Name.Trim();
        return Task.CompletedTask;
    }
}
