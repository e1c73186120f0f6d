package io.mqttgrid.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.listFeeder;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.mqttgrid.load.gatling.MqttDsl.mqtt;

import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.mqttgrid.load.auth.JwtSigner;
import io.mqttgrid.load.gatling.MqttConnect;
import io.mqttgrid.load.gatling.MqttProtocolBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Connect storm with authentication: the same devices as {@link MqttConnectStormSimulation}, each proving who it
 * is by a TLS client certificate ({@code auth=x509}), a CUSTOM-JWT token ({@code auth=jwt}) or nothing
 * ({@code auth=none}, anonymous), over TCP or TLS as {@code mqtt.url} says ({@code ssl://127.0.0.1:8883}).
 *
 * <p>Two shapes. By default an open storm: {@code users} connect within {@code ramp} seconds, hold for
 * {@code hold} seconds, disconnect. With {@code concurrent=N}: N devices at a time connect and disconnect back to
 * back for {@code duration} seconds (a new one starts as one ends), so the connect rate is what the broker and
 * load generator manage rather than what was offered.
 *
 * <p>Options ({@code -D}): {@code tls.trust} PEM file the server certificate is checked against;
 * {@code x509.dir}, a directory of {@code NAME.crt} + {@code NAME.key} (PKCS#8) pairs, NAME being the registered
 * client's authentication name (sent as Username), handed to the devices in turn; {@code jwt.key} (the issuer's
 * RS256 private key, PKCS#8 PEM), {@code jwt.issuer}, {@code jwt.audience} (the namespace hostname),
 * {@code jwt.kid}, {@code jwt.subjects} (tokens signed before the run, for subjects {@code bench-jwt-0..n-1},
 * handed out in turn; 1000).
 */
public class AuthConnectStormSimulation extends Simulation {

  private final String auth = LoadSettings.text("auth", null, "none");
  private final int users = LoadSettings.integer("users", 2000);
  private final Duration ramp = LoadSettings.seconds("ramp", 10);
  private final int concurrent = LoadSettings.integer("concurrent", 0);
  private final Duration duration = LoadSettings.seconds("duration", 20);
  private final Duration hold = LoadSettings.seconds("hold", concurrent > 0 ? 0 : 20);

  {
    MqttConnect connect = mqtt("connect").connect().keepAlive(120);
    List<Map<String, Object>> identities = switch (auth) {
      case "none" -> List.of();
      case "x509" -> {
        connect = connect.credentials("#{authName}", null).clientCertificate("#{certFile}", "#{keyFile}");
        yield certificates(Path.of(LoadSettings.text("x509.dir", null, "")));
      }
      case "jwt" -> {
        connect = connect.customJwt("#{token}");
        yield tokens();
      }
      default -> throw new IllegalArgumentException("auth must be none, x509 or jwt, not " + auth);
    };
    ScenarioBuilder storm = scenario("connect storm (" + auth + ")");
    if (!identities.isEmpty()) {
      storm = storm.feed(listFeeder(identities).circular());
    }
    storm = storm.exec(connect).exitHereIfFailed();
    if (!hold.isZero()) {
      storm = storm.pause(hold);
    }
    storm = storm.exec(mqtt("disconnect").disconnect());
    PopulationBuilder population = concurrent > 0
        ? storm.injectClosed(constantConcurrentUsers(concurrent).during(duration))
        : storm.injectOpen(rampUsers(users).during(ramp));
    MqttProtocolBuilder protocol = mqtt.url(LoadSettings.mqttUrl());
    String trust = LoadSettings.text("tls.trust", "MQTTGRID_LOAD_TLS_TRUST", "");
    if (!trust.isEmpty()) {
      protocol = protocol.trustCertificate(trust);
    }
    setUp(population).protocols(protocol);
  }

  private static List<Map<String, Object>> certificates(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("auth=x509 needs -Dx509.dir=<directory of NAME.crt and NAME.key>");
    }
    List<Map<String, Object>> records = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path cert : files.filter(f -> f.getFileName().toString().endsWith(".crt")).sorted().toList()) {
        String name = cert.getFileName().toString().replaceFirst("\\.crt$", "");
        Path key = dir.resolve(name + ".key");
        if (Files.exists(key)) {
          records.add(Map.of("authName", name, "certFile", cert.toString(), "keyFile", key.toString()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (records.isEmpty()) {
      throw new IllegalArgumentException(dir + " holds no NAME.crt with a NAME.key");
    }
    return records;
  }

  // signed before the run, so that signing (about a millisecond of RSA each) does not compete with the broker
  private static List<Map<String, Object>> tokens() {
    try {
      String kid = LoadSettings.text("jwt.kid", null, "");
      JwtSigner signer = new JwtSigner(Path.of(LoadSettings.text("jwt.key", null, "jwt.key")),
          LoadSettings.text("jwt.issuer", null, "https://issuer.example"),
          LoadSettings.text("jwt.audience", null, "mqtt.example.com"), 3600, kid.isEmpty() ? null : kid);
      int subjects = LoadSettings.integer("jwt.subjects", 1000);
      List<Map<String, Object>> records = new ArrayList<>(subjects);
      for (int i = 0; i < subjects; i++) {
        records.add(Map.of("token", signer.sign("bench-jwt-" + i)));
      }
      return records;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException("auth=jwt needs -Djwt.key=<RS256 private key, PKCS#8 PEM>: "
          + e.getMessage(), e);
    }
  }
}
