package io.mqttgrid.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.SerializationConfig;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.QueueChange;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.QueuedMessage.State;
import io.mqttgrid.session.SessionQueue;
import io.mqttgrid.session.SessionQueue.AppendResult;
import io.mqttgrid.session.SessionRecord;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What travels between members: the stored session records and queues keep every field, and each
 * entry processor and predicate is created by the broker's factory and reads back what it wrote.
 */
class BrokerSerializationTest {

  private static final long LOTS = 1L << 40;

  private final InternalSerializationService serialization = serializationService();

  private static InternalSerializationService serializationService() {
    SerializationConfig config = new SerializationConfig();
    BrokerSerialization.register(config);
    return new DefaultSerializationServiceBuilder().setConfig(config).build();
  }

  private static PublishedMessage message(String id, int payloadBytes) {
    return new PublishedMessage(
        id, "t", new byte[payloadBytes], 1, false, null, 1L, 0L, -1, null, null, null, null);
  }

  private static QueuedMessage queued(String id, int payloadBytes) {
    return new QueuedMessage(message(id, payloadBytes), new int[] {3}, null, State.QUEUED, 0);
  }

  private <T> T roundTrip(T object) {
    return serialization.toObject(serialization.toData(object));
  }

  @Test
  void theStoredQueueKeepsEntriesOwnerSequenceAndBounds() {
    SessionQueue q = new SessionQueue();
    q.append(queued("a", 10), 2, LOTS, "c1");
    q.append(
        new QueuedMessage(message("b", 10), new int[] {1, 2}, "$share/g/t", State.QUEUED, 0),
        2,
        LOTS,
        "c1");
    q.append(queued("c", 10), 3, LOTS, "c1");
    long first = q.snapshot().get(0).seq();
    q.markSent(first, 77);
    q.remove(q.snapshot().get(2).seq());

    SessionQueue back = roundTrip(q);

    List<QueuedMessage> s = back.snapshot();
    assertThat(s).extracting(m -> m.message().id()).containsExactly("a", "b");
    assertThat(s.get(0).state()).isEqualTo(State.SENT);
    assertThat(s.get(0).packetId()).isEqualTo(77);
    assertThat(s.get(0).subscriptionIds()).containsExactly(3);
    assertThat(s.get(1).sharedGroup()).isEqualTo("$share/g/t");
    assertThat(s.get(1).subscriptionIds()).containsExactly(1, 2);
    // ids, owner, next sequence and the queued count are rebuilt
    assertThat(back.append(queued("a", 10), 2, LOTS, "c1")).isEqualTo(AppendResult.DUPLICATE);
    assertThat(back.append(queued("d", 10), 2, LOTS, "other")).isEqualTo(AppendResult.FOREIGN);
    assertThat(back.append(queued("d", 10), 2, LOTS, "c1")).isEqualTo(AppendResult.APPENDED);
    assertThat(back.snapshot().get(2).seq()).isEqualTo(4);
    assertThat(back.append(queued("e", 10), 2, LOTS, "c1")).isEqualTo(AppendResult.OVERFLOW);
  }

  @Test
  void theStoredRecordKeepsEveryField() {
    Subscription sub = new Subscription("$share/g/a/+", 2, true, true, 1, 42);
    SessionRecord online =
        new SessionRecord("dev-1", 5, 3600, "n1", "conn-1")
            .subscriptions(List.of(sub, new Subscription("b/#", 0, false, false, 0, 0)))
            .will(message("will-1", 3), 30)
            .awaitingRelease(Set.of(7));

    SessionRecord back = roundTrip(online);
    assertThat(back).usingRecursiveComparison().isEqualTo(online);
    assertThat(back.connected()).isTrue();

    SessionRecord offline = online.copy().offline(123_456L);
    SessionRecord offlineBack = roundTrip(offline);
    assertThat(offlineBack).usingRecursiveComparison().isEqualTo(offline);
    assertThat(offlineBack.connected()).isFalse();
    assertThat(offlineBack.disconnectedAtMillis()).isEqualTo(123_456L);

    SessionRecord bare = new SessionRecord("dev-2", 4, 0, null, null);
    assertThat(roundTrip(bare)).usingRecursiveComparison().isEqualTo(bare);
  }

  @Test
  void everyProcessorAndPredicateIsMadeByTheFactoryAndReadsBackWhatItWrote() {
    List<IdentifiedDataSerializable> all =
        List.of(
            new ChangeQueue(
                List.of(
                    QueueChange.append(queued("m", 4), 10, 1000),
                    QueueChange.sent(4, 7),
                    QueueChange.released(5),
                    QueueChange.remove(6),
                    QueueChange.append(queued("n", 2), 3, 99)),
                "c1"),
            new ClaimQueue("c1", true),
            new ReadQueue(7, 1_000, 1L << 20),
            new ReadQueue.Slice(
                new SessionQueue.Slice(List.of(queued("a", 10), queued("b", 3)), true)),
            new DeleteRecordIfOwned("c1"),
            new MarkRecordOffline("c1", 60, 99),
            new SetRecordSubscriptions(
                "c1", List.of(new Subscription("a/b", 1, false, true, 2, 3))),
            new ChangeAwaitingRelease(12, true),
            new AdoptRecord("n1", "n2", 77),
            new RestoreRecord("c1", "n2", 77),
            new ReleaseConnection("c1"),
            new RecordOwnedBy("n1"),
            new ConnectionToNode("n1"),
            new KeyHasPrefix("clients/", true),
            new RemoveEntry());
    Set<Integer> classIds = new HashSet<>();
    BrokerSerialization.Factory factory = new BrokerSerialization.Factory();
    for (IdentifiedDataSerializable o : all) {
      assertThat(o.getFactoryId()).isEqualTo(BrokerSerialization.FACTORY_ID);
      assertThat(classIds.add(o.getClassId()))
          .as("class id of %s is its own", o.getClass())
          .isTrue();
      assertThat(factory.create(o.getClassId())).isInstanceOf(o.getClass());
      Data data = serialization.toData(o);
      Object back = serialization.toObject(data);
      Data again = serialization.toData(back);
      assertThat(back).isInstanceOf(o.getClass());
      assertThat((Object) again).as("%s written again", o.getClass()).isEqualTo(data);
    }
    // every class id the factory knows is in the list above
    Set<Integer> known = new HashSet<>();
    for (java.lang.reflect.Field f : BrokerSerialization.class.getDeclaredFields()) {
      if (f.getType() == int.class
          && java.lang.reflect.Modifier.isStatic(f.getModifiers())
          && !f.getName().equals("FACTORY_ID")
          && !f.getName().endsWith("_TYPE")) {
        try {
          f.setAccessible(true);
          known.add(f.getInt(null));
        } catch (IllegalAccessException e) {
          throw new AssertionError(e);
        }
      }
    }
    assertThat(classIds).as("class ids tested").isEqualTo(known);
  }
}
