package io.mqttgrid.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.testing.TestDatabases;
import io.mqttgrid.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JDBC store on both databases it supports: an H2 file (the embedded store) and a real
 * PostgreSQL server. The same tests run on each, with the same schema (one set of migrations).
 */
class StateDatabaseIT {

  private static TestPostgres postgres;
  @TempDir static Path dirs;

  @BeforeAll
  static void startPostgres() {
    postgres = TestPostgres.start();
  }

  @AfterAll
  static void stopPostgres() {
    postgres.close();
  }

  /** Each call: settings of a new empty database of that kind. */
  static Stream<Arguments> databases() {
    // a lease of 1 s: the test of a second cluster waits for it to run out
    return TestDatabases.eachKind(dirs, postgres, Duration.ofSeconds(1));
  }

  @ParameterizedTest
  @MethodSource("databases")
  void retainedMessagesAreWrittenReplacedDeletedAndReadBackAfterReopening(
      Supplier<PersistenceSettings> kind) {
    PersistenceSettings settings = kind.get();
    try (StateDatabase db = StateDatabase.open(settings)) {
      RetainedTable retained = new RetainedTable(db);
      retained.put("a/1", new RetainedTable.Row(bytes("one"), 0));
      retained.put("a/1", new RetainedTable.Row(bytes("one again"), 0));
      retained.putAll(
          Map.of(
              "a/2", new RetainedTable.Row(bytes("two"), System.currentTimeMillis() + 600_000),
              "a/3", new RetainedTable.Row(bytes("three"), 0),
              "expired", new RetainedTable.Row(bytes("old"), System.currentTimeMillis() - 1)));
      retained.delete("a/3");
      assertThat(retained.count()).isEqualTo(3);
    }
    // a second open runs the migrations again (nothing to do) and finds the rows
    try (StateDatabase db = StateDatabase.open(settings)) {
      RetainedTable retained = new RetainedTable(db);
      assertThat(retained.keys()).containsExactlyInAnyOrder("a/1", "a/2");
      assertThat(new String(retained.get("a/1").message(), StandardCharsets.UTF_8))
          .isEqualTo("one again");
      assertThat(retained.get("a/1").expiresAtMillis()).isZero();
      assertThat(retained.get("a/2").expiresAtMillis()).isGreaterThan(System.currentTimeMillis());
      assertThat(retained.get("expired")).isNull();
      assertThat(retained.getAll(List.of("a/1", "a/2", "a/3", "expired")))
          .containsOnlyKeys("a/1", "a/2");
      retained.deleteAll(List.of("a/1", "a/2", "expired"));
      assertThat(retained.count()).isZero();
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void namespaceAndBridgeResourcesAreKeptAsJson(Supplier<PersistenceSettings> kind) {
    PersistenceSettings settings = kind.get();
    try (StateDatabase db = StateDatabase.open(settings)) {
      NamespaceTable namespace = new NamespaceTable(db);
      namespace.put("client/d1", "{\"name\":\"d1\"}");
      namespace.putAll(Map.of("client/d2", "{\"name\":\"d2\"}", "topicSpace/t", "{}"));
      namespace.put("client/d2", "{\"name\":\"d2\",\"state\":\"Disabled\"}");
      namespace.deleteAll(List.of("topicSpace/t"));
      NamespaceTable bridge = NamespaceTable.bridge(db);
      bridge.put("dataflows/up", "{\"operations\":[]}");
      bridge.put("dataflows/gone", "{}");
      bridge.delete("dataflows/gone");
    }
    try (StateDatabase db = StateDatabase.open(settings)) {
      NamespaceTable namespace = new NamespaceTable(db);
      assertThat(namespace.getAll(namespace.keys()))
          .containsExactlyInAnyOrderEntriesOf(
              Map.of(
                  "client/d1", "{\"name\":\"d1\"}",
                  "client/d2", "{\"name\":\"d2\",\"state\":\"Disabled\"}"));
      // the bridge's API resources in a table of their own, apart from the namespace model's
      NamespaceTable bridge = NamespaceTable.bridge(db);
      assertThat(bridge.getAll(bridge.keys()))
          .containsExactlyEntriesOf(Map.of("dataflows/up", "{\"operations\":[]}"));
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aSecondClusterIsRefusedWhileTheFirstHoldsTheLeaseAndTakesOverWhenItStopped(
      Supplier<PersistenceSettings> kind) throws Exception {
    PersistenceSettings settings = kind.get();
    try (StateDatabase a = StateDatabase.open(settings);
        StateDatabase b = StateDatabase.open(settings)) {
      DatabaseLease leaseA = new DatabaseLease(a, "plant-a", "a1", settings.leaseTimeout());
      leaseA.acquire();
      // another node of the same cluster joins
      new DatabaseLease(a, "plant-a", "a2", settings.leaseTimeout()).acquire();
      DatabaseLease leaseB = new DatabaseLease(b, "plant-b", "b1", settings.leaseTimeout());
      assertThatThrownBy(leaseB::acquire)
          .isInstanceOf(PersistenceException.class)
          .hasMessageContaining("held by cluster 'plant-a'")
          .hasMessageContaining("this node is of cluster 'plant-b'");
      // plant-a keeps renewing: still refused after the timeout
      for (int i = 0; i < 4; i++) {
        Thread.sleep(400);
        assertThat(leaseA.renew()).isTrue();
      }
      assertThatThrownBy(leaseB::acquire).isInstanceOf(PersistenceException.class);
      // plant-a stops renewing (its nodes are gone): after the timeout plant-b takes over
      Thread.sleep(settings.leaseTimeout().toMillis() + 300);
      leaseB.acquire();
      // a node of plant-a that comes back finds the lease gone: fenced, its writes fail
      assertThat(leaseA.renew()).isFalse();
      assertThat(a.fencedReason()).contains("taken by another cluster");
      assertThatThrownBy(() -> new RetainedTable(a).put("t", new RetainedTable.Row(bytes("x"), 0)))
          .isInstanceOf(PersistenceException.class);
      new RetainedTable(b).put("t", new RetainedTable.Row(bytes("x"), 0));
      assertThat(new RetainedTable(b).keys()).containsExactly("t");
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
