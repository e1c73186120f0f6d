package io.mqttgrid.http;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.Permissions;
import io.mqttgrid.auth.BearerTokenAuthenticator;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.retain.RetainedStore;
import io.mqttgrid.wire.MqttLimits;
import java.util.function.Function;

/**
 * What the HTTP API of a node uses, shared by its HTTP event loops: the publish pipeline (with the
 * MQTT limits that HTTP publishes obey as well), the retained store, bearer-token authentication,
 * the permissions of an identity (Event Grid's authorization rules), and the per-identity publish
 * rate limit.
 */
public final class HttpServices {

  final PublishPipeline publishes;
  final RetainedStore retained;
  final MqttLimits limits;
  final BearerTokenAuthenticator authenticator;
  final Function<ClientIdentity, Permissions> permissions;
  final PublishRateLimiter publishRate;

  /** How long an HTTP publish waits for routing to confirm it (http.publish-timeout). */
  final long publishTimeoutMillis;

  /**
   * @param publishRate {@code http.publish-rate}: publishes per second per identity on this node, 0
   *     = no limit
   * @param publishTimeoutMillis {@code http.publish-timeout}
   */
  public HttpServices(
      PublishPipeline publishes,
      RetainedStore retained,
      BearerTokenAuthenticator authenticator,
      Function<ClientIdentity, Permissions> permissions,
      int publishRate,
      long publishTimeoutMillis) {
    this.publishes = publishes;
    this.retained = retained;
    this.limits = publishes.limits();
    this.authenticator = authenticator;
    this.permissions = permissions;
    this.publishRate = new PublishRateLimiter(publishRate);
    this.publishTimeoutMillis = publishTimeoutMillis;
  }
}
