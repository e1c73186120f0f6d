package io.mqttgrid.hazelcast;

import com.hazelcast.spi.exception.SilentException;
import io.mqttgrid.persistence.PersistenceException;
import java.util.function.Supplier;

/**
 * A state database failure as a map operation's failure. Hazelcast logs every failed operation with
 * its stack trace unless the exception is a {@link SilentException}: the database itself says once
 * that it is failing ({@code StateDatabase}), and the caller hears it (PUBACK 0x80, HTTP 500), so
 * each write need not log a stack trace of its own.
 */
final class StateDatabaseFailure extends RuntimeException implements SilentException {

  private static final long serialVersionUID = 1L;

  private StateDatabaseFailure(PersistenceException cause) {
    super(cause.getMessage(), cause, false, false);
  }

  static <T> T call(Supplier<T> call) {
    try {
      return call.get();
    } catch (PersistenceException e) {
      throw new StateDatabaseFailure(e);
    }
  }

  static void run(Runnable call) {
    try {
      call.run();
    } catch (PersistenceException e) {
      throw new StateDatabaseFailure(e);
    }
  }
}
