package io.mqttgrid.bridge;

import static io.mqttgrid.bridge.BridgeFile.LOCAL_ENDPOINT;

import io.mqttgrid.bridge.BridgeFile.Authentication;
import io.mqttgrid.bridge.BridgeFile.BridgeConfigException;
import io.mqttgrid.bridge.BridgeFile.Endpoint;
import io.mqttgrid.bridge.BridgeFile.Retain;
import java.nio.file.Path;

/** Reads one entry of {@code dataflowEndpoints}: a remote MQTT broker and how to reach it. */
final class EndpointParser {

  private EndpointParser() {}

  /** The endpoint {@code f} describes; a mistake throws, naming the field. */
  static Endpoint parse(DocumentFields f, Path baseDir) {
    f.only("name", "endpointType", "mqttSettings");
    String name = f.name("name");
    if (name.equals(LOCAL_ENDPOINT)) {
      throw new BridgeConfigException(
          f.path("name") + ": '" + LOCAL_ENDPOINT + "' is this broker, not a remote");
    }
    String type = f.string("endpointType", "Mqtt");
    if (!type.equals("Mqtt")) {
      throw new BridgeConfigException(
          f.path("endpointType") + ": only 'Mqtt' is supported, got '" + type + "'");
    }
    DocumentFields m = f.fields("mqttSettings", true);
    m.only(
        "host",
        "protocol",
        "webSocketPath",
        "mqttVersion",
        "clientIdPrefix",
        "keepAliveSeconds",
        "sessionExpirySeconds",
        "maxInflightMessages",
        "qos",
        "retain",
        "tls",
        "authentication",
        "cloudEventAttributes");
    String hostPort = m.string("host", null);
    if (hostPort == null || hostPort.isBlank()) {
      throw new BridgeConfigException(m.path("host") + ": required, as host:port");
    }
    int colon = hostPort.lastIndexOf(':');
    int port;
    try {
      port = colon <= 0 ? -1 : Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65_535) {
      throw new BridgeConfigException(
          m.path("host")
              + ": must be host:port with a port from 1 to 65535, got '"
              + hostPort
              + "'");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String protocol = m.string("protocol", "Mqtt");
    if (!protocol.equals("Mqtt") && !protocol.equals("WebSockets")) {
      throw new BridgeConfigException(
          m.path("protocol") + ": must be Mqtt (TCP) or WebSockets, got '" + protocol + "'");
    }
    String webSocketPath = null;
    if (protocol.equals("WebSockets")) {
      webSocketPath = m.string("webSocketPath", "/mqtt");
      if (!webSocketPath.startsWith("/")) {
        throw new BridgeConfigException(
            m.path("webSocketPath") + ": must start with '/', got '" + webSocketPath + "'");
      }
    } else if (m.has("webSocketPath")) {
      throw new BridgeConfigException(
          m.path("webSocketPath") + ": set, but protocol is not WebSockets");
    }
    String version = m.string("mqttVersion", "5");
    int mqttVersion =
        switch (version) {
          case "5", "5.0", "v5" -> 5;
          case "3.1.1", "3", "v3" -> 3;
          default ->
              throw new BridgeConfigException(
                  m.path("mqttVersion") + ": must be 5 or 3.1.1, got '" + version + "'");
        };
    String prefix = m.string("clientIdPrefix", "mqttgrid-bridge-");
    int keepAlive = (int) m.number("keepAliveSeconds", 60, 0, 65_535);
    long expiry = m.number("sessionExpirySeconds", 600, 1, 0xFFFF_FFFFL);
    if (mqttVersion == 3 && !m.has("sessionExpirySeconds")) {
      expiry = 600; // MQTT 3.1.1 has no expiry on the wire; the local session still uses it
    }
    int inflight = (int) m.number("maxInflightMessages", 100, 1, 65_535);
    int qos = (int) m.number("qos", 1, 0, 1);
    String retainText = m.string("retain", "Keep");
    Retain retain =
        switch (retainText) {
          case "Keep" -> Retain.KEEP;
          case "Never" -> Retain.NEVER;
          default ->
              throw new BridgeConfigException(
                  m.path("retain") + ": must be Keep or Never, got '" + retainText + "'");
        };
    String ceText = m.string("cloudEventAttributes", "Propagate");
    CloudEventAttributes.Mode cloudEvents =
        switch (ceText) {
          case "Propagate" -> CloudEventAttributes.Mode.PROPAGATE;
          case "CreateOrRemap" -> CloudEventAttributes.Mode.CREATE_OR_REMAP;
          default ->
              throw new BridgeConfigException(
                  m.path("cloudEventAttributes")
                      + ": must be Propagate or CreateOrRemap, got '"
                      + ceText
                      + "'");
        };
    DocumentFields tls = m.fields("tls", false);
    tls.only("mode", "trustedCaCertificateFile");
    String mode = tls.string("mode", "Disabled");
    if (!mode.equals("Enabled") && !mode.equals("Disabled")) {
      throw new BridgeConfigException(
          tls.path("mode") + ": must be Enabled or Disabled, got '" + mode + "'");
    }
    Path ca = tls.file("trustedCaCertificateFile", baseDir);
    if (ca != null && mode.equals("Disabled")) {
      throw new BridgeConfigException(
          tls.path("trustedCaCertificateFile") + ": set, but tls.mode is Disabled");
    }
    DocumentFields auth = m.fields("authentication", false);
    auth.only(
        "method",
        "usernamePasswordSettings",
        "x509CertificateSettings",
        "serviceAccountTokenSettings");
    String method = auth.string("method", Authentication.ANONYMOUS);
    Authentication authentication =
        switch (method) {
          case Authentication.ANONYMOUS ->
              new Authentication(method, null, null, null, null, null, null);
          case Authentication.USERNAME_PASSWORD -> {
            DocumentFields up = auth.fields("usernamePasswordSettings", true);
            up.only("username", "passwordFile");
            String user = up.string("username", null);
            if (user == null || user.isEmpty()) {
              throw new BridgeConfigException(up.path("username") + ": required");
            }
            Path pw = up.file("passwordFile", baseDir);
            if (pw == null) {
              throw new BridgeConfigException(
                  up.path("passwordFile")
                      + ": required (a file holding the password, so "
                      + "that it is not in the configuration)");
            }
            yield new Authentication(method, user, pw, null, null, null, null);
          }
          case Authentication.X509 -> {
            DocumentFields x = auth.fields("x509CertificateSettings", true);
            x.only("certificateFile", "keyFile");
            Path cert = x.file("certificateFile", baseDir);
            Path key = x.file("keyFile", baseDir);
            if (cert == null || key == null) {
              throw new BridgeConfigException(
                  x.path(cert == null ? "certificateFile" : "keyFile") + ": required");
            }
            if (mode.equals("Disabled")) {
              throw new BridgeConfigException(
                  auth.path("method") + ": X509Certificate needs tls.mode Enabled");
            }
            try {
              RemoteClient.clientKeys(cert, key);
            } catch (IllegalStateException e) {
              throw new BridgeConfigException(x.path("keyFile") + ": " + e.getMessage());
            }
            yield new Authentication(method, null, null, cert, key, null, null);
          }
          case Authentication.SERVICE_ACCOUNT_TOKEN -> {
            DocumentFields t = auth.fields("serviceAccountTokenSettings", true);
            t.only("tokenFile", "authenticationMethod");
            Path tokenFile = t.file("tokenFile", baseDir);
            if (tokenFile == null) {
              throw new BridgeConfigException(
                  t.path("tokenFile")
                      + ": required (the file the token is written to and renewed in)");
            }
            String tokenMethod =
                t.string("authenticationMethod", Authentication.DEFAULT_TOKEN_METHOD);
            if (tokenMethod.isEmpty()) {
              throw new BridgeConfigException(t.path("authenticationMethod") + ": empty");
            }
            yield new Authentication(method, null, null, null, null, tokenFile, tokenMethod);
          }
          default ->
              throw new BridgeConfigException(
                  auth.path("method")
                      + ": must be Anonymous, UsernamePassword, X509Certificate or "
                      + "ServiceAccountToken, got '"
                      + method
                      + "'");
        };
    return new Endpoint(
        name,
        host,
        port,
        mqttVersion,
        mode.equals("Enabled"),
        ca,
        authentication,
        prefix,
        keepAlive,
        expiry,
        inflight,
        qos,
        retain,
        webSocketPath,
        cloudEvents);
  }
}
