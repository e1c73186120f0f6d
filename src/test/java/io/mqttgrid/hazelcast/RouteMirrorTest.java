package io.mqttgrid.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteMirrorTest {

  private final RouteMirror mirror = new RouteMirror("here");

  private static String key(String node, String filter) {
    return HazelcastRouteTable.key(node, filter);
  }

  @Test
  void otherNodesArePublishedToAndThisNodeIsNot() {
    mirror.add(key("here", "a/+"));
    assertTrue(mirror.remoteNodesFor("a/b").isEmpty());
    assertTrue(mirror.hasLocalRouteFor("a/b"));

    mirror.add(key("there", "a/#"));
    mirror.add(key("elsewhere", "x/y"));
    assertEquals(Set.of("there"), mirror.remoteNodesFor("a/b"));

    mirror.remove(key("there", "a/#"));
    assertTrue(mirror.remoteNodesFor("a/b").isEmpty());
    assertFalse(mirror.hasLocalRouteFor("x/y"));
  }

  @Test
  void sharedGroupsHaveThisNodeAndTheLiveOthers() {
    mirror.add(key("here", "$share/g1/a/+"));
    mirror.add(key("there", "$share/g1/a/+"));
    mirror.add(key("gone", "$share/g1/a/+"));
    mirror.add(key("there", "$share/g2/a/b"));
    Map<String, Set<String>> groups = new HashMap<>();
    mirror.sharedGroupsFor("a/b", node -> node.equals("there"), groups::put);
    assertEquals(
        Map.of("$share/g1/a/+", Set.of("here", "there"), "$share/g2/a/b", Set.of("there")), groups);
    // a shared route is not a plain one
    assertTrue(mirror.remoteNodesFor("a/b").isEmpty());
  }

  @Test
  void aReadThatBeganBeforeARemovalDoesNotMirrorTheRouteAgain() {
    String route = key("there", "adopted/d1/cmd");
    mirror.add(route);
    long readBegan = mirror.removalCount();
    mirror.removedFromTable(route);

    mirror.addRead(Set.of(route), readBegan);
    assertTrue(mirror.remoteNodesFor("adopted/d1/cmd").isEmpty());

    mirror.addRead(Set.of(route), mirror.removalCount());
    assertEquals(Set.of("there"), mirror.remoteNodesFor("adopted/d1/cmd"));
  }

  @Test
  void aForgottenRemovalNoLongerHoldsAReadBack() {
    String route = key("there", "old/removal");
    long readBegan = mirror.removalCount();
    mirror.removedFromTable(route);

    mirror.forgetRemovalsBefore(System.currentTimeMillis() - 60_000);
    mirror.addRead(Set.of(route), readBegan);
    assertTrue(mirror.remoteNodesFor("old/removal").isEmpty());

    mirror.forgetRemovalsBefore(System.currentTimeMillis() + 1);
    mirror.addRead(Set.of(route), readBegan);
    assertEquals(Set.of("there"), mirror.remoteNodesFor("old/removal"));
  }
}
