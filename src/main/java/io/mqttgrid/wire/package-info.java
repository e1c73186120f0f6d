/**
 * The MQTT wire format as more than one message source needs it: variable byte integers, the size
 * of the PUBLISH packet that carries a message, strict UTF-8, the TLS versions every listener
 * accepts, the MQTT 5 reason codes and the protocol limits a node enforces. MQTT listeners, the
 * HTTP API and later sources use these, so this package depends on nothing of the broker but {@code
 * routing}'s message; {@code routing} and the packages below it must not depend on it.
 */
package io.mqttgrid.wire;
