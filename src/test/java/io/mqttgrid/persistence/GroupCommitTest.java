package io.mqttgrid.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The grouping itself, with a transaction the test controls: the first commit is held until the
 * test lets it go, so what the other callers hand in meanwhile is known to arrive during it.
 */
class GroupCommitTest {

  /** A transaction that remembers what each commit held, holds the first one and fails some. */
  private static final class Recorder implements GroupCommit.Transaction<String> {
    final List<List<String>> commits = new CopyOnWriteArrayList<>();
    final Set<String> committed = ConcurrentHashMap.newKeySet();
    final CountDownLatch firstStarted = new CountDownLatch(1);
    final CountDownLatch releaseFirst = new CountDownLatch(1);
    volatile String failWhenHolding;

    @Override
    public void commit(List<GroupCommit.Change<String>> changes) {
      List<String> keys = changes.stream().map(GroupCommit.Change::key).toList();
      if (commits.isEmpty()) {
        firstStarted.countDown();
        try {
          releaseFirst.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      commits.add(keys);
      if (failWhenHolding != null && keys.contains(failWhenHolding)) {
        throw new PersistenceException("state database write failed (test)");
      }
      committed.addAll(keys);
    }
  }

  private final Map<String, Throwable> failures = new ConcurrentHashMap<>();
  private final Map<String, Boolean> committedOnReturn = new ConcurrentHashMap<>();

  private Thread put(GroupCommit<String> group, Recorder tx, String key) {
    Thread t =
        new Thread(
            () -> {
              try {
                group.put(key, "v");
                committedOnReturn.put(key, tx.committed.contains(key));
              } catch (RuntimeException e) {
                failures.put(key, e);
              }
            },
            "put-" + key);
    t.start();
    return t;
  }

  /** Starts a first put and answers once its commit is under way (and held). */
  private Thread first(GroupCommit<String> group, Recorder tx) throws InterruptedException {
    Thread t = put(group, tx, "first");
    tx.firstStarted.await();
    return t;
  }

  private static void awaitWaiting(List<Thread> threads) {
    Await.until(
        "every caller waiting for the commit under way",
        Duration.ofSeconds(30),
        () -> threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING));
  }

  @Test
  void aLoneChangeIsCommittedAtOnceOnItsCallersThread() {
    List<Thread> threads = new ArrayList<>();
    GroupCommit<String> group =
        new GroupCommit<>(changes -> threads.add(Thread.currentThread()), 10);
    group.put("a", "v");
    group.delete("b");
    assertThat(threads).containsExactly(Thread.currentThread(), Thread.currentThread());
  }

  @Test
  void changesMadeDuringACommitWaitForItAndAreCommittedTogetherBeforeTheyReturn() throws Exception {
    Recorder tx = new Recorder();
    GroupCommit<String> group = new GroupCommit<>(tx, 100);
    Thread first = first(group, tx);
    List<Thread> others = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      others.add(put(group, tx, "k" + i));
    }
    awaitWaiting(others);
    assertThat(committedOnReturn).as("nobody returned before the first commit ended").isEmpty();
    tx.releaseFirst.countDown();
    first.join();
    for (Thread t : others) {
      t.join();
    }

    assertThat(failures).isEmpty();
    assertThat(tx.commits).hasSize(2);
    assertThat(tx.commits.get(0)).containsExactly("first");
    assertThat(tx.commits.get(1)).containsExactlyInAnyOrder("k0", "k1", "k2", "k3", "k4");
    assertThat(committedOnReturn)
        .as("each caller's change committed when its call returned")
        .hasSize(6)
        .allSatisfy((k, c) -> assertThat(c).as(k).isTrue());
  }

  @Test
  void aFailedCommitFailsEveryCallerOfItAndNoneOfTheNext() throws Exception {
    Recorder tx = new Recorder();
    tx.failWhenHolding = "k1";
    GroupCommit<String> group = new GroupCommit<>(tx, 100);
    Thread first = first(group, tx);
    List<Thread> others = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      others.add(put(group, tx, "k" + i));
    }
    awaitWaiting(others);
    tx.releaseFirst.countDown();
    first.join();
    for (Thread t : others) {
      t.join();
    }
    Thread after = put(group, tx, "after");
    after.join();

    assertThat(failures.keySet()).containsExactlyInAnyOrder("k0", "k1", "k2");
    assertThat(failures.values())
        .allSatisfy(e -> assertThat(e).isInstanceOf(PersistenceException.class));
    assertThat(committedOnReturn.keySet()).containsExactlyInAnyOrder("first", "after");
  }

  @Test
  void aGroupHoldsAtMostMaxChangesAndTheRestFollow() throws Exception {
    Recorder tx = new Recorder();
    GroupCommit<String> group = new GroupCommit<>(tx, 2);
    Thread first = first(group, tx);
    List<Thread> others = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      others.add(put(group, tx, "k" + i));
    }
    awaitWaiting(others);
    tx.releaseFirst.countDown();
    first.join();
    for (Thread t : others) {
      t.join();
    }

    assertThat(failures).isEmpty();
    assertThat(tx.commits).hasSize(4);
    assertThat(tx.commits.subList(1, 4)).allSatisfy(c -> assertThat(c).hasSizeLessThanOrEqualTo(2));
    assertThat(committedOnReturn).hasSize(6).allSatisfy((k, c) -> assertThat(c).as(k).isTrue());
  }
}
