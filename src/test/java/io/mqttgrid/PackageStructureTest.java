package io.mqttgrid;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** How the packages may depend on each other. */
class PackageStructureTest {

  private static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.mqttgrid");

  @Test
  void packagesFormNoCycle() {
    slices().matching("io.mqttgrid.(*)..").should().beFreeOfCycles().check(MAIN);
  }

  /**
   * Hazelcast stays in the packages that keep distributed state (and in the node's wiring and its metrics); a
   * new package that needs shared state goes through one of their store interfaces. The list is where it is
   * today: it should shrink to one place per store, never grow.
   */
  @Test
  void hazelcastIsUsedOnlyWhereStateIsStored() {
    noClasses().that().resideOutsideOfPackages("io.mqttgrid", "io.mqttgrid.cluster..", "io.mqttgrid.session..",
            "io.mqttgrid.retain..", "io.mqttgrid.access..", "io.mqttgrid.http..")
        .should().dependOnClassesThat().resideInAPackage("com.hazelcast..")
        .check(MAIN);
  }

  /** The wire-format helpers are shared by every protocol adapter, so they depend on none of them. */
  @Test
  void wireDependsOnNoProtocolAdapter() {
    noClasses().that().resideInAPackage("io.mqttgrid.wire..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mqttgrid.mqtt..", "io.mqttgrid.http..",
            "io.mqttgrid.session..", "io.mqttgrid.cluster..")
        .check(MAIN);
  }
}
