package io.mqttgrid.session;

import static io.mqttgrid.session.SessionTests.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.RouteTable;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.QueuedMessage.State;
import io.mqttgrid.session.SessionManager.Attached;
import io.mqttgrid.session.SessionManager.ConnectRequest;
import io.mqttgrid.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The session logic of one node against the in-memory store, no cluster: a session found in the
 * store is resumed or discarded as CONNECT asks, and a departed node's sessions are adopted, their
 * wills sent.
 */
class SessionManagerTest {

  private static final String NODE = "n-here";
  private static final String DEAD = "n-dead";

  private final Vertx vertx = Vertx.vertx();
  private final InMemorySessionStore store = new InMemorySessionStore(vertx);
  private final List<PublishedMessage> wills = new CopyOnWriteArrayList<>();
  private final SessionManager manager = manager();

  private SessionManager manager() {
    return manager(new MessageRouter());
  }

  private SessionManager manager(MessageRouter router) {
    SessionLimits limits = new SessionLimitsBuilder().build();
    SessionManager m =
        new SessionManager(vertx, NODE, store, router, limits, SessionTests.NO_EVENTS);
    m.willPublisher(
        will -> {
          wills.add(will);
          return Future.succeededFuture();
        });
    return m;
  }

  @AfterEach
  void closeVertx() {
    vertx.close();
  }

  private static PublishedMessage message(String id, String topic) {
    return new PublishedMessage(
        id, topic, new byte[] {1}, 1, false, null, 1L, 0L, -1, null, null, null, null);
  }

  /**
   * A persistent session its client left on a node that is gone, with one message queued for it.
   */
  private void storedOfflineSession(String clientId) {
    await(
        store.save(
            new SessionRecord(clientId, 5, 3600, DEAD, "old-conn")
                .subscriptions(List.of(new Subscription("a/+", 1, false, false, 0, 0)))
                .awaitingRelease(java.util.Set.of(9))
                .offline(System.currentTimeMillis())));
    await(store.claimQueue(clientId, "old-conn", true));
    await(
        store.append(
            clientId,
            new QueuedMessage(message("m1", "a/b"), new int[0], null, State.QUEUED, 0),
            10,
            1L << 20,
            "old-conn"));
  }

  @Test
  void aCleanStartWithNothingStoredDiscardsNothing() {
    Attached attached = await(manager.connect(new ConnectRequest("fresh-1", true, 0, 5, null, 0)));

    assertThat(attached.sessionPresent()).isFalse();
    assertThat(store.deletes()).isZero();
  }

  @Test
  void aCleanStartDiscardsAStoredSession() {
    storedOfflineSession("dev-2");

    Attached attached = await(manager.connect(new ConnectRequest("dev-2", true, 0, 5, null, 0)));

    assertThat(attached.sessionPresent()).isFalse();
    assertThat(attached.queued()).isEmpty();
    assertThat(await(store.load("dev-2"))).isNull();
    assertThat(await(store.queued("dev-2"))).isEmpty();
  }

  @Test
  void aStoredSessionIsResumedWithItsSubscriptionsQueueAndPendingReleases() {
    storedOfflineSession("dev-1");

    Attached attached =
        await(manager.connect(new ConnectRequest("dev-1", false, 3600, 5, null, 0)));

    assertThat(attached.sessionPresent()).isTrue();
    assertThat(attached.queued()).extracting(m -> m.message().id()).containsExactly("m1");
    assertThat(attached.awaitingRelease()).containsExactly(9);
    assertThat(attached.session().subscriptions())
        .extracting(Subscription::filter)
        .containsExactly("a/+");
    SessionRecord r = await(store.load("dev-1"));
    assertThat(r.ownerNode()).isEqualTo(NODE);
    assertThat(r.connected()).isTrue();
    assertThat(r.connectionId()).isNotEqualTo("old-conn");
    // the old connection's appends are refused from now on
    assertThat(
            await(
                store.append(
                    "dev-1",
                    new QueuedMessage(message("m2", "a/b"), new int[0], null, State.QUEUED, 0),
                    10,
                    1L << 20,
                    "old-conn")))
        .isEqualTo(SessionQueue.AppendResult.FOREIGN);
  }

  @Test
  void aReconnectOnThisNodeSupersedesTheOldCopyAtOnce() {
    Attached first = await(manager.connect(new ConnectRequest("dev-3", false, 3600, 5, null, 0)));
    assertThat(first.session().superseded()).isFalse();

    Attached second = await(manager.connect(new ConnectRequest("dev-3", false, 3600, 5, null, 0)));

    assertThat(first.session().superseded()).isTrue();
    assertThat(second.session().superseded()).isFalse();
    assertThat(manager.local("dev-3")).isSameAs(second.session());
  }

  @Test
  void aMessageThatReachesAResumedSessionBeforeItOwnsItsQueueIsKeptAndTheSessionLives() {
    MessageRouter router = new MessageRouter();
    SessionManager m = manager(router);
    storedOfflineSession("dev-4");
    Promise<Void> claim = store.holdQueueClaims();

    Future<Attached> connecting = m.connect(new ConnectRequest("dev-4", false, 3600, 5, null, 0));
    // the resumed session is routed to (its subscription a/+ restored) while its claim is held
    Await.until(
        "the resumed session is routed to", Duration.ofSeconds(10), () -> m.local("dev-4") != null);
    Future<Integer> routed = router.route(message("m2", "a/c"));
    // the delivery is handled on the session's context before the claim goes through
    Promise<Void> handled = Promise.promise();
    m.local("dev-4").onContext(handled::complete);
    await(handled.future());
    claim.complete();
    Attached attached = await(connecting);

    assertThat(await(routed)).as("publish reached a session").isEqualTo(1);
    assertThat(m.local("dev-4")).as("the new session is still served").isSameAs(attached.session());
    assertThat(attached.session().state()).isNotEqualTo(Session.State.CLOSED);
    Await.until(
        "m2 stored after m1 in the session's queue",
        Duration.ofSeconds(10),
        () ->
            await(store.queued("dev-4")).stream()
                .map(q -> q.message().id())
                .toList()
                .equals(List.of("m1", "m2")));
  }

  @Test
  void cleanStartDiscardsTheStoredSession() {
    storedOfflineSession("dev-2");

    Attached attached = await(manager.connect(new ConnectRequest("dev-2", true, 3600, 5, null, 0)));

    assertThat(attached.sessionPresent()).isFalse();
    assertThat(attached.queued()).isEmpty();
    assertThat(attached.session().subscriptions()).isEmpty();
    assertThat(await(store.load("dev-2")).subscriptions()).isEmpty();
    assertThat(await(store.queued("dev-2"))).isEmpty();
  }

  @Test
  void aDepartedNodesSessionsAreAdoptedAndTheWillsOfItsConnectedClientsSent()
      throws InterruptedException {
    long now = System.currentTimeMillis();
    // connected there, session ends with the connection: only the will is left
    await(
        store.save(
            new SessionRecord("ends", 5, 0, DEAD, "c1")
                .will(message("will-ends", "wills/ends"), 0)));
    // connected there, persistent, will without delay: adopted offline, will sent
    await(
        store.save(
            new SessionRecord("stays", 5, 3600, DEAD, "c2")
                .will(message("will-stays", "wills/stays"), 0)
                .subscriptions(List.of(new Subscription("s/#", 1, false, false, 0, 0)))));
    // offline there already: adopted, its will was its old connection's business
    await(
        store.save(
            new SessionRecord("offline", 5, 3600, DEAD, "c3")
                .will(message("will-off", "wills/off"), 0)
                .offline(now - 1_000)));
    // another node's
    await(store.save(new SessionRecord("elsewhere", 5, 3600, "n-alive", "c4")));
    await(store.claimConnection("stays", DEAD, "c2"));

    assertThat(await(manager.adoptSessionsOf(DEAD))).isEqualTo(3);

    assertThat(await(store.load("ends"))).isNull();
    SessionRecord stays = await(store.load("stays"));
    assertThat(stays.ownerNode()).isEqualTo(NODE);
    assertThat(stays.connected()).isFalse();
    assertThat(await(store.load("offline")).ownerNode()).isEqualTo(NODE);
    assertThat(await(store.load("elsewhere")).ownerNode()).isEqualTo("n-alive");
    assertThat(manager.local("stays")).isNotNull();
    assertThat(manager.local("offline")).isNotNull();
    assertThat(manager.local("ends")).isNull();
    assertThat(await(store.claimConnection("stays", NODE, "c9")))
        .as("the dead node's connection is purged")
        .isNull();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (wills.size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(wills)
        .extracting(PublishedMessage::id)
        .containsExactlyInAnyOrder("will-ends", "will-stays");
  }

  /**
   * The route table of a cluster whose other nodes confirm this node's new routes only when the
   * test says so (the route news answers and the map's entry events take a while on a busy
   * cluster).
   */
  private static final class SlowToConfirmRoutes implements RouteTable {
    final Set<String> announced = ConcurrentHashMap.newKeySet();
    final Set<String> withdrawn = ConcurrentHashMap.newKeySet();
    final Promise<Void> othersKnow = Promise.promise();

    @Override
    public void announce(String filter) {
      announced.add(filter);
    }

    @Override
    public void withdraw(String filter) {
      withdrawn.add(filter);
    }

    @Override
    public Set<String> remoteNodesFor(String topic) {
      return Set.of();
    }

    @Override
    public void sharedGroupsFor(String topic, BiConsumer<String, Set<String>> sink) {}

    @Override
    public Future<Void> announcedEverywhere() {
      return othersKnow.future();
    }

    @Override
    public String localNode() {
      return NODE;
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(condition.getAsBoolean()).isTrue();
  }

  @Test
  void anAdoptionEndsOnlyOnceEveryNodeRoutesTheAdoptedSubscriptionsHere()
      throws InterruptedException {
    // the caller purges the departed node's routes when the adoption ends: before the adopted
    // subscriptions
    // route from here, a publish would find no route and be acknowledged "no matching subscribers"
    SlowToConfirmRoutes routes = new SlowToConfirmRoutes();
    MessageRouter router = new MessageRouter();
    router.cluster(routes, (node, message, plain, shared) -> Future.failedFuture("no other node"));
    SessionManager m = manager(router);
    await(
        store.save(
            new SessionRecord("stays", 5, 3600, DEAD, "c2")
                .subscriptions(List.of(new Subscription("s/#", 1, false, false, 0, 0)))));

    Future<Integer> adopted = m.adoptSessionsOf(DEAD);
    awaitTrue(() -> routes.announced.contains("s/#"));

    assertThat(adopted.isComplete())
        .as("adopted before the other nodes route its subscription here")
        .isFalse();
    routes.othersKnow.complete();
    assertThat(await(adopted)).isEqualTo(1);
    assertThat(await(router.routeLocal(message("m", "s/1"), true, null)))
        .as("routed here")
        .isEqualTo(1);
  }

  @Test
  void aTakeoverFromAnotherNodeRetiresTheOldCopyOnlyOnceTheNewCopysRoutesAreKnown()
      throws InterruptedException {
    // the old copy withdraws its routes when retired: before the other nodes route to the new copy,
    // a publish
    // there would find no route and be acknowledged "no matching subscribers"
    SlowToConfirmRoutes routes = new SlowToConfirmRoutes();
    MessageRouter router = new MessageRouter();
    router.cluster(routes, (node, message, plain, shared) -> Future.failedFuture("no other node"));
    SessionManager m = manager(router);
    List<String> retired = new CopyOnWriteArrayList<>();
    m.remoteSessions(
        new RemoteSessions() {
          @Override
          public boolean isAlive(String node) {
            return node.equals("n-other");
          }

          @Override
          public Future<Void> stepDown(String node, String clientId, boolean sessionContinues) {
            return Future.succeededFuture();
          }

          @Override
          public Future<Void> retire(String node, String clientId, boolean sessionContinues) {
            retired.add(node + "/" + clientId);
            return Future.succeededFuture();
          }
        });
    await(
        store.save(
            new SessionRecord("moving", 5, 3600, "n-other", "c-old")
                .subscriptions(List.of(new Subscription("m/#", 1, false, false, 0, 0)))));
    await(store.claimConnection("moving", "n-other", "c-old"));

    Future<Attached> connected = m.connect(new ConnectRequest("moving", false, 3600, 5, null, 0));
    awaitTrue(() -> routes.announced.contains("m/#"));
    Thread.sleep(200); // room for a retire request that does not wait

    assertThat(retired).as("retired before the new copy's routes are known").isEmpty();
    routes.othersKnow.complete();
    assertThat(await(connected).sessionPresent()).isTrue();
    assertThat(retired).containsExactly("n-other/moving");
  }

  /** The other nodes' sessions as a node sees them: what it asked of whom. */
  private static final class RecordingRemoteSessions implements RemoteSessions {
    final List<String> steppedDown = new CopyOnWriteArrayList<>();
    final List<String> retired = new CopyOnWriteArrayList<>();

    @Override
    public boolean isAlive(String node) {
      return node.equals("n-other");
    }

    @Override
    public Future<Void> stepDown(String node, String clientId, boolean sessionContinues) {
      steppedDown.add(node + "/" + clientId);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> retire(String node, String clientId, boolean sessionContinues) {
      retired.add(node + "/" + clientId + (sessionContinues ? "" : " (ends)"));
      return Future.succeededFuture();
    }
  }

  @Test
  void anOfflineCopyOnAnotherNodeIsRetiredWithoutAStepDown() {
    // adopted by a survivor, or left offline by its client: no connection to close there, so the
    // takeover waits for no step-down answer from a node that may be busy adopting
    RecordingRemoteSessions remote = new RecordingRemoteSessions();
    manager.remoteSessions(remote);
    await(
        store.save(
            new SessionRecord("adopted", 5, 3600, "n-other", "c-old")
                .subscriptions(List.of(new Subscription("a/#", 1, false, false, 0, 0)))
                .offline(System.currentTimeMillis())));
    await(store.claimQueue("adopted", "c-old", true));
    await(
        store.append(
            "adopted",
            new QueuedMessage(message("meanwhile", "a/b"), new int[0], null, State.QUEUED, 0),
            10,
            1L << 20,
            "c-old"));

    Attached attached =
        await(manager.connect(new ConnectRequest("adopted", false, 3600, 5, null, 0)));

    assertThat(remote.steppedDown).isEmpty();
    assertThat(remote.retired).containsExactly("n-other/adopted");
    assertThat(attached.sessionPresent()).isTrue();
    assertThat(attached.queued())
        .as("what the old copy queued before the takeover")
        .extracting(m -> m.message().id())
        .containsExactly("meanwhile");
  }

  @Test
  void aConnectedCopyOnAnotherNodeStillStepsDownFirst() {
    RecordingRemoteSessions remote = new RecordingRemoteSessions();
    manager.remoteSessions(remote);
    await(store.save(new SessionRecord("online", 5, 3600, "n-other", "c-old")));
    await(store.claimConnection("online", "n-other", "c-old"));

    await(manager.connect(new ConnectRequest("online", true, 0, 5, null, 0)));

    assertThat(remote.steppedDown).containsExactly("n-other/online");
    assertThat(remote.retired).containsExactly("n-other/online (ends)");
  }

  @Test
  void anAdoptedCopyIsRoutedHereEvenWhenItsClientIsConnectingElsewhere() {
    // the client's connect on another node may wait seconds (a step-down towards the dead node)
    // before its session routes there, and the departed node's routes are purged once the adoption
    // ends: without this copy, a QoS 1 publish meanwhile is acknowledged "no matching subscribers"
    // and lost (ClusterNodeLossClusterIT, RollingRestartClusterIT). The connect retires the copy
    // once it routes
    MessageRouter router = new MessageRouter();
    SessionManager m = manager(router);
    await(
        store.save(
            new SessionRecord("back", 5, 3600, DEAD, "c-dead")
                .subscriptions(List.of(new Subscription("b/#", 1, false, false, 0, 0)))));
    await(store.claimConnection("back", "n-other", "c-new"));

    assertThat(await(m.adoptSessionsOf(DEAD))).isEqualTo(1);

    assertThat(m.local("back")).isNotNull();
    assertThat(await(router.routeLocal(message("m1", "b/1"), true, null)))
        .as("the adopted copy is routed to until the new connection retires it")
        .isEqualTo(1);
  }

  @Test
  void aConnectRetiresTheCopyASurvivorAdoptedAfterTheConnectReadWhoHostedTheSession() {
    // the connection record still named the departed node (the survivor purges it only now), the
    // record the connect saves over names the survivor: its copy would stay routed, refusing every
    // publish (the queue is this connection's), with nobody to retire it
    RecordingRemoteSessions remote = new RecordingRemoteSessions();
    manager.remoteSessions(remote);
    await(
        store.save(
            new SessionRecord("roamer", 5, 3600, "n-other", "c-dead")
                .subscriptions(List.of(new Subscription("r/#", 1, false, false, 0, 0)))
                .offline(System.currentTimeMillis())));
    await(store.claimConnection("roamer", DEAD, "c-dead"));

    Attached attached =
        await(manager.connect(new ConnectRequest("roamer", false, 3600, 5, null, 0)));

    assertThat(attached.sessionPresent()).isTrue();
    assertThat(remote.steppedDown).isEmpty();
    assertThat(remote.retired).containsExactly("n-other/roamer");
  }

  @Test
  void aRetireRequestThatArrivesBeforeTheAdopterListedTheCopyRetiresItOnceListed() {
    // the store moved the record here, the connection elsewhere saved over it and asked for the
    // retirement, and this node has not read the move's answer yet
    MessageRouter router = new MessageRouter();
    SessionManager m = manager(router);
    await(
        store.save(
            new SessionRecord("early", 5, 3600, DEAD, "c-dead")
                .subscriptions(List.of(new Subscription("e/#", 1, false, false, 0, 0)))));
    Promise<Void> answer = store.holdAdoptionAnswers();
    Future<Integer> adopted = m.adoptSessionsOf(DEAD);
    Await.until(
        "the record moved here",
        Duration.ofSeconds(10),
        () -> NODE.equals(await(store.load("early")).ownerNode()));

    Future<Void> retired = m.retireLocal("early", true);
    answer.complete();

    await(adopted);
    await(retired);
    assertThat(m.local("early")).isNull();
    assertThat(await(router.routeLocal(message("m1", "e/1"), true, null)))
        .as("no copy left routed here")
        .isZero();
  }

  @Test
  void aCopyAnAdoptionListsWhileItsClientConnectsHereIsRetired() throws InterruptedException {
    // the connect found no copy when it began; the one listed meanwhile is superseded by the new
    // session and must not run on (its routes, its will and expiry timers)
    MessageRouter router = new MessageRouter();
    SessionManager m = manager(router);
    await(
        store.save(
            new SessionRecord("here", 5, 3600, DEAD, "c-dead")
                .subscriptions(List.of(new Subscription("h/#", 1, false, false, 0, 0)))));
    Promise<Void> loads = store.holdLoads();
    Future<Attached> connected = m.connect(new ConnectRequest("here", false, 3600, 5, null, 0));
    Thread.sleep(100); // the connect reads the connection record, then waits for the record
    assertThat(await(m.adoptSessionsOf(DEAD))).isEqualTo(1);
    Session copy = m.local("here");
    assertThat(copy).isNotNull();

    loads.complete();
    Attached attached = await(connected);

    assertThat(attached.sessionPresent()).isTrue();
    assertThat(m.local("here")).isSameAs(attached.session());
    awaitTrue(() -> copy.state() == Session.State.CLOSED);
    assertThat(await(router.routeLocal(message("m1", "h/1"), true, null)))
        .as("the new session only")
        .isEqualTo(1);
  }

  @Test
  void anOfflineCopyRetiredByATakeoverSendsItsPendingWillWhenTheSessionEnds()
      throws InterruptedException {
    // it was not asked to step down first: the retire request does what the step-down did
    await(
        store.save(
            new SessionRecord("willing", 5, 3600, DEAD, "c-dead")
                .will(message("will-willing", "wills/w"), 300)));
    assertThat(await(manager.adoptSessionsOf(DEAD))).isEqualTo(1);
    assertThat(wills).isEmpty();

    await(manager.retireLocal("willing", false));

    awaitTrue(() -> wills.size() == 1);
    assertThat(manager.local("willing")).isNull();
  }
}
