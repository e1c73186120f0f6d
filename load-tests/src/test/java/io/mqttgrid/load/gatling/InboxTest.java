package io.mqttgrid.load.gatling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class InboxTest {

  private static ReceivedMessage message(String topic, String correlation) {
    return new ReceivedMessage(topic, topic.getBytes(StandardCharsets.UTF_8),
        correlation == null ? null : correlation.getBytes(StandardCharsets.UTF_8), null, 0);
  }

  @Test
  void messageThatArrivesBeforeItsWaitIsKeptForIt() {
    Inbox inbox = new Inbox(10);
    ReceivedMessage command = message("commands/device-1", null);
    inbox.offer(command);
    assertSame(command, inbox.await(m -> true).getNow(null));
  }

  @Test
  void waitTakesOnlyTheMessageItMatchesAndLeavesTheRestInOrder() {
    Inbox inbox = new Inbox(10);
    CompletableFuture<ReceivedMessage> reply = inbox.await(m -> m.hasCorrelationData("b".getBytes()));
    ReceivedMessage other = message("replies/x", "a");
    ReceivedMessage mine = message("replies/x", "b");
    inbox.offer(other);
    assertFalse(reply.isDone());
    inbox.offer(mine);
    assertSame(mine, reply.getNow(null));
    assertSame(other, inbox.await(m -> true).getNow(null));
  }

  @Test
  void messageForAWaitThatTimedOutGoesToTheNextWaitOrIsKept() {
    Inbox inbox = new Inbox(10);
    CompletableFuture<ReceivedMessage> timedOut = inbox.await(m -> true);
    CompletableFuture<ReceivedMessage> next = inbox.await(m -> true);
    timedOut.completeExceptionally(new MqttFailure("timeout", "nothing"));
    ReceivedMessage late = message("t", null);
    inbox.offer(late);
    assertSame(late, next.getNow(null));

    CompletableFuture<ReceivedMessage> alone = inbox.await(m -> true);
    alone.completeExceptionally(new MqttFailure("timeout", "nothing"));
    ReceivedMessage kept = message("u", null);
    inbox.offer(kept);
    assertSame(kept, inbox.await(m -> true).getNow(null));
  }

  @Test
  void fullInboxDropsTheOldestAndCountsIt() {
    Inbox inbox = new Inbox(2);
    inbox.offer(message("1", null));
    inbox.offer(message("2", null));
    inbox.offer(message("3", null));
    assertEquals(1, inbox.dropped());
    assertEquals("2", inbox.await(m -> true).getNow(null).topic());
  }

  @Test
  void forgottenWaitNoLongerTakesMessages() {
    Inbox inbox = new Inbox(10);
    CompletableFuture<ReceivedMessage> wait = inbox.await(m -> true);
    inbox.forget(wait);
    inbox.offer(message("t", null));
    assertFalse(wait.isDone());
    assertTrue(inbox.await(m -> true).isDone());
  }
}
