package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.session.OutboundWindow.Admission;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OutboundWindowTest {

  /** A message of topic "t" with a payload of {@code n} bytes weighs n + 65. */
  private static final int WEIGHT_OF_EMPTY = 65;

  private final OutboundBudget.Totals totals = new OutboundBudget.Totals();
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final Recorder outcomes = new Recorder();
  private final Client client = new Client();

  // ---- the window, Receive Maximum ----

  @Test
  void sendsNoMoreThanTheReceiveMaximumAndTheRestInOrderAsAcknowledgementsComeIn() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 2;
    w.attach(client, List.of());

    List<Admission> admissions = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      admissions.add(offer(w, msg("m" + i, 1, 0)));
    }

    assertThat(admissions)
        .containsExactly(
            Admission.SEND, Admission.SEND, Admission.WAIT, Admission.WAIT, Admission.WAIT);
    assertThat(client.packets).containsExactly("PUBLISH m1 q1 id1", "PUBLISH m2 q1 id2");
    w.acknowledged(1);
    assertThat(client.packets).endsWith("PUBLISH m3 q1 id3");
    assertThat(client.packets).hasSize(3);
    w.acknowledged(99);
    assertThat(client.packets).as("an unknown id frees nothing").hasSize(3);
    w.acknowledged(2);
    w.acknowledged(3);
    assertThat(client.packets).endsWith("PUBLISH m4 q1 id4", "PUBLISH m5 q1 id5");
    assertThat(outcomes.log)
        .containsExactly("done m1", "sent m3", "done m2", "sent m4", "done m3", "sent m5");
  }

  @Test
  void aMessageWaitsBehindEarlierWaitingOnesEvenWhenTheWindowHasRoom() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    w.attach(client, List.of());
    offer(w, msg("m1", 1, 0));
    offer(w, msg("m2", 1, 0));
    client.receiveMaximum = 10;
    assertThat(offer(w, msg("m3", 1, 0)))
        .as("m2 waits: m3 may not overtake it")
        .isEqualTo(Admission.WAIT);
  }

  // ---- a persistent session's pending queue is a cache of its stored queue ----

  @Test
  void aPersistentSessionLeavesWhatDoesNotFitToTheStoreAndReadsItBackInOrder() {
    OutboundWindow<OutboundWindow.Message> w =
        persistentWindow(limits(4, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    w.attach(client, List.of());

    List<Admission> admissions = new ArrayList<>();
    for (int i = 1; i <= 7; i++) {
      admissions.add(offer(w, msg("m" + i, 1, 0)));
    }
    assertThat(admissions)
        .as("m1 sent, four wait, then the store alone keeps m6 and m7")
        .containsExactly(
            Admission.SEND,
            Admission.WAIT,
            Admission.WAIT,
            Admission.WAIT,
            Admission.WAIT,
            Admission.STORED,
            Admission.STORED);
    assertThat(outcomes.drops).isEmpty();

    w.acknowledged(1); // m2 sent, three wait: more than half the bound
    assertThat(outcomes.reads).isEmpty();
    w.acknowledged(2); // m3 sent, two wait: half the bound, room for two
    assertThat(outcomes.reads).containsExactly(2);
    assertThat(offer(w, msg("m8", 1, 0)))
        .as("stored messages wait before it: it may not overtake them")
        .isEqualTo(Admission.STORED);
    w.acknowledged(3);
    assertThat(outcomes.reads).as("one read at a time").containsExactly(2);

    w.storedRead(List.of(msg("m6", 1, 0), msg("m7", 1, 0)), true);
    w.acknowledged(4);
    w.acknowledged(5);
    assertThat(outcomes.reads).as("m5 sent, two wait again").containsExactly(2, 2);
    w.storedRead(List.of(msg("m8", 1, 0)), false);
    assertThat(offer(w, msg("m9", 1, 0)))
        .as("the store holds nothing the window has not taken: waits in memory again")
        .isEqualTo(Admission.WAIT);
    for (int id = 6; id <= 9; id++) {
      w.acknowledged(id);
    }

    assertThat(client.packets)
        .containsExactly(
            "PUBLISH m1 q1 id1",
            "PUBLISH m2 q1 id2",
            "PUBLISH m3 q1 id3",
            "PUBLISH m4 q1 id4",
            "PUBLISH m5 q1 id5",
            "PUBLISH m6 q1 id6",
            "PUBLISH m7 q1 id7",
            "PUBLISH m8 q1 id8",
            "PUBLISH m9 q1 id9");
    assertThat(outcomes.drops).isEmpty();
  }

  @Test
  void aCleanSessionStillDropsWhatDoesNotFit() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(2, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    w.attach(client, List.of());
    offer(w, msg("m1", 1, 0));
    offer(w, msg("m2", 1, 0));
    offer(w, msg("m3", 1, 0));
    assertThat(offer(w, msg("m4", 1, 0))).isEqualTo(Admission.REFUSED);
    assertThat(outcomes.drops).containsExactly("queue-full");
  }

  @Test
  void aReconnectWithMoreStoredThanThePendingBoundTakesThatMuchAndLeavesTheRestToTheStore() {
    OutboundWindow<OutboundWindow.Message> w =
        persistentWindow(limits(2, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    OutboundWindow.Message arrivedMeanwhile = msg("late", 1, 0);
    offer(w, arrivedMeanwhile); // while attaching
    OutboundWindow.Message q3 = msg("q3", 1, 0);

    w.attach(
        client,
        List.of(unacknowledged("u1", 1, 7), msg("q1", 1, 0), msg("q2", 1, 0), q3, msg("q4", 1, 0)));

    assertThat(outcomes.log)
        .as("told before any read, with the first message left")
        .containsExactly("left late", "stored from q3");
    assertThat(client.packets).containsExactly("PUBLISH u1 q1 id7 DUP");
    assertThat(offer(w, msg("n1", 1, 0))).isEqualTo(Admission.STORED);
    w.acknowledged(7);
    w.acknowledged(8);
    assertThat(outcomes.reads).containsExactly(1);
    assertThat(client.packets).endsWith("PUBLISH q1 q1 id8", "PUBLISH q2 q1 id9");
  }

  @Test
  void whileAttachingWhatDoesNotFitIsLeftToTheStoreAndWhatArrivedBeforeItGoesBehindTheQueue() {
    OutboundWindow<OutboundWindow.Message> w =
        persistentWindow(limits(2, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    assertThat(offer(w, msg("a1", 1, 0))).isEqualTo(Admission.WAIT);
    assertThat(offer(w, msg("a2", 1, 0))).isEqualTo(Admission.WAIT);
    assertThat(offer(w, msg("a3", 1, 0))).isEqualTo(Admission.STORED);

    w.attach(client, List.of(msg("q1", 1, 0)));

    assertThat(outcomes.log)
        .as("stored after a3's predecessors: read back with it, in their order")
        .containsExactly("left a1", "left a2", "stored after the queue", "sent q1", "read 2");
    assertThat(client.packets).containsExactly("PUBLISH q1 q1 id1");
    assertThat(outcomes.drops).isEmpty();
  }

  @Test
  void anAnswerOfTheStoreForAnEndedConnectionIsIgnored() {
    OutboundWindow<OutboundWindow.Message> w =
        persistentWindow(limits(1, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    w.attach(client, List.of());
    offer(w, msg("m1", 1, 0));
    offer(w, msg("m2", 1, 0));
    assertThat(offer(w, msg("m3", 1, 0))).isEqualTo(Admission.STORED);
    w.acknowledged(1);
    w.acknowledged(2);
    assertThat(outcomes.reads).hasSize(1);
    w.detach(true);

    w.storedRead(List.of(msg("m3", 1, 0)), false);

    assertThat(w.detach(true)).isEmpty();
  }

  // ---- packet ids ----

  @Test
  void packetIdsWrapAfter65535AndSkipIdsStillInFlight() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    w.attach(
        client,
        List.of(
            unacknowledged("a", 1, 65_534), unacknowledged("b", 1, 1), unacknowledged("c", 1, 2)));

    offer(w, msg("n1", 1, 0));
    offer(w, msg("n2", 1, 0));
    w.acknowledged(1);
    offer(w, msg("n3", 1, 0));

    assertThat(client.packets)
        .containsExactly(
            "PUBLISH a q1 id65534 DUP",
            "PUBLISH b q1 id1 DUP",
            "PUBLISH c q1 id2 DUP",
            "PUBLISH n1 q1 id65535",
            "PUBLISH n2 q1 id3",
            "PUBLISH n3 q1 id4");
  }

  @Test
  void packetIdsSkipIdsOfMessagesWaitingToBeResent() {
    // the socket takes 2 packets or 1,000 bytes: the second large resend waits for the first to be
    // written
    // out, while a small message still fits and goes first
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 2, 100_000, 1_000));
    client.flushAtOnce = false;
    w.attach(
        client, List.of(unacknowledged("big1", 1, 65_535, 835), unacknowledged("big2", 1, 1, 835)));
    assertThat(client.packets).containsExactly("PUBLISH big1 q1 id65535 DUP");

    offer(w, msg("small", 1, 0));
    w.acknowledged(65_535);

    assertThat(client.packets)
        .as("id 1 belongs to big2, which waits to be resent")
        .containsExactly("PUBLISH big1 q1 id65535 DUP", "PUBLISH small q1 id2");
    client.flushAll();
    assertThat(client.packets).endsWith("PUBLISH big2 q1 id1 DUP");
  }

  // ---- reconnect ----

  @Test
  void
      onReconnectResendsUnacknowledgedFirstInOrderWithDupThenQueuedThenWhatArrivedWhileAttaching() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    assertThat(w.state()).isEqualTo(Session.State.ATTACHING);
    assertThat(offer(w, msg("x", 1, 0))).isEqualTo(Admission.WAIT);
    assertThat(offer(w, msg("q1", 1, 0)))
        .as("a copy of a queued message")
        .isEqualTo(Admission.WAIT);
    w.offerQos0(msg("z", 0, 0));
    assertThat(client.packets).isEmpty();

    OutboundWindow.Message released = unacknowledged("u2", 2, 5);
    released.released = true;
    w.attach(
        client,
        List.of(
            unacknowledged("u1", 1, 7),
            released,
            unacknowledged("u3", 2, 9),
            msg("q1", 1, 0),
            msg("q2", 2, 0)));

    assertThat(w.state()).isEqualTo(Session.State.ONLINE);
    assertThat(client.packets)
        .containsExactly(
            "PUBLISH u1 q1 id7 DUP",
            "PUBREL 5",
            "PUBLISH u3 q2 id9 DUP",
            "PUBLISH z q0 id0",
            "PUBLISH q1 q1 id10",
            "PUBLISH q2 q2 id11",
            "PUBLISH x q1 id12");
    assertThat(totals.waiting.sum()).isZero();
  }

  @Test
  void onReconnectTheNewConnectionsReceiveMaximumHoldsBackTheResend() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    OutboundWindow.Message released = unacknowledged("u2", 2, 5);
    released.released = true;
    w.attach(client, List.of(unacknowledged("u1", 1, 7), released, msg("q1", 1, 0)));
    assertThat(client.packets).containsExactly("PUBLISH u1 q1 id7 DUP");
    assertThat(w.bytes().waiting()).isEqualTo(2L * WEIGHT_OF_EMPTY);

    w.acknowledged(7);
    assertThat(client.packets).endsWith("PUBREL 5");
    w.acknowledged(5);
    assertThat(client.packets)
        .containsExactly("PUBLISH u1 q1 id7 DUP", "PUBREL 5", "PUBLISH q1 q1 id8");
  }

  // ---- QoS 2 ----

  @Test
  void qos2PubrecIsAnsweredWithPubrelAndTheMessageStaysInFlightUntilPubcomp() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    w.attach(client, List.of());
    OutboundWindow.Message m = msg("m", 2, 0);
    offer(w, m);
    offer(w, msg("next", 2, 0));

    w.received(1);
    assertThat(client.packets).containsExactly("PUBLISH m q2 id1", "PUBREL 1");
    assertThat(m.released).isTrue();
    assertThat(outcomes.log).containsExactly("released m");

    w.received(42);
    assertThat(client.packets).as("PUBREL even for an unknown id").endsWith("PUBREL 42");
    assertThat(outcomes.log).containsExactly("released m");

    w.acknowledged(1);
    assertThat(outcomes.log).containsExactly("released m", "done m", "sent next");
    assertThat(client.packets).endsWith("PUBLISH next q2 id2");
  }

  @Test
  void aReleasedMessageStillInFlightWhenTheConnectionEndsIsResentAsPubrel() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    w.attach(client, List.of());
    OutboundWindow.Message m = msg("m", 2, 0);
    offer(w, m);
    w.received(1);

    List<OutboundWindow.Message> unfinished = w.detach(true);
    assertThat(unfinished).containsExactly(m);

    OutboundWindow<OutboundWindow.Message> next =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    Client newClient = new Client();
    next.attach(newClient, List.of(unacknowledged(m, m.packetId, m.released)));
    assertThat(newClient.packets).containsExactly("PUBREL 1");
  }

  // ---- bounds and overflow ----

  @Test
  void waitingMessagesAreBoundedInMessagesAndBytesAndEachRefusalIsCounted() {
    // 2 messages or 300 bytes may wait
    OutboundWindow<OutboundWindow.Message> w = window(limits(2, 300, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    w.attach(client, List.of());
    offer(w, msg("inflight", 1, 0));
    assertThat(offer(w, msg("big", 1, 236))).as("301 bytes").isEqualTo(Admission.REFUSED);
    assertThat(offer(w, msg("w1", 1, 100))).isEqualTo(Admission.WAIT);
    assertThat(offer(w, msg("w2", 1, 0))).isEqualTo(Admission.WAIT);
    assertThat(offer(w, msg("w3", 1, 0))).as("a third message").isEqualTo(Admission.REFUSED);

    assertThat(outcomes.drops).containsExactly("queue-full", "queue-full");
    assertThat(outcomes.overflows).isEmpty();
    assertThat(w.bytes())
        .isEqualTo(new Session.OutboundBytes(100 + 2 * WEIGHT_OF_EMPTY, WEIGHT_OF_EMPTY, 0));
    assertThat(totals.waiting.sum()).isEqualTo(100 + 2 * WEIGHT_OF_EMPTY);
    assertThat(totals.inflight.sum()).isEqualTo(WEIGHT_OF_EMPTY);
  }

  @Test
  void underTerminateSessionTheFirstOverflowEndsTheSessionAndLaterOnesAreOnlyDropped() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(1, 100_000, true, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    w.attach(client, List.of());
    offer(w, msg("inflight", 1, 0));
    offer(w, msg("waits", 1, 0));
    offer(w, msg("refused1", 1, 0));
    offer(w, msg("refused2", 1, 0));
    w.overflow("queue-full");

    assertThat(outcomes.drops).containsExactly("queue-full", "queue-full", "queue-full");
    assertThat(outcomes.overflows).containsExactly("queue-full");
  }

  @Test
  void anOverflowOfAClosedSessionIsCountedButEndsNothing() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(1, 100_000, true, 100, 100_000, 100_000));
    w.close();
    w.overflow("queue-full");
    assertThat(outcomes.drops).containsExactly("queue-full");
    assertThat(outcomes.overflows).isEmpty();
  }

  @Test
  void whatArrivesWhileAttachingIsBounded() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(2, 100_000, false, 100, 100_000, 100_000));
    offer(w, msg("a", 1, 0));
    w.offerQos0(msg("b", 0, 0));
    w.offerQos0(msg("c", 0, 0));
    assertThat(offer(w, msg("d", 1, 0))).isEqualTo(Admission.REFUSED);
    assertThat(outcomes.drops).containsExactly("attach-buffer-full", "queue-full");
    assertThat(w.bytes().waiting()).isEqualTo(2L * WEIGHT_OF_EMPTY);
  }

  @Test
  void aMessageTheStoreRefusedWhileAttachingIsNotSentAndFreesItsRoom() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    OutboundWindow.Message moved = msg("moved", 1, 0);
    assertThat(offer(w, moved)).isEqualTo(Admission.WAIT);
    offer(w, msg("kept", 1, 0));

    // the store answered: the queue belongs to a newer connection, the message went there
    w.removeWaiting(moved);

    assertThat(w.bytes().waiting()).isEqualTo(WEIGHT_OF_EMPTY);
    w.attach(client, List.of());
    assertThat(client.packets).containsExactly("PUBLISH kept q1 id1");
  }

  @Test
  void qos0IsDroppedWhenTheSocketIsFullAndQos1WaitsForItsRoom() {
    // the socket takes 2 packets
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 2, 100_000, 100_000));
    client.flushAtOnce = false;
    w.attach(client, List.of());
    w.offerQos0(msg("a", 0, 0));
    w.offerQos0(msg("b", 0, 0));
    w.offerQos0(msg("c", 0, 0));
    assertThat(offer(w, msg("d", 1, 0))).isEqualTo(Admission.WAIT);
    assertThat(client.packets).containsExactly("PUBLISH a q0 id0", "PUBLISH b q0 id0");
    assertThat(outcomes.drops).containsExactly("slow-subscriber");
    assertThat(w.bytes().socket()).isEqualTo(2L * WEIGHT_OF_EMPTY);

    client.flushOne();
    assertThat(client.packets)
        .as("written out: room for the waiting QoS 1 message")
        .endsWith("PUBLISH d q1 id1");
    assertThat(w.bytes())
        .isEqualTo(new Session.OutboundBytes(0, WEIGHT_OF_EMPTY, 2L * WEIGHT_OF_EMPTY));
  }

  @Test
  void theInflightWindowIsBoundedInBytes() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 200, 100_000));
    w.attach(client, List.of());
    assertThat(offer(w, msg("a", 1, 100))).isEqualTo(Admission.SEND);
    assertThat(offer(w, msg("b", 1, 100)))
        .as("165 + 165 bytes in flight")
        .isEqualTo(Admission.WAIT);
    w.acknowledged(1);
    assertThat(client.packets).endsWith("PUBLISH b q1 id2");
  }

  // ---- what the window gives up ----

  @Test
  void aWaitingMessageThatExpiredIsDroppedNotSent() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    w.attach(client, List.of());
    offer(w, msg("a", 1, 0));
    offer(w, expiring("b", now.get() + 1_000));
    offer(w, msg("c", 1, 0));
    now.addAndGet(1_000);
    w.acknowledged(1);

    assertThat(client.packets).containsExactly("PUBLISH a q1 id1", "PUBLISH c q1 id2");
    assertThat(outcomes.drops).containsExactly("expired");
    assertThat(outcomes.log).containsExactly("done a", "done b", "sent c");
  }

  @Test
  void aQueuedMessageThatExpiredWhileOfflineIsForgottenOnReconnect() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    OutboundWindow.Message old = expiring("old", now.get() - 1);
    w.attach(client, List.of(old, msg("fresh", 1, 0)));
    assertThat(client.packets).containsExactly("PUBLISH fresh q1 id1");
    assertThat(outcomes.log).containsExactly("done old", "sent fresh");
    assertThat(outcomes.drops).as("it never waited for room: nothing was dropped").isEmpty();
  }

  @Test
  void aMessageTooLargeForTheClientIsDiscardedAsIfAcknowledged() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    client.maxPayload = 10;
    w.attach(client, List.of());
    offer(w, msg("large", 1, 11));
    w.offerQos0(msg("large0", 0, 11));
    assertThat(offer(w, msg("small", 1, 10))).as("the window is free").isEqualTo(Admission.SEND);

    assertThat(client.packets).containsExactly("PUBLISH small q1 id2");
    assertThat(outcomes.drops)
        .containsExactly("packet-too-large-for-client", "packet-too-large-for-client");
    assertThat(outcomes.log).containsExactly("done large");
  }

  // ---- life cycle ----

  @Test
  void detachHandsBackWhatWasUnfinishedAndFreesItsShareOfTheTotals() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    client.receiveMaximum = 1;
    client.flushAtOnce = false;
    w.attach(client, List.of());
    OutboundWindow.Message a = msg("a", 1, 0);
    OutboundWindow.Message b = msg("b", 1, 0);
    offer(w, a);
    offer(w, b);

    assertThat(w.detach(true)).containsExactly(a, b);
    assertThat(w.state()).isEqualTo(Session.State.OFFLINE);
    assertThat(w.bytes()).isEqualTo(new Session.OutboundBytes(0, 0, 0));
    assertThat(totals.waiting.sum() + totals.inflight.sum()).isZero();

    client.flushAll();
    assertThat(totals.socket.sum()).isZero();
    assertThat(client.packets)
        .as("a write of the old connection completing sends nothing")
        .hasSize(1);
    assertThat(offer(w, msg("c", 1, 0)))
        .as("offline: only the store keeps it")
        .isEqualTo(Admission.OFFLINE);
    assertThat(w.bytes().waiting()).isZero();
  }

  @Test
  void aSessionThatDoesNotContinueIsClosed() {
    OutboundWindow<OutboundWindow.Message> w =
        window(limits(100, 100_000, false, 100, 100_000, 100_000));
    w.attach(client, List.of());
    w.detach(false);
    assertThat(w.state()).isEqualTo(Session.State.CLOSED);
  }

  // ---- helpers ----

  private OutboundWindow<OutboundWindow.Message> window(SessionLimits limits) {
    return new OutboundWindow<>(limits, totals, outcomes, now::get);
  }

  private OutboundWindow<OutboundWindow.Message> persistentWindow(SessionLimits limits) {
    return new OutboundWindow<>(limits, totals, outcomes, now::get, true);
  }

  private static SessionLimits limits(
      int maxPending,
      long maxPendingBytes,
      boolean terminate,
      int socketPackets,
      long inflightBytes,
      long socketBytes) {
    return new SessionLimitsBuilder()
        .maxQueued(1_000, 1 << 20)
        .maxPending(maxPending, maxPendingBytes)
        .terminateOnOverflow(terminate)
        .maxOutboundBuffered(socketPackets, socketBytes)
        .maxInflightBytes(inflightBytes)
        .build();
  }

  private static Admission offer(
      OutboundWindow<OutboundWindow.Message> w, OutboundWindow.Message m) {
    Admission a = w.admit(m);
    w.enter(m, a);
    return a;
  }

  private OutboundWindow.Message msg(String id, int qos, int payloadBytes) {
    return new OutboundWindow.Message(message(id, qos, payloadBytes, 0), qos, false, null, null);
  }

  private OutboundWindow.Message expiring(String id, long expiresAt) {
    return new OutboundWindow.Message(message(id, 1, 0, expiresAt), 1, false, null, null);
  }

  private PublishedMessage message(String id, int qos, int payloadBytes, long expiresAt) {
    return new PublishedMessage(
        id,
        "t",
        new byte[payloadBytes],
        qos,
        false,
        "publisher",
        now.get(),
        expiresAt,
        -1,
        null,
        null,
        null,
        null);
  }

  private OutboundWindow.Message unacknowledged(String id, int qos, int packetId) {
    return unacknowledged(id, qos, packetId, 0);
  }

  private OutboundWindow.Message unacknowledged(
      String id, int qos, int packetId, int payloadBytes) {
    return unacknowledged(msg(id, qos, payloadBytes), packetId, false);
  }

  private static OutboundWindow.Message unacknowledged(
      OutboundWindow.Message m, int packetId, boolean released) {
    OutboundWindow.Message copy =
        new OutboundWindow.Message(m.message, m.qos, m.retain, m.subscriptionIds, m.sharedGroup);
    copy.unacknowledged(packetId, released);
    return copy;
  }

  /**
   * The client's side of the connection: what it received, and the socket writes not yet written
   * out.
   */
  private static final class Client implements OutboundWindow.Connection<OutboundWindow.Message> {
    final List<String> packets = new ArrayList<>();
    final List<OutboundWindow.Written> unflushed = new ArrayList<>();
    int receiveMaximum = 65_535;
    int maxPayload = Integer.MAX_VALUE;
    boolean flushAtOnce = true;

    @Override
    public int sendWindow() {
      return receiveMaximum;
    }

    @Override
    public boolean tooLargeForClient(OutboundWindow.Message m, int qos) {
      return m.message.payload().length > maxPayload;
    }

    @Override
    public void publish(
        OutboundWindow.Message m,
        int qos,
        boolean dup,
        int packetId,
        OutboundWindow.Written whenWritten) {
      packets.add(
          "PUBLISH " + m.message.id() + " q" + qos + " id" + packetId + (dup ? " DUP" : ""));
      if (flushAtOnce) {
        whenWritten.done(true);
      } else {
        unflushed.add(whenWritten);
      }
    }

    @Override
    public void pubrel(int packetId) {
      packets.add("PUBREL " + packetId);
    }

    void flushOne() {
      unflushed.remove(0).done(true);
    }

    void flushAll() {
      while (!unflushed.isEmpty()) {
        flushOne();
      }
    }
  }

  private static final class Recorder implements OutboundWindow.Outcomes<OutboundWindow.Message> {
    final List<String> log = new ArrayList<>();
    final List<String> drops = new ArrayList<>();
    final List<String> overflows = new ArrayList<>();

    @Override
    public void sent(OutboundWindow.Message m) {
      log.add("sent " + m.message.id());
    }

    @Override
    public void released(OutboundWindow.Message m) {
      log.add("released " + m.message.id());
    }

    @Override
    public void done(OutboundWindow.Message m) {
      log.add("done " + m.message.id());
    }

    @Override
    public void dropped(String reason) {
      drops.add(reason);
    }

    @Override
    public void overflowed(String reason) {
      overflows.add(reason);
    }

    @Override
    public void leftToStore(OutboundWindow.Message m) {
      log.add("left " + m.message.id());
    }

    @Override
    public void storedBeyond(
        OutboundWindow.Message firstLeft, List<OutboundWindow.Message> queued) {
      log.add(
          firstLeft == null ? "stored after the queue" : "stored from " + firstLeft.message.id());
    }

    @Override
    public void readStored(int maxMessages, long maxBytes) {
      log.add("read " + maxMessages);
      reads.add(maxMessages);
    }

    /** The sizes of the reads of stored messages asked for. */
    final List<Integer> reads = new ArrayList<>();
  }
}
