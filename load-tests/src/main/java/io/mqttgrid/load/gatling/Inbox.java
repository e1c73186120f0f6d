package io.mqttgrid.load.gatling;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Messages a connection received and nobody has waited for yet, and the waits not yet satisfied. Messages
 * arrive on the MQTT client's threads while waits are registered from Gatling's event loops, so both sides
 * go through one lock; per connection there is little to contend for. A message that arrives before its
 * wait is kept (up to {@code capacity}, oldest dropped first), so a virtual user that is busy elsewhere when
 * its command arrives still gets it.
 */
final class Inbox {

  private record Waiter(Predicate<ReceivedMessage> matcher, CompletableFuture<ReceivedMessage> result) {}

  private final int capacity;
  private final ArrayDeque<ReceivedMessage> messages = new ArrayDeque<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private long dropped;

  Inbox(int capacity) {
    this.capacity = capacity;
  }

  void offer(ReceivedMessage message) {
    while (true) {
      Waiter taken = null;
      synchronized (this) {
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
          Waiter waiter = it.next();
          if (waiter.matcher.test(message)) {
            it.remove();
            taken = waiter;
            break;
          }
        }
        if (taken == null) {
          if (messages.size() >= capacity) {
            messages.pollFirst();
            dropped++;
          }
          messages.addLast(message);
          return;
        }
      }
      // completed outside the lock: completion runs the waiting action's continuation
      if (taken.result.complete(message)) {
        return;
      }
      // that wait had already timed out: offer the message to the next one
    }
  }

  /** Completes with the first kept or future message {@code matcher} accepts. */
  CompletableFuture<ReceivedMessage> await(Predicate<ReceivedMessage> matcher) {
    CompletableFuture<ReceivedMessage> result = new CompletableFuture<>();
    ReceivedMessage found = null;
    synchronized (this) {
      for (Iterator<ReceivedMessage> it = messages.iterator(); it.hasNext(); ) {
        ReceivedMessage message = it.next();
        if (matcher.test(message)) {
          it.remove();
          found = message;
          break;
        }
      }
      if (found == null) {
        waiters.add(new Waiter(matcher, result));
      }
    }
    if (found != null) {
      result.complete(found);
    }
    return result;
  }

  /** Forgets a wait that timed out, so its matcher is not tested any more. */
  synchronized void forget(CompletableFuture<ReceivedMessage> result) {
    waiters.removeIf(waiter -> waiter.result == result);
  }

  synchronized long dropped() {
    return dropped;
  }
}
