package io.mqttgrid.events;

import io.mqttgrid.wire.ReasonCode;

/**
 * Why a session's connection ended, as the {@code disconnectionReason} of a {@code
 * Microsoft.EventGrid.MQTTClientSessionDisconnected} event (Event Grid's
 * KnownEventGridMqttClientDisconnectionReason). {@link #wireName()} is the value in the event.
 */
public enum DisconnectionReason {
  /** Credentials expired, re-authentication refused, the client disabled, deleted or changed. */
  CLIENT_AUTHENTICATION_ERROR("ClientAuthenticationError"),
  /** A subscription the client holds is no longer granted (topic space, binding, group change). */
  CLIENT_AUTHORIZATION_ERROR("ClientAuthorizationError"),
  /** The client broke the protocol or used what the broker does not support. */
  CLIENT_ERROR("ClientError"),
  /** A DISCONNECT packet (or, over WebSocket, a DISCONNECT before the close frame). */
  CLIENT_INITIATED_DISCONNECT("ClientInitiatedDisconnect"),
  /** The socket closed or failed without a DISCONNECT, or the keep-alive ran out. */
  CONNECTION_LOST("ConnectionLost"),
  IP_FORBIDDEN("IpForbidden"),
  /** A rate or count limit of the broker (message rate, Receive Maximum of the server). */
  QUOTA_EXCEEDED("QuotaExceeded"),
  SERVER_ERROR("ServerError"),
  /** The node is shutting down. */
  SERVER_INITIATED_DISCONNECT("ServerInitiatedDisconnect"),
  /** The session's queue broke its bound under the terminate-session overflow policy. */
  SESSION_OVERFLOW("SessionOverflow"),
  /** A new connection with the same client id took the session, on this node or another. */
  SESSION_TAKEN_OVER("SessionTakenOver");

  private final String wireName;

  DisconnectionReason(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /**
   * The reason of a connection the server ends with the MQTT reason code {@code code} (sent as
   * DISCONNECT to an MQTT 5 client); Not Authorized reads as an authentication error, the caller
   * says when it is about authorization.
   */
  public static DisconnectionReason of(ReasonCode code) {
    return switch (code) {
      case SESSION_TAKEN_OVER -> SESSION_TAKEN_OVER;
      case SERVER_SHUTTING_DOWN, ADMINISTRATIVE_ACTION, USE_ANOTHER_SERVER, SERVER_MOVED ->
          SERVER_INITIATED_DISCONNECT;
      case KEEP_ALIVE_TIMEOUT -> CONNECTION_LOST;
      case NOT_AUTHORIZED, BAD_USER_NAME_OR_PASSWORD, BAD_AUTHENTICATION_METHOD ->
          CLIENT_AUTHENTICATION_ERROR;
      case QUOTA_EXCEEDED, MESSAGE_RATE_TOO_HIGH, CONNECTION_RATE_EXCEEDED -> QUOTA_EXCEEDED;
      case BANNED -> IP_FORBIDDEN;
      case UNSPECIFIED_ERROR, IMPLEMENTATION_SPECIFIC_ERROR, SERVER_UNAVAILABLE, SERVER_BUSY ->
          SERVER_ERROR;
      default -> CLIENT_ERROR;
    };
  }
}
