package io.mqttgrid.testing;

/** Closing what a test class started, when its set-up may have stopped half way. */
public final class Closeables {

  private Closeables() {}

  /**
   * Closes each of {@code resources} that was made (is not null), in the order given. One that
   * fails to close does not keep the later ones open: the first failure is thrown once all were
   * tried, with the later ones added to it as suppressed.
   */
  public static void closeAll(AutoCloseable... resources) throws Exception {
    Exception first = null;
    for (AutoCloseable resource : resources) {
      if (resource == null) {
        continue;
      }
      try {
        resource.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
