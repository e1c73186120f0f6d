package io.mqttgrid;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.cluster.HazelcastConfigFactory;
import org.junit.jupiter.api.Test;

/** How the packages may depend on each other. */
class PackageStructureTest {

  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.mqttgrid");

  /**
   * The node's wiring: {@link Broker} and the classes beside it that build a node's services and
   * verticles and tell its readiness. One concern, the composition root, in a few files; it alone
   * picks the Hazelcast implementations.
   */
  private static final Class<?>[] WIRING = {
    Broker.class, NodeServices.class, NodeVerticles.class, NodeReadiness.class
  };

  @Test
  void packagesFormNoCycle() {
    slices().matching("io.mqttgrid.(*)..").should().beFreeOfCycles().check(MAIN);
  }

  /**
   * Hazelcast (and Vert.x's Hazelcast cluster manager) is used in one place per concern: the
   * stores' implementations in {@code io.mqttgrid.hazelcast}, the member's configuration and
   * membership in {@code cluster}, and the node's wiring ({@link Broker} and the parts it is split
   * into, {@link #WIRING}). Everything else reaches shared state through the store interfaces
   * (SessionStore, SessionOwnership, RetainedStore, NamespaceEntries, RouteTable).
   */
  @Test
  void hazelcastIsUsedOnlyByTheStoreImplementationsTheClusterSetUpAndTheWiring() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.mqttgrid.hazelcast..")
        .and()
        .doNotBelongToAnyOf(WIRING)
        .and()
        .doNotBelongToAnyOf(HazelcastConfigFactory.class, ClusterMembership.class)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("com.hazelcast..", "io.vertx.spi.cluster.hazelcast..")
        .check(MAIN);
  }

  /**
   * The Hazelcast stores are chosen by the wiring; the cluster's node-to-node classes use the route
   * table's extras.
   */
  @Test
  void onlyTheWiringAndTheClusterKnowTheHazelcastStores() {
    noClasses()
        .that()
        .resideOutsideOfPackages("io.mqttgrid.hazelcast..", "io.mqttgrid.cluster..")
        .and()
        .doNotBelongToAnyOf(WIRING)
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.mqttgrid.hazelcast..")
        .check(MAIN);
  }

  /**
   * The wire-format helpers are shared by every protocol adapter, so they depend on none of them.
   */
  @Test
  void wireDependsOnNoProtocolAdapter() {
    noClasses()
        .that()
        .resideInAPackage("io.mqttgrid.wire..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.mqttgrid.mqtt..",
            "io.mqttgrid.http..",
            "io.mqttgrid.session..",
            "io.mqttgrid.cluster..")
        .check(MAIN);
  }
}
