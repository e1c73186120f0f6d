package io.mqttgrid.access;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A registered client of the namespace (Event Grid's client resource).
 *
 * @param name the resource name
 * @param authenticationName defaults to the resource name; compared case-insensitively when
 *     authenticating, used with its original case in topic templates
 * @param validationScheme how an X.509 certificate proves this client
 * @param allowedThumbprints SHA-256 thumbprints (upper-case hex) when the scheme is ThumbprintMatch
 * @param attributes {@code String}, {@code Long}, {@code Boolean} or {@code List<String>} values
 * @param passwordHash PBKDF2 hash for password authentication (extension), or null
 */
public record ClientResource(
    String name,
    String authenticationName,
    String description,
    boolean enabled,
    ValidationScheme validationScheme,
    List<String> allowedThumbprints,
    Map<String, Object> attributes,
    String passwordHash) {

  public ClientResource {
    allowedThumbprints = List.copyOf(allowedThumbprints);
    attributes = Map.copyOf(attributes);
  }

  /**
   * A thumbprint as operators write it (any case, with or without {@code :} separators and white
   * space) in the form {@code allowedThumbprints} holds and certificates are compared in:
   * upper-case hex (Event Grid's client resource).
   */
  public static String normalizeThumbprint(String thumbprint) {
    return thumbprint.replaceAll("[:\\s]", "").toUpperCase(Locale.ROOT);
  }

  /**
   * {@code clientCertificateAuthentication.validationScheme} (Event Grid's thumbprint
   * authentication and CA-chain authentication).
   */
  public enum ValidationScheme {
    SubjectMatchesAuthenticationName,
    DnsMatchesAuthenticationName,
    UriMatchesAuthenticationName,
    IpMatchesAuthenticationName,
    EmailMatchesAuthenticationName,
    ThumbprintMatch
  }
}
