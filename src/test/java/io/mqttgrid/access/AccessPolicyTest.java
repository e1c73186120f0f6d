package io.mqttgrid.access;

import static io.mqttgrid.access.PermissionBinding.Permission.Publisher;
import static io.mqttgrid.access.PermissionBinding.Permission.Subscriber;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.access.ClientIdentity.Authority;
import io.mqttgrid.access.PermissionBinding.Permission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {

  /** Builds a namespace model the way the spec's worked examples describe one. */
  private static final class Model {
    final List<ClientGroup> groups = new ArrayList<>();
    final List<TopicSpace> spaces = new ArrayList<>();
    final List<PermissionBinding> bindings = new ArrayList<>();
    final List<RoleAssignment> roles = new ArrayList<>();

    Model group(String name, String query) {
      groups.add(new ClientGroup(name, null, query));
      return this;
    }

    Model space(String name, String... templates) {
      spaces.add(new TopicSpace(name, null, List.of(templates)));
      return this;
    }

    Model bind(String group, String space, Permission permission) {
      bindings.add(
          new PermissionBinding(
              group + "-" + space + "-" + permission, null, group, space, permission));
      return this;
    }

    Model role(String name, String principal, Permission role, String space) {
      roles.add(new RoleAssignment(name, principal, role, space));
      return this;
    }

    AccessPolicy compile() {
      return AccessPolicy.compile(model());
    }

    NamespaceModel model() {
      return new NamespaceModel(
          NamespaceSettings.DEFAULTS, List.of(), groups, spaces, bindings, List.of(), roles);
    }
  }

  private static ClientIdentity registry(String name, Map<String, Object> attributes) {
    return new ClientIdentity(name, attributes, Authority.REGISTRY, 0);
  }

  private static ClientIdentity entra(String oid) {
    return new ClientIdentity(oid, Map.of(), Authority.ENTRA, 0);
  }

  @Test
  void withoutBindingsNobodyMayDoAnything() {
    AccessPolicy policy = new Model().space("all", "#").compile();
    for (Authority authority :
        List.of(Authority.REGISTRY, Authority.CUSTOM_JWT, Authority.ENTRA, Authority.WEBHOOK)) {
      Permissions permissions =
          policy.permissionsFor(new ClientIdentity("c", Map.of(), authority, 0));
      assertThat(permissions).as(authority.name()).isEqualTo(GrantedPermissions.NONE);
      assertThat(permissions.canPublish("a")).isFalse();
      assertThat(permissions.canSubscribe("a")).isFalse();
    }
    assertThat(
            AccessPolicy.compile(NamespaceModel.EMPTY)
                .permissionsFor(registry("c", Map.of()))
                .canPublish("a"))
        .isFalse();
  }

  @Test
  void anonymousClientsGetEverythingButReservedTopics() {
    Permissions permissions =
        AccessPolicy.compile(NamespaceModel.EMPTY).permissionsFor(ClientIdentity.anonymous("x"));
    assertThat(permissions).isSameAs(Permissions.ALL_BUT_RESERVED);
    assertThat(permissions.canPublish("a/b")).isTrue();
    assertThat(permissions.canPublish("$SYS/x")).isFalse();
    assertThat(permissions.canSubscribe("#")).isTrue();
    assertThat(permissions.canSubscribe("$share/g/$SYS/#")).isFalse();
  }

  /** Spec section 4.4: factory area isolation. */
  @Test
  void factoryAreasAreIsolated() {
    AccessPolicy policy =
        new Model()
            .group("Area1Machines", "attributes.area = 'area1'")
            .group("Area2Machines", "attributes.area = 'area2'")
            .space("area1", "areas/area1/machines/#")
            .space("area2", "areas/area2/machines/#")
            .bind("Area1Machines", "area1", Publisher)
            .bind("Area1Machines", "area1", Subscriber)
            .bind("Area2Machines", "area2", Publisher)
            .bind("Area2Machines", "area2", Subscriber)
            .compile();
    assertThat(policy.problems()).isEmpty();

    Permissions machine = policy.permissionsFor(registry("m1", Map.of("area", "area1")));
    assertThat(machine.canPublish("areas/area1/machines/m1/temp")).isTrue();
    assertThat(machine.canPublish("areas/area1/machines")).isTrue();
    assertThat(machine.canSubscribe("areas/area1/machines/#")).isTrue();
    assertThat(machine.canSubscribe("areas/area1/machines/+/temp")).isTrue();
    assertThat(machine.canPublish("areas/area2/machines/m9/temp")).isFalse();
    assertThat(machine.canSubscribe("areas/area2/machines/#")).isFalse();
    assertThat(machine.canSubscribe("areas/+/machines/#")).isFalse();
    assertThat(machine.canSubscribe("#")).isFalse();

    Permissions elsewhere = policy.permissionsFor(registry("m3", Map.of("area", "area3")));
    assertThat(elsewhere).isEqualTo(GrantedPermissions.NONE);
  }

  /** Spec section 4.4: least privilege, four bindings per area. */
  @Test
  void machinesAndManagementGetOppositeRights() {
    AccessPolicy policy =
        new Model()
            .group("Area1Machines", "attributes.role = 'machine' and attributes.area = 'area1'")
            .group(
                "Area1Management", "attributes.role = 'management' and attributes.area = 'area1'")
            .space("area1-machines", "areas/area1/machines/#")
            .space("area1-mgmt", "areas/area1/mgmt/#")
            .bind("Area1Machines", "area1-machines", Publisher)
            .bind("Area1Machines", "area1-mgmt", Subscriber)
            .bind("Area1Management", "area1-mgmt", Publisher)
            .bind("Area1Management", "area1-machines", Subscriber)
            .compile();

    Permissions machine =
        policy.permissionsFor(registry("m1", Map.of("role", "machine", "area", "area1")));
    assertThat(machine.canPublish("areas/area1/machines/m1")).isTrue();
    assertThat(machine.canSubscribe("areas/area1/machines/#")).isFalse();
    assertThat(machine.canSubscribe("areas/area1/mgmt/#")).isTrue();
    assertThat(machine.canPublish("areas/area1/mgmt/cmd")).isFalse();

    Permissions manager =
        policy.permissionsFor(registry("ops", Map.of("role", "management", "area", "area1")));
    assertThat(manager.canPublish("areas/area1/mgmt/cmd")).isTrue();
    assertThat(manager.canSubscribe("areas/area1/machines/#")).isTrue();
    assertThat(manager.canPublish("areas/area1/machines/m1")).isFalse();
    assertThat(manager.canSubscribe("areas/area1/mgmt/#")).isFalse();
  }

  /** Spec section 4.4: per-client topics, machine2 cannot spoof machine1. */
  @Test
  void perClientTopicsPreventSpoofing() {
    AccessPolicy policy =
        new Model()
            .group("machines", "attributes.type = 'machine'")
            .space("machines", "machines/${client.authenticationName}/telemetry")
            .bind("machines", "machines", Publisher)
            .compile();
    Permissions machine1 = policy.permissionsFor(registry("machine1", Map.of("type", "machine")));
    Permissions machine2 = policy.permissionsFor(registry("machine2", Map.of("type", "machine")));
    assertThat(machine1.canPublish("machines/machine1/telemetry")).isTrue();
    assertThat(machine1.canPublish("machines/machine2/telemetry")).isFalse();
    assertThat(machine1.canPublish("machines/Machine1/telemetry")).isFalse();
    assertThat(machine1.canPublish("machines/machine1/telemetry/x")).isFalse();
    assertThat(machine2.canPublish("machines/machine1/telemetry")).isFalse();
    assertThat(machine2.canPublish("machines/machine2/telemetry")).isTrue();
    assertThat(((GrantedPermissions) machine1).publishFilters())
        .containsExactly("machines/machine1/telemetry");
  }

  /**
   * Spec section 4.4 and seed S004: $all publishes telemetry and receives commands; commanders the
   * reverse.
   */
  @Test
  void commandersExample() {
    AccessPolicy policy = commanders();
    assertThat(policy.problems()).isEmpty();

    Permissions device = policy.permissionsFor(registry("device1", Map.of("room", "345")));
    assertThat(device.canPublish("factory/telemetry/device1")).isTrue();
    assertThat(device.canSubscribe("command/#")).isTrue();
    assertThat(device.canSubscribe("command/device1")).isTrue();
    assertThat(device.canPublish("command/device1")).isFalse();
    assertThat(device.canSubscribe("factory/telemetry/#")).isFalse();

    for (Object flag : List.of("true", Boolean.TRUE)) {
      Permissions commander = policy.permissionsFor(registry("cmd1", Map.of("commander", flag)));
      assertThat(commander.canPublish("command/device1"))
          .as(flag.getClass().getSimpleName())
          .isTrue();
      assertThat(commander.canSubscribe("factory/telemetry/#")).isTrue();
      // $all's rights are kept
      assertThat(commander.canPublish("factory/telemetry/cmd1")).isTrue();
      assertThat(commander.canSubscribe("command/#")).isTrue();
    }

    Permissions notCommander = policy.permissionsFor(registry("d2", Map.of("commander", "false")));
    assertThat(notCommander.canPublish("command/device1")).isFalse();
    Permissions upperCase = policy.permissionsFor(registry("d3", Map.of("commander", "TRUE")));
    assertThat(upperCase.canPublish("command/device1")).isFalse();
  }

  private static AccessPolicy commanders() {
    return new Model()
        .group("commanders", "attributes.commander = \"true\"")
        .space("telemetry", "factory/telemetry/#")
        .space("commands", "command/#")
        .bind(ClientGroup.ALL, "telemetry", Publisher)
        .bind(ClientGroup.ALL, "commands", Subscriber)
        .bind("commanders", "commands", Publisher)
        .bind("commanders", "telemetry", Subscriber)
        .compile();
  }

  @Test
  void groupsOfIncludesTheBuiltInGroup() {
    AccessPolicy policy = commanders();
    assertThat(policy.groupsOf(registry("d", Map.of()))).containsExactly("$all");
    assertThat(policy.groupsOf(registry("c", Map.of("commander", "true"))))
        .containsExactly("$all", "commanders");
  }

  @Test
  void sharedSubscriptionsAreJudgedByTheFilterAfterTheGroup() {
    AccessPolicy policy = commanders();
    Permissions commander = policy.permissionsFor(registry("cmd1", Map.of("commander", "true")));
    assertThat(commander.canSubscribe("$share/g1/factory/telemetry/#")).isTrue();
    assertThat(commander.canSubscribe("$share/g1/factory/telemetry/+/temp")).isTrue();
    assertThat(commander.canSubscribe("$share/g1/#")).isFalse();
    assertThat(commander.canSubscribe("$share/g1/factory/#")).isFalse();
    assertThat(commander.canSubscribe("$share/factory/telemetry/#"))
        .as("group 'factory', filter 'telemetry/#'")
        .isFalse();
    assertThat(commander.canSubscribe("$share/g1/")).isFalse();
    assertThat(commander.canSubscribe("$share/g1")).isFalse();
    assertThat(commander.canSubscribe("$share//factory/telemetry/#")).isFalse();
  }

  @Test
  void reservedTopicsAreNeverGranted() {
    AccessPolicy policy =
        new Model()
            .space("everything", "#", "+/#")
            .bind(ClientGroup.ALL, "everything", Publisher)
            .bind(ClientGroup.ALL, "everything", Subscriber)
            .compile();
    Permissions client = policy.permissionsFor(registry("c", Map.of()));
    assertThat(client.canPublish("anything/at/all")).isTrue();
    assertThat(client.canSubscribe("#")).isTrue();
    assertThat(client.canPublish("$SYS/broker")).isFalse();
    assertThat(client.canPublish("$share/g/x")).isFalse();
    assertThat(client.canSubscribe("$SYS/#")).isFalse();
    assertThat(client.canSubscribe("$share/g/$SYS/#")).isFalse();
  }

  @Test
  void malformedTopicsAndFiltersAreRefused() {
    Permissions client =
        new Model()
            .space("everything", "#")
            .bind(ClientGroup.ALL, "everything", Publisher)
            .bind(ClientGroup.ALL, "everything", Subscriber)
            .compile()
            .permissionsFor(registry("c", Map.of()));
    assertThat(client.canPublish("a/+")).isFalse();
    assertThat(client.canPublish("a/#")).isFalse();
    assertThat(client.canPublish("")).isFalse();
    assertThat(client.canSubscribe("a/#/b")).isFalse();
    assertThat(client.canSubscribe("a+")).isFalse();
    assertThat(client.canSubscribe("")).isFalse();
  }

  /**
   * Spec section 2.5: one template must contain the whole filter; a union of templates does not
   * count.
   */
  @Test
  void aUnionOfTemplatesDoesNotCoverOneFilter() {
    AccessPolicy policy =
        new Model()
            .space("root", "a")
            .space("below", "a/+/#")
            .bind(ClientGroup.ALL, "root", Subscriber)
            .bind(ClientGroup.ALL, "below", Subscriber)
            .compile();
    Permissions client = policy.permissionsFor(registry("c", Map.of()));
    // every topic "a/#" matches ("a", "a/x", "a/x/y") is matched by one of the two, but neither
    // alone
    assertThat(client.canSubscribe("a")).isTrue();
    assertThat(client.canSubscribe("a/x")).isTrue();
    assertThat(client.canSubscribe("a/+/#")).isTrue();
    assertThat(client.canSubscribe("a/#")).isFalse();
  }

  @Test
  void templatesFillInTheClientsAttributes() {
    AccessPolicy policy =
        new Model()
            .space(
                "devices",
                "devices/${client.attributes.deviceTypes}/${client.authenticationName}/#",
                "floors/${client.attributes.floor}/status")
            .bind(ClientGroup.ALL, "devices", Publisher)
            .compile();
    GrantedPermissions device =
        (GrantedPermissions)
            policy.permissionsFor(
                registry("dev1", Map.of("deviceTypes", List.of("Fan", "Light"), "floor", 3L)));
    assertThat(device.publishFilters())
        .containsExactly("devices/Fan/dev1/#", "devices/Light/dev1/#", "floors/3/status");
    assertThat(device.canPublish("devices/Fan/dev1/speed")).isTrue();
    assertThat(device.canPublish("devices/Heater/dev1/speed")).isFalse();
    assertThat(device.canPublish("floors/3/status")).isTrue();
    assertThat(device.subscribeFilters()).isEmpty();

    Permissions noFloor =
        policy.permissionsFor(registry("dev2", Map.of("deviceTypes", List.of("Fan"))));
    assertThat(noFloor.canPublish("devices/Fan/dev2/speed")).isTrue();
    assertThat(noFloor.canPublish("floors//status")).isFalse();
  }

  @Test
  void injectedValuesGrantNothing() {
    AccessPolicy policy =
        new Model()
            .space("own", "areas/${client.attributes.area}/${client.authenticationName}/#")
            .bind(ClientGroup.ALL, "own", Publisher)
            .bind(ClientGroup.ALL, "own", Subscriber)
            .compile();
    for (String area : List.of("#", "+", "a/b", "x\u0000", "")) {
      Permissions attacker = policy.permissionsFor(registry("evil", Map.of("area", area)));
      assertThat(attacker).as("[%s]", area).isEqualTo(GrantedPermissions.NONE);
      assertThat(attacker.canPublish("areas/victim/victim/x")).isFalse();
    }
    for (String name : List.of("#", "+", "victim/#", "a\u0000")) {
      Permissions attacker = policy.permissionsFor(registry(name, Map.of("area", "victim")));
      assertThat(attacker.canSubscribe("areas/victim/#")).as("[%s]", name).isFalse();
      assertThat(attacker.canPublish("areas/victim/victim/x")).isFalse();
    }
  }

  @Test
  void entraPrincipalsGetTheirRoleAssignmentsToo() {
    AccessPolicy policy =
        new Model()
            .space("telemetry", "factory/telemetry/#")
            .space("commands", "command/#")
            .space("own", "principals/${principal.name}/#")
            .role("ra-pub", "0b1c2d3e-aaaa-bbbb-cccc-000000000001", Publisher, "telemetry")
            .role("ra-sub-all", "0B1C2D3E-AAAA-BBBB-CCCC-000000000001", Subscriber, null)
            .role("ra-other", "ffffffff-0000-0000-0000-000000000000", Publisher, null)
            .bind(ClientGroup.ALL, "commands", Publisher)
            .compile();
    assertThat(policy.problems()).isEmpty();

    Permissions principal = policy.permissionsFor(entra("0b1c2d3e-aaaa-bbbb-cccc-000000000001"));
    assertThat(principal.canPublish("factory/telemetry/x")).as("scoped role").isTrue();
    assertThat(principal.canSubscribe("factory/telemetry/#")).as("namespace-wide role").isTrue();
    assertThat(principal.canSubscribe("command/#")).isTrue();
    assertThat(principal.canSubscribe("principals/0b1c2d3e-aaaa-bbbb-cccc-000000000001/#"))
        .isTrue();
    assertThat(principal.canSubscribe("principals/+/#")).isFalse();
    assertThat(principal.canPublish("command/x")).as("bindings apply as well").isTrue();
    assertThat(principal.canPublish("principals/0b1c2d3e-aaaa-bbbb-cccc-000000000001/x"))
        .as("publisher role is scoped to telemetry")
        .isFalse();

    Permissions other = policy.permissionsFor(entra("ffffffff-0000-0000-0000-000000000000"));
    assertThat(other.canPublish("principals/ffffffff-0000-0000-0000-000000000000/x")).isTrue();
    assertThat(other.canSubscribe("factory/telemetry/#")).isFalse();

    Permissions stranger = policy.permissionsFor(entra("12345678-0000-0000-0000-000000000000"));
    assertThat(stranger.canPublish("factory/telemetry/x")).isFalse();
    assertThat(stranger.canPublish("command/x")).isTrue();
  }

  @Test
  void roleAssignmentsDoNotApplyToOtherAuthorities() {
    AccessPolicy policy =
        new Model()
            .space("telemetry", "factory/telemetry/#")
            .role("ra", "device1", Publisher, null)
            .compile();
    for (Authority authority :
        List.of(Authority.REGISTRY, Authority.CUSTOM_JWT, Authority.WEBHOOK)) {
      Permissions permissions =
          policy.permissionsFor(new ClientIdentity("device1", Map.of(), authority, 0));
      assertThat(permissions.canPublish("factory/telemetry/x")).as(authority.name()).isFalse();
    }
    assertThat(policy.permissionsFor(entra("device1")).canPublish("factory/telemetry/x")).isTrue();
  }

  @Test
  void unusableResourcesAreLeftOutAndReported() {
    AccessPolicy policy =
        new Model()
            .group("broken", "attributes.x foo 1")
            .group("$all", "attributes.x = 1")
            .group("fine", "attributes.x = 1")
            .space("mixed", "ok/#", "bad/#/x", "$SYS/#", "also/${client.authenticationName}")
            .bind("broken", "mixed", Subscriber)
            .bind("fine", "mixed", Publisher)
            .bind("ghost", "mixed", Publisher)
            .bind("fine", "nowhere", Subscriber)
            .role("ra", "p", Publisher, "nowhere")
            .compile();
    assertThat(policy.problems())
        .containsExactlyInAnyOrder(
            "client group 'broken': query: expected a comparison operator (=, !=, <>, <, >, <=, >=) or IN at "
                + "position 14, found 'foo'",
            "client group '$all': the built-in group cannot be redefined",
            "topic space 'mixed': topic template 'bad/#/x': '#' must be the last level at position 5",
            "topic space 'mixed': topic template '$SYS/#': topics beginning with '$' are reserved; a template "
                + "cannot grant them",
            "permission binding 'ghost-mixed-Publisher': client group 'ghost' does not exist",
            "permission binding 'fine-nowhere-Subscriber': topic space 'nowhere' does not exist",
            "role assignment 'ra': topic space 'nowhere' does not exist");

    GrantedPermissions member =
        (GrantedPermissions) policy.permissionsFor(registry("m", Map.of("x", 1L)));
    assertThat(member.publishFilters()).containsExactly("also/m", "ok/#");
    assertThat(member.subscribeFilters()).as("the broken group selects nobody").isEmpty();
    assertThat(member.canPublish("bad/a/x")).isFalse();
    assertThat(policy.groupsOf(registry("m", Map.of("x", 1L)))).containsExactly("$all", "fine");
    assertThat(policy.permissionsFor(entra("p")).canPublish("ok/x")).isFalse();
  }

  @Test
  void notInQueriesIsAcceptedOnlyWhenEnabled() {
    Model model =
        new Model()
            .group("others", "not attributes.commander = 'true'")
            .space("s", "s/#")
            .bind("others", "s", Publisher);
    AccessPolicy strict = AccessPolicy.compile(model.model());
    assertThat(strict.problems()).hasSize(1);
    assertThat(strict.permissionsFor(registry("d", Map.of())).canPublish("s/x")).isFalse();

    AccessPolicy lenient = AccessPolicy.compile(model.model(), true);
    assertThat(lenient.problems()).isEmpty();
    assertThat(lenient.permissionsFor(registry("d", Map.of())).canPublish("s/x")).isTrue();
    assertThat(lenient.permissionsFor(registry("c", Map.of("commander", "true"))).canPublish("s/x"))
        .isFalse();
  }

  @Test
  void permissionsHaveValueSemantics() {
    AccessPolicy policy = commanders();
    ClientIdentity commander = registry("cmd1", Map.of("commander", "true"));
    Permissions first = policy.permissionsFor(commander);
    Permissions again = commanders().permissionsFor(commander);
    assertThat(again).isEqualTo(first).hasSameHashCodeAs(first);
    assertThat(policy.permissionsFor(registry("device", Map.of()))).isNotEqualTo(first);
    assertThat(first.toString())
        .isEqualTo(
            "publish [command/#, factory/telemetry/#], "
                + "subscribe [command/#, factory/telemetry/#]");
  }

  /** Spec section 3.8: whether a model change took a right away from a connected client. */
  @Test
  void grantsAllOfTellsWhetherRightsWereTakenAway() {
    ClientIdentity commander = registry("cmd1", Map.of("commander", "true"));
    GrantedPermissions before = (GrantedPermissions) commanders().permissionsFor(commander);

    GrantedPermissions widened =
        (GrantedPermissions)
            new Model()
                .group("commanders", "attributes.commander = \"true\"")
                .space("everything", "#")
                .bind("commanders", "everything", Publisher)
                .bind("commanders", "everything", Subscriber)
                .compile()
                .permissionsFor(commander);
    assertThat(widened.grantsAllOf(before)).isTrue();
    assertThat(before.grantsAllOf(widened)).isFalse();

    GrantedPermissions withoutCommands =
        (GrantedPermissions)
            new Model()
                .space("telemetry", "factory/telemetry/#")
                .bind(ClientGroup.ALL, "telemetry", Publisher)
                .bind(ClientGroup.ALL, "telemetry", Subscriber)
                .compile()
                .permissionsFor(commander);
    assertThat(withoutCommands.grantsAllOf(before)).isFalse();
    assertThat(before.grantsAllOf(before)).isTrue();
    assertThat(before.grantsAllOf(GrantedPermissions.NONE)).isTrue();
    assertThat(GrantedPermissions.NONE.grantsAllOf(before)).isFalse();
  }

  @Test
  void manyPublishFiltersAreMatchedAsWellAsFew() {
    List<String> rooms = new ArrayList<>();
    for (int i = 0; i < 3 * GrantedPermissions.TRIE_THRESHOLD; i++) {
      rooms.add("r" + i);
    }
    AccessPolicy policy =
        new Model()
            .space("rooms", "rooms/${client.attributes.rooms}/+/status", "hall/#")
            .bind(ClientGroup.ALL, "rooms", Publisher)
            .compile();
    GrantedPermissions client =
        (GrantedPermissions) policy.permissionsFor(registry("c", Map.of("rooms", rooms)));
    assertThat(client.publishFilters()).hasSize(rooms.size() + 1);
    for (String room : rooms) {
      assertThat(client.canPublish("rooms/" + room + "/lamp/status")).as(room).isTrue();
      assertThat(client.canPublish("rooms/" + room + "/status")).as(room).isFalse();
    }
    assertThat(client.canPublish("rooms/r9999/lamp/status")).isFalse();
    assertThat(client.canPublish("hall")).isTrue();
    assertThat(client.canPublish("hall/a/b")).isTrue();
    assertThat(client.canPublish("rooms/r1/+/status")).isFalse();
    assertThat(client.canPublish("$SYS/x")).isFalse();
  }

  // ------------------------------------------------------------------------- explain

  @Test
  void explainAgreesWithPermissionsForAndNamesTheTemplateThatGrants() {
    AccessPolicy policy =
        new Model()
            .group("floor3", "attributes.floor = 3")
            .space(
                "own",
                "devices/${client.authenticationName}/#",
                "floors/${client.attributes.floor}")
            .space("alerts", "alerts/#")
            .bind("floor3", "own", Publisher)
            .bind("$all", "alerts", Subscriber)
            .compile();
    ClientIdentity dev1 = registry("dev1", Map.of("floor", 3L));

    AccessPolicy.Explanation allowed = policy.explain(dev1, Publisher, "floors/3");
    assertThat(allowed.allowed()).isTrue();
    assertThat(allowed.groups()).containsExactly("$all", "floor3");
    assertThat(allowed.bindings())
        .containsExactly(
            new AccessPolicy.ConsideredBinding("floor3-own-Publisher", "floor3", "own"));
    assertThat(allowed.topicSpaces())
        .containsExactly(
            new AccessPolicy.ConsideredTopicSpace(
                "own",
                List.of(
                    new AccessPolicy.ConsideredTemplate(
                        "devices/${client.authenticationName}/#",
                        List.of("devices/dev1/#"),
                        List.of()),
                    new AccessPolicy.ConsideredTemplate(
                        "floors/${client.attributes.floor}",
                        List.of("floors/3"),
                        List.of("floors/3")))));

    AccessPolicy.Explanation denied = policy.explain(dev1, Publisher, "floors/4");
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.topicSpaces().get(0).templates())
        .allSatisfy(t -> assertThat(t.granting()).isEmpty());

    // the subscriber side considers only the subscriber bindings
    AccessPolicy.Explanation subscribe = policy.explain(dev1, Subscriber, "alerts/+");
    assertThat(subscribe.allowed()).isTrue();
    assertThat(subscribe.bindings())
        .extracting(AccessPolicy.ConsideredBinding::topicSpaceName)
        .containsExactly("alerts");
    assertThat(policy.explain(dev1, Subscriber, "devices/dev1/#").allowed()).isFalse();
  }

  @Test
  void explainNeverGrantsWhatPermissionsForRefuses() {
    AccessPolicy policy = new Model().space("all", "#").bind("$all", "all", Publisher).compile();
    ClientIdentity c = registry("c", Map.of());
    for (String topic : List.of("a/b", "$SYS/x", "a/+", "")) {
      assertThat(policy.explain(c, Publisher, topic).allowed())
          .as(topic)
          .isEqualTo(policy.permissionsFor(c).canPublish(topic));
    }
    assertThat(
            policy
                .explain(c, Publisher, "$SYS/x")
                .topicSpaces()
                .get(0)
                .templates()
                .get(0)
                .granting())
        .isEmpty();
  }

  @Test
  void explainShowsTheRoleAssignmentsOfAnEntraPrincipal() {
    AccessPolicy policy =
        new Model()
            .space("t", "t/#")
            .role("ra1", "AAAA-bbbb", Publisher, "t")
            .role("ra2", "aaaa-BBBB", Subscriber, null)
            .compile();
    AccessPolicy.Explanation x = policy.explain(entra("aaaa-bbbb"), Publisher, "t/1");
    assertThat(x.allowed()).isTrue();
    assertThat(x.roleAssignments()).containsExactly("ra1");
    assertThat(x.bindings()).isEmpty();
  }
}
