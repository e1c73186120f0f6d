package io.mqttgrid.access;

import java.util.List;

/**
 * Namespace-wide settings (Event Grid's namespace resource, {@code topicSpacesConfiguration}), with
 * the extensions this broker adds where Azure has a service of its own (Entra ID, Azure RBAC,
 * password hashes).
 *
 * @param hostname the MQTT host name JWT audiences must name (Event Grid's custom JWT
 *     authentication)
 * @param alternativeAuthenticationNameSources certificate fields tried in order when CONNECT has no
 *     Username
 * @param customJwt {@code CUSTOM-JWT} issuer, or null when not configured
 * @param oauth2Jwt {@code OAUTH2-JWT} (Entra-style) issuer, or null when not configured
 * @param webhook webhook authentication, or null when not configured
 * @param passwordAuthentication whether registry clients may authenticate with a password hash
 * @param routing routing of accepted messages as CloudEvents (Event Grid's message routing)
 */
public record NamespaceSettings(
    String hostname,
    int maximumSessionExpiryInHours,
    int maximumClientSessionsPerAuthenticationName,
    List<AlternativeNameSource> alternativeAuthenticationNameSources,
    JwtIssuer customJwt,
    JwtIssuer oauth2Jwt,
    Webhook webhook,
    boolean passwordAuthentication,
    RoutingSettings routing) {

  public static final NamespaceSettings DEFAULTS =
      new NamespaceSettings(
          "localhost", 1, 1, List.of(), null, null, null, false, RoutingSettings.NONE);

  public NamespaceSettings {
    alternativeAuthenticationNameSources = List.copyOf(alternativeAuthenticationNameSources);
    routing = routing == null ? RoutingSettings.NONE : routing;
  }

  /**
   * Certificate fields that can supply an authentication name (Event Grid's alternative
   * authentication names).
   */
  public enum AlternativeNameSource {
    ClientCertificateSubject,
    ClientCertificateDns,
    ClientCertificateUri,
    ClientCertificateIp,
    ClientCertificateEmail
  }

  /**
   * A trusted token issuer.
   *
   * @param tokenIssuer the exact {@code iss} claim
   * @param audiences accepted {@code aud} values; empty means the namespace host name (custom JWT)
   *     or {@code https://eventgrid.azure.net} with and without the slash (OAUTH2-JWT)
   * @param certificates signing keys as PEM certificates or public keys, with an optional {@code
   *     kid}
   * @param jwksUrl a JWKS document to fetch keys from (may be combined with certificates), or null
   */
  public record JwtIssuer(
      String tokenIssuer,
      List<String> audiences,
      List<IssuerCertificate> certificates,
      String jwksUrl) {
    public JwtIssuer {
      audiences = List.copyOf(audiences);
      certificates = List.copyOf(certificates);
    }
  }

  /**
   * @param kid key id matched against the token header's {@code kid}; null matches any token
   */
  public record IssuerCertificate(String kid, String encodedCertificate) {}

  /**
   * @param endpointUrl where the decision request is POSTed (Event Grid's webhook authentication)
   * @param bearerToken sent as {@code Authorization: Bearer}, standing in for the namespace's
   *     managed identity token; null sends none
   * @param timeoutMillis a webhook slower than this fails the CONNECT with 0x88
   * @param cacheTtlSeconds how long an allow decision is reused for the same request; 0 disables
   *     the cache
   */
  public record Webhook(
      String endpointUrl, String bearerToken, long timeoutMillis, long cacheTtlSeconds) {}
}
