package io.mqttgrid.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded H2 database runs with the page cache it is configured with, not H2's own default.
 */
class EmbeddedPageCacheTest {

  @TempDir Path dir;

  @Test
  void theEmbeddedDatabaseRunsWithTheConfiguredPageCache() throws Exception {
    PersistenceSettings settings =
        new PersistenceSettings(
            PersistenceSettings.Kind.EMBEDDED,
            dir,
            "",
            "",
            "",
            2,
            Duration.ofSeconds(5),
            Duration.ofSeconds(30),
            Duration.ZERO,
            Duration.ZERO,
            3);
    try (StateDatabase db = StateDatabase.open(settings);
        Connection connection = db.connection();
        Statement statement = connection.createStatement();
        ResultSet setting =
            statement.executeQuery(
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                    + " WHERE SETTING_NAME = 'info.CACHE_MAX_SIZE'")) {
      assertTrue(setting.next(), "H2 reports no cache size");
      assertEquals(3, Integer.parseInt(setting.getString(1)), "H2's cache, MiB");
    }
  }
}
