/**
 * The MQTT wire format as more than one message source needs it: variable byte integers, the size of the
 * PUBLISH packet that carries a message, strict UTF-8, and the TLS versions every listener accepts. MQTT
 * listeners, the HTTP API and later sources use these, so this package depends on nothing of the broker but
 * {@code routing}'s message; {@code routing} and the packages below it must not depend on it.
 */
package io.mqttgrid.wire;
