package io.mqttgrid.access;

import java.util.Map;

/**
 * Who a connected client (or an HTTP publisher) is, as every authentication method reports it (spec
 * section 3.1): the authentication name, the attributes that client-group queries and topic
 * templates read, and how the identity was established.
 *
 * @param attributes attribute values: {@code String}, {@code Long}, {@code Boolean} or {@code
 *     List<String>} (Event Grid's client resource); never null
 * @param expiresAtMillis when the credential stops being valid (epoch millis), 0 when it does not
 *     expire
 */
public record ClientIdentity(
    String authenticationName,
    Map<String, Object> attributes,
    Authority authority,
    long expiresAtMillis) {

  /**
   * Which authority vouched for the identity; decides how it is authorized (Event Grid's Entra ID
   * JWT authentication and access control).
   */
  public enum Authority {
    /** No credentials, let in by {@code auth.anonymous}: not subject to the namespace model. */
    ANONYMOUS,
    /** A client resource of the registry, proven by X.509 certificate or password. */
    REGISTRY,
    /** A token of the namespace's custom JWT issuer ({@code CUSTOM-JWT}). */
    CUSTOM_JWT,
    /**
     * An Entra-style token ({@code OAUTH2-JWT}): authorized by role assignments as well as
     * bindings.
     */
    ENTRA,
    /** The namespace's authentication webhook. */
    WEBHOOK
  }

  public ClientIdentity {
    attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
  }

  public static ClientIdentity anonymous(String authenticationName) {
    return new ClientIdentity(authenticationName, Map.of(), Authority.ANONYMOUS, 0);
  }
}
