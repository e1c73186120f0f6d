package io.mqttgrid.persistence;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Single-row changes that many threads make at once, committed together. Each caller hands its
 * change in and returns only once a transaction holding it has committed, or throws that
 * transaction's failure: the same promise as a statement of its own in auto-commit, with one commit
 * for all the changes that arrived while the previous one was being written.
 *
 * <p>Why: on the embedded H2 file ({@code WRITE_DELAY=0}) every commit writes a new chunk of the
 * store (the changed pages of the table's B-tree and the store's own maps), which cost three
 * quarters of a session record's write and a quarter of a persistent connect storm's CPU
 * (docs/performance.md, "Persistent sessions"); Hazelcast runs the map store of different
 * partitions on up to 16 threads at once, so a storm's record writes arrive together.
 *
 * <p>No thread of its own: the first caller that finds no transaction under way writes what is
 * waiting (its own change and those that came meanwhile, up to {@code maxChanges}); the others
 * wait, and when a transaction ends, one of the callers still waiting writes the next group. One
 * transaction is under way at a time, so a group is as large as the load makes it: a lone write is
 * committed at once, as before.
 *
 * @param <V> the value one row holds
 */
final class GroupCommit<V> {

  /** One row to write, or to delete when {@code value} is null. */
  record Change<V>(String key, V value) {}

  /** Writes the changes in one transaction: returns once it has committed, throws if it has not. */
  @FunctionalInterface
  interface Transaction<V> {
    void commit(List<Change<V>> changes);
  }

  private static final class Waiter<V> {
    final Change<V> change;
    boolean done;
    Throwable failure;

    Waiter(Change<V> change) {
      this.change = change;
    }
  }

  private final Transaction<V> transaction;
  private final int maxChanges;
  private final ArrayDeque<Waiter<V>> waiting = new ArrayDeque<>();
  private boolean writing;

  GroupCommit(Transaction<V> transaction, int maxChanges) {
    this.transaction = transaction;
    this.maxChanges = maxChanges;
  }

  /** Writes {@code value} as the row of {@code key}; returns once committed. */
  void put(String key, V value) {
    apply(new Change<>(key, value));
  }

  /** Deletes the row of {@code key}; returns once committed. */
  void delete(String key) {
    apply(new Change<>(key, null));
  }

  private void apply(Change<V> change) {
    Waiter<V> me = new Waiter<>(change);
    boolean interrupted = false;
    try {
      synchronized (this) {
        waiting.add(me);
      }
      while (true) {
        List<Waiter<V>> group;
        synchronized (this) {
          while (!me.done && writing) {
            try {
              wait();
            } catch (InterruptedException e) {
              // the change may be in the transaction under way: the caller learns its outcome,
              // which a database call bounds by its own time-outs
              interrupted = true;
            }
          }
          if (me.done) {
            break;
          }
          writing = true;
          group = new ArrayList<>(Math.min(waiting.size(), maxChanges));
          while (!waiting.isEmpty() && group.size() < maxChanges) {
            group.add(waiting.poll());
          }
        }
        write(group);
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (me.failure instanceof RuntimeException e) {
      throw e;
    }
    if (me.failure instanceof Error e) {
      throw e;
    }
  }

  private void write(List<Waiter<V>> group) {
    List<Change<V>> changes = new ArrayList<>(group.size());
    for (Waiter<V> w : group) {
      changes.add(w.change);
    }
    Throwable failure = null;
    try {
      transaction.commit(changes);
    } catch (RuntimeException | Error e) {
      failure = e;
    } finally {
      synchronized (this) {
        for (Waiter<V> w : group) {
          w.failure = failure;
          w.done = true;
        }
        writing = false;
        notifyAll();
      }
    }
  }
}
