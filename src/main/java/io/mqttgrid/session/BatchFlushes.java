package io.mqttgrid.session;

/**
 * What a session does around one batch of its work ({@link SessionInbox.Batches}): the flushes of
 * the channel the batch writes to are held until the batch ends, so that its writes leave the
 * socket together. A batch may attach a channel (held from there on); one it detaches is released
 * at the end all the same. On the session's context.
 */
final class BatchFlushes implements SessionInbox.Batches {

  /** The session's channel now; null while it has none. */
  private ClientChannel channel;

  /** The channel whose flushes the current batch holds; null between batches. */
  private ClientChannel held;

  private boolean inBatch;

  /** The session attached {@code attached} (maybe in the middle of a batch). */
  void attached(ClientChannel attached) {
    channel = attached;
    hold();
  }

  /** The session has no channel any more; a hold of the one it had ends with the batch. */
  void detached() {
    channel = null;
  }

  @Override
  public void started() {
    inBatch = true;
    hold();
  }

  @Override
  public void ended() {
    inBatch = false;
    ClientChannel release = held;
    held = null;
    if (release != null) {
      release.releaseFlushes();
    }
  }

  private void hold() {
    if (inBatch && held == null && channel != null) {
      held = channel;
      held.holdFlushes();
    }
  }
}
