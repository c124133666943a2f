using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Delivery.Compose;

/// <summary>
/// The certificate the Compose proxy serves HTTPS with. <c>self_signed</c>: a certificate authority and a server
/// certificate Slipway generates once per environment into its state directory (<c>proxy/tls/</c>) and issues again
/// before they expire (<see cref="RenewBefore"/>); clients trust <see cref="CaPathIn"/>. <c>provided</c>: the chain and
/// key of <c>security.tls_certificate</c> and <c>security.tls_key</c>. Either way the proxy reads one PEM
/// (<see cref="ProxyPemPathIn"/>): chain then key. Key files are mode 0600 and their content is never printed.
/// </summary>
public static class ProxyCertificate
{
    /// <summary>How long a generated server certificate is valid.</summary>
    public static readonly TimeSpan ServerValidity = TimeSpan.FromDays(90);

    /// <summary>How long a generated certificate authority is valid.</summary>
    public static readonly TimeSpan AuthorityValidity = TimeSpan.FromDays(5 * 365);

    /// <summary>A deploy issues a generated certificate again when less than this is left of it (the authority likewise).</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    /// <summary>The generated certificate authority's certificate (PEM): what clients of a <c>self_signed</c> environment trust.</summary>
    public static string CaPathIn(string stateDirectory) => Path.Combine(TlsDirectory(stateDirectory), "ca.crt");

    /// <summary>The PEM the proxy reads: the server certificate, its chain, and its key.</summary>
    public static string ProxyPemPathIn(string stateDirectory) => Path.Combine(TlsDirectory(stateDirectory), "proxy.pem");

    private static string CaKeyPathIn(string stateDirectory) => Path.Combine(TlsDirectory(stateDirectory), "ca.key");

    private static string ServerCertificatePathIn(string stateDirectory) => Path.Combine(TlsDirectory(stateDirectory), "server.crt");

    private static string TlsDirectory(string stateDirectory) => Path.Combine(stateDirectory, "proxy", "tls");

    /// <summary>The names a generated server certificate is for: <c>ingress.host</c> and the loopback names the proxy is published on.</summary>
    public static IReadOnlyList<string> NamesOf(DeployEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return [.. new[] { environment.Ingress?.Host, "localhost", "127.0.0.1", "::1" }.OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>
    /// Makes sure the environment's generated authority and server certificate exist, are for <paramref name="names"/>,
    /// and have more than <see cref="RenewBefore"/> left at <paramref name="now"/>; issues what is missing or due, and
    /// writes the proxy's PEM. Returns what it did, for the deploy's log (no key material).
    /// </summary>
    public static string EnsureSelfSigned(string stateDirectory, string environmentName, IReadOnlyList<string> names, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        ArgumentNullException.ThrowIfNull(names);
        Directory.CreateDirectory(TlsDirectory(stateDirectory));
        var caPath = CaPathIn(stateDirectory);
        var caKeyPath = CaKeyPathIn(stateDirectory);
        var serverPath = ServerCertificatePathIn(stateDirectory);
        var pemPath = ProxyPemPathIn(stateDirectory);

        using var existingCa = File.Exists(caPath) && File.Exists(caKeyPath) ? TryLoadWithKey(caPath, caKeyPath) : null;
        var caFresh = existingCa is not null && existingCa.NotAfter.ToUniversalTime() - now.UtcDateTime > RenewBefore;
        using var ca = caFresh ? null : IssueAuthority(environmentName, now);
        var authority = ca ?? existingCa!;
        if (ca is not null)
        {
            WritePrivate(caKeyPath, OwnerOnly, ExportKey(ca));
            File.WriteAllText(caPath, ca.ExportCertificatePem() + "\n");
        }

        using var existingServer = File.Exists(serverPath) && File.Exists(pemPath) ? X509Certificate2.CreateFromPem(File.ReadAllText(serverPath)) : null;
        var serverFresh = ca is null && existingServer is not null
            && existingServer.NotAfter.ToUniversalTime() - now.UtcDateTime > RenewBefore
            && existingServer.Issuer == authority.Subject
            && NamesIn(existingServer).SetEquals(names);
        if (serverFresh)
        {
            return $"the proxy's certificate of {environmentName} is valid until {existingServer!.NotAfter.ToUniversalTime():yyyy-MM-dd} (issued again {RenewBefore.TotalDays:0} days before)";
        }

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var server = IssueServer(authority, serverKey, environmentName, names, now);
        File.WriteAllText(serverPath, server.ExportCertificatePem() + "\n");
        WritePrivate(pemPath, ProxyReadable, server.ExportCertificatePem() + "\n" + authority.ExportCertificatePem() + "\n" + serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        return (ca is null ? string.Empty : $"generated a certificate authority for {environmentName} (valid until {ca.NotAfter.ToUniversalTime():yyyy-MM-dd}); ")
            + $"issued the proxy's certificate for {string.Join(", ", names)}, valid until {server.NotAfter.ToUniversalTime():yyyy-MM-dd}";
    }

    /// <summary>Writes the proxy's PEM from <c>provided</c> secrets: the chain, then the key (mode 0600).</summary>
    /// <exception cref="InvalidOperationException">The values are not a PEM certificate and a PEM private key; the message names the keys, never the values.</exception>
    public static string WriteProvided(string stateDirectory, string environmentFile, Secret certificateChain, Secret key)
    {
        ArgumentNullException.ThrowIfNull(certificateChain);
        ArgumentNullException.ThrowIfNull(key);
        var chain = certificateChain.Reveal().Trim();
        var keyPem = key.Reveal().Trim();
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(chain, keyPem);
        }
        catch (CryptographicException)
        {
            throw new InvalidOperationException($"{environmentFile}: security.tls_certificate and security.tls_key must be a PEM certificate chain and the PEM private key of its first certificate; they are not (their values are not shown).");
        }

        using (certificate)
        {
            Directory.CreateDirectory(TlsDirectory(stateDirectory));
            WritePrivate(ProxyPemPathIn(stateDirectory), ProxyReadable, chain + "\n" + keyPem + "\n");
            return $"the proxy serves the provided certificate for {certificate.GetNameInfo(X509NameType.DnsName, false)}, valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}";
        }
    }

    /// <summary>When the proxy's current certificate expires, or null when none has been written.</summary>
    public static DateTimeOffset? ExpiryIn(string stateDirectory)
    {
        var pem = ProxyPemPathIn(stateDirectory);
        if (!File.Exists(pem))
        {
            return null;
        }

        var text = File.ReadAllText(pem);
        var end = text.IndexOf("-----END CERTIFICATE-----", StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }

        using var certificate = X509Certificate2.CreateFromPem(text.AsSpan(0, end + "-----END CERTIFICATE-----".Length));
        return new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
    }

    /// <summary>
    /// What Doctor says of an environment's proxy certificate at <paramref name="now"/>: when it expires and, for a
    /// <c>self_signed</c> one, from when a deploy issues it again (<see cref="RenewBefore"/>); an expired or due one says what
    /// to do. <paramref name="deployTarget"/> is the target that deploys the environment (e.g. DeployStaging).
    /// </summary>
    public static string Describe(string environmentName, TlsMode mode, string stateDirectory, string deployTarget, DateTimeOffset now)
    {
        var kind = mode == TlsMode.SelfSigned ? "self_signed" : "provided";
        var what = $"TLS of {environmentName} ({kind})";
        if (ExpiryIn(stateDirectory) is not { } expiry)
        {
            return $"{what}: no certificate yet; {deployTarget} {(mode == TlsMode.SelfSigned ? "generates one" : "writes it from security.tls_certificate")}.";
        }

        var left = expiry - now;
        var until = $"{expiry.UtcDateTime:yyyy-MM-dd HH:mm}Z";
        if (left <= TimeSpan.Zero)
        {
            return mode == TlsMode.SelfSigned
                ? $"{what}: the proxy's certificate EXPIRED at {until}: run {deployTarget}, which issues it again."
                : $"{what}: the proxy's certificate EXPIRED at {until}: renew the certificate behind security.tls_certificate and security.tls_key, then run {deployTarget}.";
        }

        var days = $"{Math.Floor(left.TotalDays).ToString("0", System.Globalization.CultureInfo.InvariantCulture)} days left";
        if (mode == TlsMode.Provided)
        {
            return left <= RenewBefore
                ? $"{what}: the proxy's certificate expires at {until} ({days}): renew the certificate behind security.tls_certificate and security.tls_key, then run {deployTarget}."
                : $"{what}: the proxy's certificate is valid until {until} ({days}).";
        }

        return left <= RenewBefore
            ? $"{what}: the proxy's certificate expires at {until} ({days}): the next {deployTarget} issues it again."
            : $"{what}: the proxy's certificate is valid until {until} ({days}); a deploy issues it again from {(expiry - RenewBefore).UtcDateTime:yyyy-MM-dd}.";
    }

    /// <summary>
    /// A server-certificate check that accepts exactly the chains that end in the authority at <paramref name="caPath"/>
    /// (read when first used), with the name checked as usual; the system's trusted authorities play no part.
    /// </summary>
    public static System.Net.Security.RemoteCertificateValidationCallback TrustOnly(string caPath)
    {
        X509Certificate2? authority = null;
        return (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            authority ??= X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var server = new X509Certificate2(certificate);
            return chain.Build(server);
        };
    }

    private static X509Certificate2 IssueAuthority(string environmentName, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Slipway {environmentName} proxy CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.Add(AuthorityValidity));
    }

    private static X509Certificate2 IssueServer(X509Certificate2 authority, ECDsa key, string environmentName, IReadOnlyList<string> names, DateTimeOffset now)
    {
        var request = new CertificateRequest($"CN={names[0]}, O=Slipway {environmentName}", key, HashAlgorithmName.SHA256);
        var alternativeNames = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address))
            {
                alternativeNames.AddIpAddress(address);
            }
            else
            {
                alternativeNames.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(alternativeNames.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var notAfter = now.Add(ServerValidity) < authority.NotAfter ? now.Add(ServerValidity) : new DateTimeOffset(authority.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        return request.Create(authority, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
    }

    private static HashSet<string> NamesIn(X509Certificate2 certificate)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var extension in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            names.UnionWith(extension.EnumerateDnsNames());
            names.UnionWith(extension.EnumerateIPAddresses().Select(a => a.ToString()));
        }

        return names;
    }

    private static X509Certificate2? TryLoadWithKey(string certificatePath, string keyPath)
    {
        try
        {
            return X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath), File.ReadAllText(keyPath));
        }
        catch (CryptographicException)
        {
            // A damaged authority is replaced, as an expired one is.
            return null;
        }
    }

    private static string ExportKey(X509Certificate2 certificate) =>
        (certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the generated authority has no private key")).ExportPkcs8PrivateKeyPem() + "\n";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// The proxy's PEM: the proxy runs unprivileged in its container and reads it through its group (the deployer's,
    /// which <see cref="ProxyOverlay"/> adds to the proxy's container); nobody else can.
    /// </summary>
    private const UnixFileMode ProxyReadable = OwnerOnly | UnixFileMode.GroupRead;

    /// <summary>Writes a file that holds a private key with <paramref name="mode"/>, set before any byte is written.</summary>
    private static void WritePrivate(string path, UnixFileMode mode, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(new UTF8Encoding(false).GetBytes(content));
        }

        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode applies to new files only; an existing one keeps its mode otherwise.
            File.SetUnixFileMode(path, mode);
        }
    }
}
