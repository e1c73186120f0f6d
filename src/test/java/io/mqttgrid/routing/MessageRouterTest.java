package io.mqttgrid.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Routing without a broker: which local subscriber gets a message with which QoS, retain flag and
 * subscription identifiers (MQTT 5 sections 3.3.4 and 4.8), one member per shared group, and one
 * send per interested node with the right plain flag and shared groups.
 */
class MessageRouterTest {

  /** A subscriber that records what it is handed; its future is completed by the test when held. */
  static final class Recorder implements Subscriber {
    record Got(PublishedMessage message, int qos, boolean retain, int[] ids, String group) {}

    final String clientId;
    boolean online = true;
    boolean superseded;
    final List<Got> got = new ArrayList<>();
    Promise<Void> hold;

    Recorder(String clientId) {
      this.clientId = clientId;
    }

    @Override
    public String clientId() {
      return clientId;
    }

    @Override
    public boolean isOnline() {
      return online;
    }

    @Override
    public boolean superseded() {
      return superseded;
    }

    @Override
    public Future<Void> deliver(
        PublishedMessage message,
        int qos,
        boolean retain,
        int[] subscriptionIds,
        String sharedGroup) {
      got.add(new Got(message, qos, retain, subscriptionIds, sharedGroup));
      return hold == null ? Future.succeededFuture() : hold.future();
    }
  }

  /** A route table the test fills in by hand, recording what the router announces and withdraws. */
  static class Routes implements RouteTable {
    final Map<String, Set<String>> plainNodesByTopic = new HashMap<>();
    final Map<String, Set<String>> sharedNodesByGroup = new HashMap<>();
    final List<String> log = new ArrayList<>();

    @Override
    public void announce(String filter) {
      log.add("+" + filter);
    }

    @Override
    public void withdraw(String filter) {
      log.add("-" + filter);
    }

    @Override
    public Set<String> remoteNodesFor(String topic) {
      return plainNodesByTopic.getOrDefault(topic, Set.of());
    }

    @Override
    public void sharedGroupsFor(String topic, BiConsumer<String, Set<String>> sink) {
      sharedNodesByGroup.forEach(
          (group, nodes) -> {
            if (Topics.matches(Topics.SharedFilter.parse(group).filter(), topic)) {
              sink.accept(group, nodes);
            }
          });
    }

    @Override
    public Future<Void> announcedEverywhere() {
      return Future.succeededFuture();
    }

    @Override
    public String localNode() {
      return "local";
    }
  }

  record Sent(String node, PublishedMessage message, boolean plain, List<String> groups) {}

  /** Records each send to another node and answers with the count the test sets for that node. */
  static final class Remote implements RemoteDelivery {
    /** A node count that makes the node answer that its subscribers' queues are full. */
    static final int FULL = Integer.MIN_VALUE;

    final List<Sent> sent = new ArrayList<>();
    final Map<String, Integer> reachedByNode = new HashMap<>();

    @Override
    public Future<Integer> deliver(
        String node, PublishedMessage message, boolean plain, List<String> sharedGroups) {
      sent.add(new Sent(node, message, plain, List.copyOf(sharedGroups)));
      Integer reached = reachedByNode.getOrDefault(node, 1);
      return reached == FULL
          ? Future.failedFuture(new QueueFullException("full on " + node))
          : Future.succeededFuture(reached);
    }
  }

  static PublishedMessage message(String topic, int qos, boolean retain, String publisher) {
    return new PublishedMessage(
        "id-" + topic,
        topic,
        new byte[] {1},
        qos,
        retain,
        publisher,
        1L,
        0L,
        -1,
        null,
        null,
        null,
        null);
  }

  static Subscription sub(String filter, int qos) {
    return new Subscription(filter, qos, false, false, 0, 0);
  }

  final MessageRouter router = new MessageRouter();

  @Test
  void deliversToMatchingSubscribersOnlyWithTheLowerQos() {
    Recorder a = new Recorder("a");
    Recorder b = new Recorder("b");
    Recorder c = new Recorder("c");
    router.subscribe(a, sub("s/+/t", 1));
    router.subscribe(b, sub("s/#", 2));
    router.subscribe(c, sub("other/#", 2));

    int reached = router.route(message("s/1/t", 2, false, null)).result();

    assertThat(reached).isEqualTo(2);
    assertThat(a.got).singleElement().satisfies(g -> assertThat(g.qos()).isEqualTo(1));
    assertThat(b.got).singleElement().satisfies(g -> assertThat(g.qos()).isEqualTo(2));
    assertThat(c.got).isEmpty();
    assertThat(router.route(message("s/1/t", 0, false, null)).result()).isEqualTo(2);
    assertThat(b.got.get(1).qos()).isZero();
  }

  @Test
  void aMessageNoSubscriberCouldKeepFailsAsQueueFullAndOneKeptIsEnough() {
    Recorder full = new Recorder("full");
    full.hold = Promise.promise();
    full.hold.fail(new QueueFullException("full"));
    router.subscribe(full, sub("q/#", 1));

    Future<Integer> alone = router.route(message("q/1", 1, false, null));
    assertThat(alone.cause()).isInstanceOf(QueueFullException.class);

    Recorder keeps = new Recorder("keeps");
    router.subscribe(keeps, sub("q/#", 1));
    assertThat(router.route(message("q/2", 1, false, null)).result()).isEqualTo(1);
  }

  @Test
  void aFullSubscriberDoesNotHideAnotherOnesFailure() {
    Recorder full = new Recorder("full");
    full.hold = Promise.promise();
    full.hold.fail(new QueueFullException("full"));
    Recorder broken = new Recorder("broken");
    broken.hold = Promise.promise();
    broken.hold.fail("store down");
    router.subscribe(full, sub("q/#", 1));
    router.subscribe(broken, sub("q/#", 1));

    assertThat(router.route(message("q/1", 1, false, null)).cause())
        .isNotInstanceOf(QueueFullException.class)
        .hasMessage("store down");
  }

  @Test
  void queuesFullOnEveryNodeFailTheMessageAndAKeepingNodeSucceeds() {
    Routes routes = new Routes();
    Remote remote = new Remote();
    router.cluster(routes, remote);
    routes.plainNodesByTopic.put("t/1", Set.of("n1", "n2"));
    remote.reachedByNode.put("n1", Remote.FULL);
    remote.reachedByNode.put("n2", Remote.FULL);
    assertThat(router.route(message("t/1", 1, false, null)).cause())
        .isInstanceOf(QueueFullException.class);

    remote.reachedByNode.put("n2", 1);
    assertThat(router.route(message("t/1", 1, false, null)).result()).isEqualTo(1);
  }

  @Test
  void aSessionTakenOverOnThisNodeGetsNothingWhileItsNewerCopyIsSubscribed() {
    // a reconnect of the same client id: until the old copy is retired both are subscribed, and a
    // delivery to the old one (whose queue is no longer its own) would fail the publish
    Recorder old = new Recorder("dev");
    Recorder newer = new Recorder("dev");
    router.subscribe(old, sub("s/#", 1));
    router.subscribe(newer, sub("s/#", 1));
    old.superseded = true;

    assertThat(router.route(message("s/1", 1, false, null)).result()).isEqualTo(1);
    assertThat(old.got).isEmpty();
    assertThat(newer.got).hasSize(1);
  }

  @Test
  void overlappingSubscriptionsDeliverOnceWithTheHighestQosAndEveryIdentifier() {
    Recorder a = new Recorder("a");
    router.subscribe(a, new Subscription("s/#", 0, false, false, 0, 7));
    router.subscribe(a, new Subscription("s/+", 1, false, true, 0, 9));
    router.subscribe(a, new Subscription("+/x", 2, false, false, 0, 0));

    router.route(message("s/x", 2, true, null));

    assertThat(a.got)
        .singleElement()
        .satisfies(
            g -> {
              assertThat(g.qos()).isEqualTo(2);
              assertThat(g.retain()).isTrue(); // one matching subscription has retain-as-published
              assertThat(g.ids()).containsExactlyInAnyOrder(7, 9);
              assertThat(g.group()).isNull();
            });
  }

  @Test
  void theHighestQosWinsWhicheverFilterCarriesIt() {
    String[] filters = {"s/#", "s/+", "+/x"};
    int[][] orders = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (int[] qos : orders) {
      Recorder a = new Recorder("a");
      for (int i = 0; i < filters.length; i++) {
        router.subscribe(a, sub(filters[i], qos[i]));
      }
      router.route(message("s/x", 2, false, null));
      assertThat(a.got)
          .as("QoS %s", java.util.Arrays.toString(qos))
          .singleElement()
          .satisfies(g -> assertThat(g.qos()).isEqualTo(2));
      router.removeAll(a);
    }
  }

  @Test
  void retainFlagIsClearedWithoutRetainAsPublished() {
    Recorder a = new Recorder("a");
    router.subscribe(a, sub("s", 1));
    router.route(message("s", 1, true, null));
    assertThat(a.got.get(0).retain()).isFalse();
  }

  @Test
  void noLocalSkipsThePublishersOwnSubscription() {
    Recorder a = new Recorder("a");
    Recorder b = new Recorder("b");
    router.subscribe(a, new Subscription("t", 1, true, false, 0, 0));
    router.subscribe(b, new Subscription("t", 1, true, false, 0, 0));
    assertThat(router.route(message("t", 1, false, "a")).result()).isEqualTo(1);
    assertThat(a.got).isEmpty();
    assertThat(b.got).hasSize(1);
  }

  @Test
  void resubscribingReplacesTheOptionsAndUnsubscribeStopsDelivery() {
    Recorder a = new Recorder("a");
    router.subscribe(a, sub("t", 0));
    router.subscribe(a, sub("t", 2));
    router.route(message("t", 2, false, null));
    assertThat(a.got).singleElement().satisfies(g -> assertThat(g.qos()).isEqualTo(2));

    assertThat(router.unsubscribe(a, "t")).isTrue();
    assertThat(router.unsubscribe(a, "t")).isFalse();
    assertThat(router.route(message("t", 2, false, null)).result()).isZero();
    assertThat(a.got).hasSize(1);
  }

  @Test
  void aSubscribersFiltersComeAndGoOneByOne() {
    // the router holds a subscriber's only subscription alone and makes a map from the second
    Recorder a = new Recorder("a");
    router.subscribe(a, sub("one", 1));
    assertThat(router.unsubscribe(a, "other")).isFalse();
    assertThat(router.route(message("one", 1, false, null)).result()).isEqualTo(1);

    router.subscribe(a, sub("two", 1));
    router.subscribe(a, sub("two", 0));
    assertThat(router.unsubscribe(a, "one")).isTrue();
    assertThat(router.unsubscribe(a, "one")).isFalse();
    assertThat(router.route(message("one", 1, false, null)).result()).isZero();
    router.route(message("two", 1, false, null));
    assertThat(a.got).hasSize(2);
    assertThat(a.got.get(1).qos()).isZero();

    assertThat(router.unsubscribe(a, "two")).isTrue();
    assertThat(router.route(message("two", 1, false, null)).result()).isZero();
    router.subscribe(a, sub("three", 1));
    router.subscribe(a, sub("four", 1));
    router.removeAll(a);
    assertThat(router.route(message("three", 1, false, null)).result()).isZero();
    assertThat(router.route(message("four", 1, false, null)).result()).isZero();
    assertThat(a.got).hasSize(2);
  }

  @Test
  void removeAllDropsEverySubscriptionOfOneSubscriber() {
    Recorder a = new Recorder("a");
    Recorder b = new Recorder("b");
    router.subscribe(a, sub("x", 1));
    router.subscribe(a, sub("$share/g/x", 1));
    router.subscribe(b, sub("x", 1));
    router.removeAll(a);
    assertThat(router.route(message("x", 1, false, null)).result()).isEqualTo(1);
    assertThat(a.got).isEmpty();
    assertThat(b.got).hasSize(1);
  }

  @Test
  void aSharedGroupGetsEachMessageOnceRoundRobin() {
    Recorder a = new Recorder("a");
    Recorder b = new Recorder("b");
    Recorder plain = new Recorder("p");
    router.subscribe(a, new Subscription("$share/g/t/+", 2, false, false, 0, 5));
    router.subscribe(b, sub("$share/g/t/+", 1));
    router.subscribe(plain, sub("t/#", 1));

    for (int i = 0; i < 4; i++) {
      assertThat(router.route(message("t/" + i, 2, false, null)).result()).isEqualTo(2);
    }

    assertThat(a.got).hasSize(2);
    assertThat(b.got).hasSize(2);
    assertThat(plain.got).hasSize(4);
    assertThat(a.got)
        .allSatisfy(
            g -> {
              assertThat(g.group()).isEqualTo("$share/g/t/+");
              assertThat(g.ids()).containsExactly(5);
              assertThat(g.qos()).isEqualTo(2);
            });
    assertThat(b.got)
        .allSatisfy(
            g -> {
              assertThat(g.ids()).isEmpty();
              assertThat(g.qos()).isEqualTo(1);
            });
  }

  @Test
  void aSharedGroupPrefersOnlineMembersAndFallsBackToOffline() {
    Recorder a = new Recorder("a");
    Recorder b = new Recorder("b");
    a.online = false;
    router.subscribe(a, sub("$share/g/t", 1));
    router.subscribe(b, sub("$share/g/t", 1));
    for (int i = 0; i < 3; i++) {
      router.route(message("t", 1, false, null));
    }
    assertThat(a.got).isEmpty();
    assertThat(b.got).hasSize(3);

    b.online = false;
    router.route(message("t", 1, false, null));
    assertThat(a.got.size() + b.got.size()).isEqualTo(4);
  }

  @Test
  void redispatchGoesToAnotherMemberOrReportsNone() {
    Recorder a = new Recorder("a");
    Recorder b = new Recorder("b");
    router.subscribe(a, sub("$share/g/t", 1));
    router.subscribe(b, sub("$share/g/t", 1));
    PublishedMessage m = message("t", 1, false, null);
    for (int i = 0; i < 3; i++) {
      assertThat(router.redispatchShared("$share/g/t", m, a)).isTrue();
    }
    assertThat(a.got).isEmpty();
    assertThat(b.got).hasSize(3);

    router.removeAll(b);
    assertThat(router.redispatchShared("$share/g/t", m, a)).isFalse();
    assertThat(router.redispatchShared("$share/none/t", m, a)).isFalse();
  }

  @Test
  void theRouteCompletesOnlyWhenEverySubscriberHoldsTheMessage() {
    Recorder a = new Recorder("a");
    a.hold = Promise.promise();
    router.subscribe(a, sub("t", 1));
    Future<Integer> routed = router.route(message("t", 1, false, null));
    assertThat(routed.isComplete()).isFalse();
    a.hold.complete();
    assertThat(routed.result()).isEqualTo(1);
  }

  @Test
  void aSubscribersFailureFailsTheRoute() {
    Recorder a = new Recorder("a");
    a.hold = Promise.promise();
    router.subscribe(a, sub("t", 1));
    Future<Integer> routed = router.route(message("t", 1, false, null));
    a.hold.fail("queue full");
    assertThat(routed.failed()).isTrue();
  }

  @Test
  void routesAreAnnouncedOnFirstUseAndWithdrawnOnEachRemoval() {
    Routes routes = new Routes();
    router.cluster(routes, new Remote());
    Recorder a = new Recorder("a");
    router.subscribe(a, sub("x", 1));
    router.subscribe(a, sub("$share/g/y", 1));
    router.unsubscribe(a, "x");
    router.removeAll(a);
    assertThat(routes.log).containsExactly("+x", "+$share/g/y", "-x", "-$share/g/y");
  }

  @Test
  void eachInterestedNodeGetsOneSendWithItsPlainFlagAndGroups() {
    Routes routes = new Routes();
    Remote remote = new Remote();
    router.cluster(routes, remote);
    routes.plainNodesByTopic.put("t/1", Set.of("n1", "n2"));
    routes.sharedNodesByGroup.put("$share/g/t/+", Set.of("n3"));
    routes.sharedNodesByGroup.put("$share/h/t/#", Set.of("n1"));
    remote.reachedByNode.put("n1", 3);
    remote.reachedByNode.put("n2", -1); // QoS 0: unknown count, counts as one node reached
    remote.reachedByNode.put("n3", 2);
    Recorder local = new Recorder("l");
    router.subscribe(local, sub("t/1", 1));

    int reached = router.route(message("t/1", 1, false, null)).result();

    assertThat(reached).isEqualTo(1 + 3 + 1 + 2);
    assertThat(local.got).hasSize(1);
    Map<String, Sent> byNode = new HashMap<>();
    remote.sent.forEach(s -> assertThat(byNode.put(s.node(), s)).as("one send per node").isNull());
    assertThat(byNode).containsOnlyKeys("n1", "n2", "n3");
    assertThat(byNode.get("n1").plain()).isTrue();
    assertThat(byNode.get("n1").groups()).containsExactly("$share/h/t/#");
    assertThat(byNode.get("n2").plain()).isTrue();
    assertThat(byNode.get("n2").groups()).isEmpty();
    assertThat(byNode.get("n3").plain()).isFalse();
    assertThat(byNode.get("n3").groups()).containsExactly("$share/g/t/+");
  }

  @Test
  void aSharedGroupSpreadOverNodesIsServedByOneNodeAtATimeRoundRobin() {
    Routes routes = new Routes();
    Remote remote = new Remote();
    router.cluster(routes, remote);
    routes.sharedNodesByGroup.put("$share/g/t", Set.of("local", "n1", "n2"));
    Recorder local = new Recorder("l");
    router.subscribe(local, sub("$share/g/t", 1));

    for (int i = 0; i < 6; i++) {
      assertThat(router.route(message("t", 1, false, null)).result()).isEqualTo(1);
    }

    assertThat(local.got).hasSize(2);
    assertThat(remote.sent).hasSize(4);
    assertThat(remote.sent)
        .allSatisfy(
            s -> {
              assertThat(s.plain()).isFalse();
              assertThat(s.groups()).containsExactly("$share/g/t");
            });
    Set<String> nodes = new HashSet<>();
    remote.sent.forEach(s -> nodes.add(s.node()));
    assertThat(nodes).containsExactlyInAnyOrder("n1", "n2");
  }

  @Test
  void routeLocalServesOnlyTheGroupsItIsTold() {
    Recorder a = new Recorder("a");
    Recorder b = new Recorder("b");
    Recorder p = new Recorder("p");
    router.subscribe(a, sub("$share/g/t", 1));
    router.subscribe(b, sub("$share/h/t", 1));
    router.subscribe(p, sub("t", 1));

    assertThat(
            router.routeLocal(message("t", 1, false, null), false, List.of("$share/h/t")).result())
        .isEqualTo(1);
    assertThat(a.got).isEmpty();
    assertThat(b.got).hasSize(1);
    assertThat(p.got).isEmpty();

    // null: every matching local group
    assertThat(router.routeLocal(message("t", 1, false, null), true, null).result()).isEqualTo(3);
  }

  @Test
  void aSubscriptionRoutesLocallyBeforeTheClusterHearsOfIt() {
    // the route table write takes a while; a publish another event loop matches meanwhile (here:
    // during the announcement itself) must find the new subscriber, plain or shared
    Recorder responder = new Recorder("responder");
    Recorder member = new Recorder("member");
    List<Integer> reachedDuringAnnouncement = new ArrayList<>();
    router.cluster(
        new Routes() {
          @Override
          public void announce(String filter) {
            super.announce(filter);
            String topic = "requests/1";
            if (filter.startsWith("$share/")) {
              // as the cluster's table does: its own mirror first, then the write
              sharedNodesByGroup.put(filter, Set.of("local"));
              topic = "jobs/1";
            }
            reachedDuringAnnouncement.add(router.route(message(topic, 1, false, "req")).result());
          }
        },
        new Remote());

    router.subscribe(responder, sub("requests/+", 1));
    router.subscribe(member, sub("$share/workers/jobs/+", 1));

    assertThat(reachedDuringAnnouncement).containsExactly(1, 1);
    assertThat(responder.got).hasSize(1);
    assertThat(member.got).hasSize(1);
  }
}
