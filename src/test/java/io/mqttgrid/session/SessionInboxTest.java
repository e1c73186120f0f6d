package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SessionInboxTest {

  /** The session's context: one thread, tasks in the order they were queued. */
  private final ExecutorService context = Executors.newSingleThreadExecutor();

  private final AtomicInteger contextTasks = new AtomicInteger();
  private final AtomicInteger batches = new AtomicInteger();
  private final AtomicInteger batchesEnded = new AtomicInteger();

  private SessionInbox inbox(int maxBatch) {
    return new SessionInbox(
        task -> {
          contextTasks.incrementAndGet();
          context.execute(task);
        },
        maxBatch,
        new SessionInbox.Batches() {
          @Override
          public void started() {
            batches.incrementAndGet();
          }

          @Override
          public void ended() {
            batchesEnded.incrementAndGet();
          }
        });
  }

  @AfterEach
  void stop() {
    context.shutdownNow();
  }

  private void drained() throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    context.execute(done::countDown);
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void manyPublishersEachKeepTheirOrderAndNothingIsLost() throws Exception {
    SessionInbox inbox = inbox(7); // batches cut often
    int publishers = 4;
    int each = 20_000;
    Map<Integer, List<Integer>> seen = new ConcurrentHashMap<>();
    for (int p = 0; p < publishers; p++) {
      seen.put(p, new ArrayList<>()); // read and written on the context only
    }
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      int publisher = p;
      threads.add(
          new Thread(
              () -> {
                for (int i = 0; i < each; i++) {
                  int n = i;
                  inbox.add(() -> seen.get(publisher).add(n));
                }
              }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    // each cut batch's rest is queued behind what the context has then: wait until all ran
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!inbox.isEmpty() && System.nanoTime() < deadline) {
      drained();
    }
    drained();

    for (int p = 0; p < publishers; p++) {
      List<Integer> got = seen.get(p);
      assertThat(got).as("publisher %d", p).hasSize(each);
      for (int i = 0; i < each; i++) {
        assertThat(got.get(i)).isEqualTo(i);
      }
    }
    assertThat(inbox.isEmpty()).isTrue();
    assertThat(contextTasks.get())
        .as("tasks on the context: one per batch, not one per piece of work")
        .isLessThan(publishers * each);
    assertThat(batchesEnded.get()).as("every batch that started ended").isEqualTo(batches.get());
  }

  @Test
  void aBatchCutAtItsSizeGoesOnBeforeWorkHandedOverLater() throws Exception {
    SessionInbox inbox = inbox(2);
    List<String> order = new CopyOnWriteArrayList<>();
    CountDownLatch hold = new CountDownLatch(1);
    context.execute(
        () -> {
          try {
            hold.await(); // the context is busy while the work piles up
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    for (int i = 1; i <= 5; i++) {
      int n = i;
      inbox.add(() -> order.add("w" + n));
    }
    hold.countDown();
    // queued on the context after the first batch's task: runs between the batches
    context.execute(() -> order.add("other"));
    inbox.add(() -> order.add("w6"));
    drained();
    drained();
    drained();

    assertThat(order.stream().filter(s -> s.startsWith("w")))
        .containsExactly("w1", "w2", "w3", "w4", "w5", "w6");
    assertThat(order.indexOf("other"))
        .as("the loop's other work gets its turn between batches")
        .isBetween(2, 5);
  }

  @Test
  void workAddedFromTheContextItselfRunsAfterWhatIsThere() throws Exception {
    SessionInbox inbox = inbox(100);
    List<String> order = new CopyOnWriteArrayList<>();
    // the context is busy until both are handed over: else "a" may run (and add "c") before this
    // thread hands "b" over (a full run: a, c, b)
    CountDownLatch hold = new CountDownLatch(1);
    context.execute(
        () -> {
          try {
            hold.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    inbox.add(
        () -> {
          order.add("a");
          inbox.add(() -> order.add("c"));
        });
    inbox.add(() -> order.add("b"));
    hold.countDown();
    drained();
    drained();
    assertThat(order).containsExactly("a", "b", "c");
  }

  @Test
  void aFailingPieceOfWorkDoesNotStrandTheOnesBehindIt() throws Exception {
    SessionInbox inbox = inbox(100);
    List<String> order = new CopyOnWriteArrayList<>();
    inbox.add(
        () -> {
          throw new IllegalStateException("expected by the test");
        });
    inbox.add(() -> order.add("after"));
    drained();
    assertThat(order).containsExactly("after");
  }
}
