package io.mqttgrid;

import io.mqttgrid.BrokerConfig.ConfigException;
import io.mqttgrid.persistence.PersistenceSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The {@code persistence.*} keys of a {@link BrokerConfig}, read into {@link PersistenceSettings}.
 */
final class PersistenceConfig {

  private PersistenceConfig() {}

  /**
   * {@code persistence.store}: auto (embedded for a single node in local mode, else none), none,
   * embedded (local mode only: one node's file) or postgres.
   */
  static PersistenceSettings read(BrokerConfig config) {
    String store = config.string("persistence.store").toLowerCase(Locale.ROOT);
    boolean local = config.clusterMode.equals("local");
    PersistenceSettings.Kind kind =
        switch (store) {
          case "auto" -> local ? PersistenceSettings.Kind.EMBEDDED : null;
          case "none" -> null;
          case "embedded" -> PersistenceSettings.Kind.EMBEDDED;
          case "postgres" -> PersistenceSettings.Kind.POSTGRES;
          default ->
              throw new ConfigException(
                  "persistence.store ("
                      + BrokerConfig.envName("persistence.store")
                      + ") must be auto, none, embedded or postgres, got '"
                      + store
                      + "'");
        };
    int poolSize = config.intValue("persistence.postgres.pool-size", 2, 1000);
    Duration timeout = Duration.ofSeconds(config.intValue("persistence.timeout", 1, 600));
    Duration leaseTimeout =
        Duration.ofSeconds(config.intValue("persistence.lease-timeout", 3, 3600));
    Duration queueWriteBehind =
        writeBehindWindow(
            config, "persistence.session-queue-write", "persistence.session-queue-write-behind-ms");
    Duration recordWriteBehind =
        writeBehindWindow(
            config,
            "persistence.session-record-write",
            "persistence.session-record-write-behind-ms");
    if (kind == null) {
      return null;
    }
    if (kind == PersistenceSettings.Kind.EMBEDDED) {
      if (!local) {
        throw new ConfigException(
            "persistence.store 'embedded' keeps one node's state in a local file; cluster.mode '"
                + config.clusterMode
                + "' needs persistence.store 'postgres' (or 'none')");
      }
      String directory = config.string("persistence.embedded.directory");
      if (directory.isBlank()) {
        throw new ConfigException(
            "persistence.store 'embedded' needs persistence.embedded.directory");
      }
      // the embedded store has one writer: its pool needs no more than a few connections
      return new PersistenceSettings(
          kind,
          Path.of(directory),
          "",
          "",
          "",
          Math.min(poolSize, 4),
          timeout,
          leaseTimeout,
          queueWriteBehind,
          recordWriteBehind,
          config.intValue("persistence.embedded.page-cache-mb", 1, 1024));
    }
    String url = config.string("persistence.postgres.url");
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new ConfigException(
          "persistence.store 'postgres' needs persistence.postgres.url ("
              + BrokerConfig.envName("persistence.postgres.url")
              + "), e.g. jdbc:postgresql://db:5432/mqttgrid, got '"
              + url
              + "'");
    }
    String password = config.string("persistence.postgres.password");
    String passwordFile = config.string("persistence.postgres.password-file");
    if (!passwordFile.isBlank()) {
      if (!password.isBlank()) {
        throw new ConfigException(
            "persistence.postgres.password and persistence.postgres.password-file are both set: use one");
      }
      try {
        password = Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new ConfigException(
            "cannot read persistence.postgres.password-file " + passwordFile + ": " + e);
      }
    }
    return new PersistenceSettings(
        kind,
        null,
        url,
        config.string("persistence.postgres.user"),
        password,
        poolSize,
        timeout,
        leaseTimeout,
        queueWriteBehind,
        recordWriteBehind);
  }

  /** A write mode ({@code through} or {@code behind}) and its window: zero when written through. */
  private static Duration writeBehindWindow(BrokerConfig config, String modeKey, String windowKey) {
    String mode = config.string(modeKey).toLowerCase(Locale.ROOT);
    if (!mode.equals("through") && !mode.equals("behind")) {
      throw new ConfigException(
          modeKey
              + " ("
              + BrokerConfig.envName(modeKey)
              + ") must be through or behind, got '"
              + mode
              + "'");
    }
    return mode.equals("through")
        ? Duration.ZERO
        : Duration.ofMillis(config.intValue(windowKey, 10, 60_000));
  }
}
