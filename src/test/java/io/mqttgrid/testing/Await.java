package io.mqttgrid.testing;

import java.time.Duration;

/**
 * Waiting for a condition instead of sleeping a guessed time: the test goes on as soon as the
 * condition holds and fails, naming what it waited for, when it does not hold in time. (A small
 * poll loop rather than Awaitility: the tests need nothing more than this.)
 */
public final class Await {

  private static final long POLL_MILLIS = 20;

  private Await() {}

  /** A condition to wait for; one that throws fails the wait at once. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /**
   * Polls {@code condition} until it holds; fails the test with {@code what} after {@code timeout}.
   */
  public static void until(String what, Duration timeout, Condition condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!holds(what, condition)) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for: " + what, e);
      }
    }
  }

  private static boolean holds(String what, Condition condition) {
    try {
      return condition.holds();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError("could not check: " + what, e);
    }
  }
}
