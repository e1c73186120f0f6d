package io.mqttgrid.events;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Where a webhook's requests go: its endpoint URL taken apart once (host, port, TLS, path and
 * query) rather than parsed again for every request, which cost the routing's event loop a URL
 * parse a request.
 */
record WebhookTarget(String host, int port, boolean ssl, String uri) {

  /** {@code endpointUrl} taken apart as Vert.x would for each request ({@code setAbsoluteURI}). */
  static WebhookTarget of(String endpointUrl) {
    RequestOptions parsed = new RequestOptions().setAbsoluteURI(endpointUrl);
    return new WebhookTarget(
        parsed.getHost(), parsed.getPort(), Boolean.TRUE.equals(parsed.isSsl()), parsed.getURI());
  }

  /** A new request's options to this target: each request has its own (and its own headers). */
  RequestOptions request(HttpMethod method) {
    return new RequestOptions()
        .setMethod(method)
        .setHost(host)
        .setPort(port)
        .setSsl(ssl)
        .setURI(uri);
  }
}
