package io.mqttgrid.http;

/**
 * How long an HTTP listener waits for a client, and how many connections it keeps open: {@code
 * http.*} for the public HTTP and HTTPS ports (each port its own cap), {@code management.*} for the
 * management port.
 *
 * @param idleTimeoutSeconds a connection with nothing read or written for this long is closed
 *     (keep-alive included)
 * @param headerTimeoutSeconds a request's headers must be complete this long after its first byte
 *     (the first request of a connection: after the connection was accepted)
 * @param bodyTimeoutSeconds a request's body must be complete this long after its headers
 * @param maxConnections connections open at once on the port; more are closed as soon as they are
 *     accepted
 */
public record HttpConnectionLimits(
    int idleTimeoutSeconds, int headerTimeoutSeconds, int bodyTimeoutSeconds, int maxConnections) {}
