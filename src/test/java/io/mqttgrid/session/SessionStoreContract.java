package io.mqttgrid.session;

import static io.mqttgrid.session.SessionTests.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.QueuedMessage.State;
import io.mqttgrid.session.SessionQueue.AppendResult;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SessionStore} does, run against each implementation (the in-memory one of the
 * unit tests, and Hazelcast on a one-member cluster): ownership by connection, compare-and-set
 * changes that a later owner wins, the queue's bounds, duplicates and sequence numbers, adoption of
 * a departed node's sessions.
 *
 * <p>Each test names its own clients and nodes, so a store may be shared by the tests of a class.
 */
public abstract class SessionStoreContract {

  private static final AtomicInteger RUN = new AtomicInteger();
  private static final int MANY = 1_000;
  private static final long LOTS = 1L << 40;

  /** A prefix no other test of the run uses. */
  private final String unique = "t" + RUN.incrementAndGet() + "-" + System.nanoTime() + "-";

  protected abstract SessionStore store();

  private String id(String name) {
    return unique + name;
  }

  private static PublishedMessage message(String id, int payloadBytes) {
    return new PublishedMessage(
        id, "t", new byte[payloadBytes], 1, false, null, 1L, 0L, -1, null, null, null, null);
  }

  private static QueuedMessage queued(String id, int payloadBytes) {
    return new QueuedMessage(message(id, payloadBytes), new int[] {3}, null, State.QUEUED, 0);
  }

  private SessionRecord record(String client, String node, String connection) {
    return new SessionRecord(client, 5, 3600, node, connection)
        .subscriptions(List.of(new Subscription("a/+", 1, false, false, 0, 0)));
  }

  @Test
  public void aSavedRecordIsLoadedAsACopyAndNoneIsNull() {
    String client = id("c");
    assertThat(await(store().load(client))).isNull();
    SessionRecord saved =
        record(client, "n1", "conn-1")
            .will(message("w", 2), 5)
            .awaitingRelease(java.util.Set.of(4));
    await(store().save(saved));
    saved.subscriptions(List.of());

    SessionRecord loaded = await(store().load(client));
    assertThat(loaded.subscriptions()).extracting(Subscription::filter).containsExactly("a/+");
    assertThat(loaded.will().id()).isEqualTo("w");
    assertThat(loaded.willDelaySeconds()).isEqualTo(5);
    assertThat(loaded.awaitingRelease()).containsExactly(4);
    assertThat(loaded.ownerNode()).isEqualTo("n1");
    assertThat(loaded.connectionId()).isEqualTo("conn-1");
    assertThat(loaded.connected()).isTrue();
    loaded.offline(1);
    assertThat(await(store().load(client)).connected())
        .as("the stored record, not the caller's")
        .isTrue();
  }

  @Test
  public void onlyTheOwningConnectionDeletesTheRecordAndItsQueue() {
    String client = id("c");
    await(store().save(record(client, "n1", "conn-2")));
    await(store().claimQueue(client, "conn-2", true));
    await(store().append(client, queued("m1", 1), MANY, LOTS, "conn-2"));

    assertThat(await(store().deleteIfOwnedBy(client, "conn-1"))).isFalse();
    assertThat(await(store().load(client))).isNotNull();
    assertThat(await(store().queued(client))).hasSize(1);

    assertThat(await(store().deleteIfOwnedBy(client, "conn-2"))).isTrue();
    assertThat(await(store().load(client))).isNull();
    assertThat(await(store().queued(client))).isEmpty();
    assertThat(await(store().deleteIfOwnedBy(id("none"), "conn-2"))).isFalse();
  }

  @Test
  public void onlyTheOwningConnectionMarksTheRecordOffline() {
    String client = id("c");
    await(store().save(record(client, "n1", "conn-2")));

    assertThat(await(store().markOffline(client, "conn-1", 60, 1_000))).isFalse();
    assertThat(await(store().load(client)).connected()).isTrue();

    assertThat(await(store().markOffline(client, "conn-2", 60, 1_000))).isTrue();
    SessionRecord r = await(store().load(client));
    assertThat(r.connected()).isFalse();
    assertThat(r.disconnectedAtMillis()).isEqualTo(1_000);
    assertThat(r.expirySeconds()).isEqualTo(60);
    assertThat(r.isExpired(60_999)).isFalse();
    assertThat(r.isExpired(61_000)).isTrue();
    assertThat(await(store().markOffline(id("none"), "conn-2", 60, 1_000))).isFalse();
  }

  @Test
  public void subscriptionsOfAConnectionThatLostTheSessionAreNotSaved() {
    String client = id("c");
    await(store().save(record(client, "n1", "conn-1")));
    // a newer connection took the session over
    await(store().save(await(store().load(client)).online("n2", "conn-2", 5)));

    await(
        store()
            .saveSubscriptions(
                client, "conn-1", List.of(new Subscription("old", 0, false, false, 0, 0))));
    assertThat(await(store().load(client)).subscriptions())
        .extracting(Subscription::filter)
        .containsExactly("a/+");

    await(
        store()
            .saveSubscriptions(
                client, "conn-2", List.of(new Subscription("new", 2, true, true, 2, 9))));
    assertThat(await(store().load(client)).subscriptions())
        .containsExactly(new Subscription("new", 2, true, true, 2, 9));
    await(store().saveSubscriptions(id("none"), "conn-2", List.of()));
    assertThat(await(store().load(id("none")))).isNull();
  }

  @Test
  public void packetIdsAwaitingReleaseAreAddedAndRemoved() {
    String client = id("c");
    await(store().save(record(client, "n1", "conn-1")));
    await(store().addAwaitingRelease(client, 7));
    await(store().addAwaitingRelease(client, 8));
    await(store().addAwaitingRelease(client, 7));
    assertThat(await(store().load(client)).awaitingRelease()).containsExactly(7, 8);
    await(store().removeAwaitingRelease(client, 7));
    assertThat(await(store().load(client)).awaitingRelease()).containsExactly(8);
    await(store().addAwaitingRelease(id("none"), 1));
    assertThat(await(store().load(id("none")))).isNull();
  }

  @Test
  public void appendsGetIncreasingSequenceNumbersAndDuplicatesAreDropped() {
    String client = id("c");
    assertThat(await(store().claimQueue(client, "conn-1", false))).isEmpty();
    QueuedMessage a = queued("a", 1);
    QueuedMessage b = queued("b", 1);
    assertThat(await(store().append(client, a, MANY, LOTS, "conn-1")))
        .isEqualTo(AppendResult.APPENDED);
    assertThat(await(store().append(client, b, MANY, LOTS, "conn-1")))
        .isEqualTo(AppendResult.APPENDED);
    assertThat(b.seq()).isGreaterThan(a.seq()).as("the caller's message gets its number");
    assertThat(await(store().append(client, queued("a", 1), MANY, LOTS, "conn-1")))
        .isEqualTo(AppendResult.DUPLICATE);
    assertThat(await(store().queued(client)))
        .extracting(QueuedMessage::seq)
        .containsExactly(a.seq(), b.seq());
  }

  @Test
  public void theBoundsCountOnlyMessagesNotYetSent() {
    String client = id("c");
    await(store().claimQueue(client, "conn-1", false));
    QueuedMessage a = queued("a", 10);
    long twoAndABit = 2L * a.message().weight() + 5;
    assertThat(await(store().append(client, a, 2, twoAndABit, "conn-1")))
        .isEqualTo(AppendResult.APPENDED);
    assertThat(await(store().append(client, queued("b", 10), 2, twoAndABit, "conn-1")))
        .isEqualTo(AppendResult.APPENDED);
    assertThat(await(store().append(client, queued("c", 1), 2, LOTS, "conn-1")))
        .isEqualTo(AppendResult.OVERFLOW);
    assertThat(await(store().append(client, queued("c", 10), 3, twoAndABit, "conn-1")))
        .isEqualTo(AppendResult.OVERFLOW);

    await(store().markSent(client, a.seq(), 11));
    assertThat(await(store().append(client, queued("c", 10), 2, twoAndABit, "conn-1")))
        .isEqualTo(AppendResult.APPENDED);
    List<QueuedMessage> q = await(store().queued(client));
    assertThat(q).extracting(m -> m.message().id()).containsExactly("a", "b", "c");
    assertThat(q.get(0).state()).isEqualTo(State.SENT);
    assertThat(q.get(0).packetId()).isEqualTo(11);
  }

  @Test
  public void aReadGivesTheMessagesNotSentYetFromASequenceNumberOnWithinItsBounds() {
    String client = id("c");
    await(store().claimQueue(client, "conn-1", false));
    List<QueuedMessage> appended = new java.util.ArrayList<>();
    for (String name : List.of("a", "b", "c", "d", "e")) {
      QueuedMessage m = queued(name, 10);
      await(store().append(client, m, MANY, LOTS, "conn-1"));
      appended.add(m);
    }
    await(store().markSent(client, appended.get(2).seq(), 7));
    long weight = appended.get(0).message().weight();

    SessionQueue.Slice two = await(store().readQueue(client, appended.get(1).seq(), 2, LOTS));
    assertThat(two.messages())
        .as("b, then d: c was sent")
        .extracting(m -> m.message().id())
        .containsExactly("b", "d");
    assertThat(two.messages().get(1).seq()).isEqualTo(appended.get(3).seq());
    assertThat(two.messages().get(0).subscriptionIds()).containsExactly(3);
    assertThat(two.more()).isTrue();
    SessionQueue.Slice rest =
        await(store().readQueue(client, appended.get(3).seq() + 1, MANY, LOTS));
    assertThat(rest.messages()).extracting(m -> m.message().id()).containsExactly("e");
    assertThat(rest.more()).isFalse();
    assertThat(await(store().readQueue(client, 1, MANY, 2 * weight - 1)).messages())
        .as("by bytes")
        .extracting(m -> m.message().id())
        .containsExactly("a");
    assertThat(await(store().readQueue(client, 1, MANY, 1)).messages())
        .as("one message even when it alone weighs more")
        .hasSize(1);
    assertThat(await(store().queued(client))).as("a read changes nothing").hasSize(5);
    SessionQueue.Slice none = await(store().readQueue(id("none"), 1, MANY, LOTS));
    assertThat(none.messages()).isEmpty();
    assertThat(none.more()).isFalse();
  }

  @Test
  public void sentMessagesAreReleasedAndRemovedBySequenceNumber() {
    String client = id("c");
    await(store().claimQueue(client, "conn-1", false));
    QueuedMessage a = queued("a", 1);
    QueuedMessage b = queued("b", 1);
    await(store().append(client, a, MANY, LOTS, "conn-1"));
    await(store().append(client, b, MANY, LOTS, "conn-1"));
    await(store().markSent(client, a.seq(), 1));
    await(store().markReleased(client, a.seq()));
    await(store().remove(client, b.seq()));
    List<QueuedMessage> q = await(store().queued(client));
    assertThat(q).extracting(m -> m.message().id()).containsExactly("a");
    assertThat(q.get(0).state()).isEqualTo(State.RELEASED);
    // changes of a queue that does not exist create none
    await(store().markSent(id("none"), 1, 1));
    assertThat(await(store().queued(id("none")))).isEmpty();
  }

  @Test
  public void aClaimedQueueRefusesTheAppendsOfTheConnectionThatLostIt() {
    String client = id("c");
    await(store().claimQueue(client, "conn-1", false));
    await(store().append(client, queued("a", 1), MANY, LOTS, "conn-1"));

    List<QueuedMessage> taken = await(store().claimQueue(client, "conn-2", false));
    assertThat(taken).extracting(m -> m.message().id()).containsExactly("a");
    assertThat(await(store().append(client, queued("b", 1), MANY, LOTS, "conn-1")))
        .isEqualTo(AppendResult.FOREIGN);
    assertThat(await(store().append(client, queued("b", 1), MANY, LOTS, "conn-2")))
        .isEqualTo(AppendResult.APPENDED);

    assertThat(await(store().claimQueue(client, "conn-3", true)))
        .as("a session that starts anew")
        .isEmpty();
    assertThat(await(store().queued(client))).isEmpty();
  }

  @Test
  public void anUnclaimedQueueBelongsToItsFirstAppender() {
    String client = id("c");
    assertThat(await(store().append(client, queued("a", 1), MANY, LOTS, "conn-1")))
        .isEqualTo(AppendResult.APPENDED);
    assertThat(await(store().append(client, queued("b", 1), MANY, LOTS, "conn-2")))
        .isEqualTo(AppendResult.FOREIGN);
  }

  @Test
  public void deleteRemovesRecordAndQueue() {
    String client = id("c");
    await(store().save(record(client, "n1", "conn-1")));
    await(store().append(client, queued("a", 1), MANY, LOTS, "conn-1"));
    await(store().delete(client));
    assertThat(await(store().load(client))).isNull();
    assertThat(await(store().queued(client))).isEmpty();
  }

  @Test
  public void aConnectionRecordIsReleasedOnlyByItsConnectionAndPurgedWithItsNode() {
    String client = id("c");
    String other = id("other");
    String node = id("n1");
    assertThat(await(store().claimConnection(client, node, "conn-1"))).isNull();
    assertThat(await(store().claimConnection(client, node, "conn-2"))).isEqualTo(node + "|conn-1");

    await(store().releaseConnection(client, "conn-1"));
    assertThat(await(store().claimConnection(client, node, "conn-2")))
        .as("still held")
        .isEqualTo(node + "|conn-2");
    await(store().releaseConnection(client, "conn-2"));
    assertThat(await(store().claimConnection(client, node, "conn-3"))).as("released").isNull();

    await(store().claimConnection(other, id("n2"), "conn-9"));
    await(store().purgeConnections(node));
    assertThat(await(store().claimConnection(client, id("n2"), "conn-4"))).as("purged").isNull();
    assertThat(await(store().claimConnection(other, id("n2"), "conn-10")))
        .isEqualTo(id("n2") + "|conn-9");
  }

  @Test
  public void aDepartedNodesSessionsAreAdoptedInOneOperation() {
    String dead = id("dead");
    String online = id("online");
    String offline = id("offline");
    String elsewhere = id("elsewhere");
    await(store().save(record(online, dead, "conn-1")));
    await(store().save(record(offline, dead, "conn-2").offline(500)));
    await(store().save(record(elsewhere, id("alive"), "conn-3")));

    Map<String, SessionRecord> moved =
        await(store().adoptAll(Set.of(online, offline, elsewhere), dead, id("survivor"), 9_000));

    assertThat(moved.keySet()).containsExactlyInAnyOrder(online, offline);
    assertThat(moved.get(online).connected()).isTrue();
    assertThat(await(store().load(online)).ownerNode()).isEqualTo(id("survivor"));
    assertThat(await(store().load(online)).connected()).isFalse();
    assertThat(await(store().load(elsewhere)).ownerNode()).isEqualTo(id("alive"));
    assertThat(await(store().adoptAll(Set.of(online), dead, id("late"), 9_500))).isEmpty();
  }

  @Test
  public void aSaveOverAnswersTheRecordItReplaced() {
    String client = id("moved");
    assertThat(await(store().saveOver(record(client, id("first"), "conn-1")))).isNull();
    await(store().adoptAll(Set.of(client), id("first"), id("adopter"), 9_000));

    SessionRecord before = await(store().saveOver(record(client, id("back"), "conn-2")));
    assertThat(before.ownerNode()).isEqualTo(id("adopter"));
    assertThat(before.connected()).as("adopted: offline").isFalse();
    assertThat(await(store().load(client)).ownerNode()).isEqualTo(id("back"));
  }

  @Test
  public void aDepartedNodesSessionsAreFoundAndAdoptedOnce() {
    String dead = id("dead");
    String online = id("online");
    String offline = id("offline");
    String elsewhere = id("elsewhere");
    await(store().save(record(online, dead, "conn-1")));
    await(store().save(record(offline, dead, "conn-2").offline(500)));
    await(store().save(record(elsewhere, id("alive"), "conn-3")));

    assertThat(await(store().ownedBy(dead)))
        .extracting(SessionRecord::clientId)
        .containsExactlyInAnyOrder(online, offline);

    SessionRecord before = await(store().adopt(online, dead, id("survivor"), 9_000));
    assertThat(before.ownerNode()).isEqualTo(dead);
    assertThat(before.connected()).isTrue();
    SessionRecord after = await(store().load(online));
    assertThat(after.ownerNode()).isEqualTo(id("survivor"));
    assertThat(after.connected()).isFalse();
    assertThat(after.disconnectedAtMillis()).isEqualTo(9_000);

    await(store().adopt(offline, dead, id("survivor"), 9_000));
    assertThat(await(store().load(offline)).disconnectedAtMillis())
        .as("offline since before")
        .isEqualTo(500);

    assertThat(await(store().adopt(online, dead, id("late"), 9_500)))
        .as("adopted already")
        .isNull();
    assertThat(await(store().adopt(elsewhere, dead, id("late"), 9_500)))
        .as("never the dead node's")
        .isNull();
    assertThat(await(store().load(elsewhere)).ownerNode()).isEqualTo(id("alive"));
    assertThat(await(store().adopt(id("none"), dead, id("late"), 9_500))).isNull();
    assertThat(await(store().ownedBy(dead))).isEmpty();
  }

  @Test
  public void aStoredSessionIsRestoredWhateverItsOwnerUnlessItsClientConnectedAgain() {
    String online = id("r-online");
    String offline = id("r-offline");
    String back = id("r-back");
    await(store().save(record(online, id("gone-1"), "conn-1")));
    await(store().save(record(offline, id("gone-2"), "conn-2").offline(500)));
    await(store().save(record(back, id("gone-1"), "conn-3")));

    assertThat(await(store().all()))
        .extracting(SessionRecord::clientId)
        .contains(online, offline, back);

    SessionRecord before = await(store().restore(online, "conn-1", id("first"), 9_000));
    assertThat(before.ownerNode()).isEqualTo(id("gone-1"));
    SessionRecord after = await(store().load(online));
    assertThat(after.ownerNode()).isEqualTo(id("first"));
    assertThat(after.connected()).isFalse();
    assertThat(after.disconnectedAtMillis()).as("offline from the restore").isEqualTo(9_000);

    await(store().restore(offline, "conn-2", id("first"), 9_000));
    assertThat(await(store().load(offline)).disconnectedAtMillis())
        .as("offline since it went offline, as stored")
        .isEqualTo(500);

    // its client connected again (a new connection id) between the read and the restore
    await(store().save(record(back, id("other"), "conn-4")));
    assertThat(await(store().restore(back, "conn-3", id("first"), 9_000))).isNull();
    assertThat(await(store().load(back)).ownerNode()).isEqualTo(id("other"));
    assertThat(await(store().restore(id("r-none"), "conn-5", id("first"), 9_000))).isNull();
  }

  @Test
  public void searchFindsTheClientIdsThatContainTheTextIgnoringCaseAndWildcards() {
    String mixed = id("Search-Sensor_7");
    String other = id("search-sensorx7");
    String percent = id("search-100%-done");
    String backslash = id("search-a\\");
    for (String client : List.of(mixed, other, percent, backslash)) {
      await(store().save(record(client, "n1", "conn-1")));
    }
    assertThat(await(store().search(unique + "SEARCH-")))
        .extracting(SessionRecord::clientId)
        .containsExactlyInAnyOrder(mixed, other, percent, backslash);
    // an underscore, a percent sign and a trailing backslash are the text itself, not wildcards
    assertThat(await(store().search("sensor_7")))
        .extracting(SessionRecord::clientId)
        .contains(mixed)
        .doesNotContain(other);
    assertThat(await(store().search(unique + "search-100%")))
        .extracting(SessionRecord::clientId)
        .containsExactly(percent);
    assertThat(await(store().search(unique + "search-%")))
        .extracting(SessionRecord::clientId)
        .isEmpty();
    assertThat(await(store().search("search-a\\")))
        .extracting(SessionRecord::clientId)
        .contains(backslash);
    assertThat(await(store().search(unique + "no-such"))).isEmpty();
  }
}
