package io.mqttgrid.bridge;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.session.ClientChannel;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the local sessions of dataflow instances that are gone: nothing would ever send what they
 * queue, and an offline session would go on queueing its sources' messages until its expiry.
 */
final class RemovedInstanceSessions {

  /** The bridges' logger: operators know these lines by it, whichever class writes them. */
  private static final Logger LOG = LoggerFactory.getLogger(Bridges.class);

  private final SessionManager sessions;

  RemovedInstanceSessions(SessionManager sessions) {
    this.sessions = sessions;
  }

  /**
   * Ends the session {@code clientId} with what it queued: a clean start with no expiry, then a
   * disconnect, as a client would do to discard its session.
   */
  void delete(String clientId) {
    sessions
        .connect(new SessionManager.ConnectRequest(clientId, true, 0, 5, null, 0))
        .onSuccess(
            attached -> {
              ClientChannel discard = new DiscardChannel();
              sessions.attach(attached, discard);
              sessions.disconnected(attached.session(), discard, false, 0);
              LOG.info("bridge: session {} of a removed dataflow instance deleted", clientId);
            })
        .onFailure(
            e ->
                LOG.warn(
                    "bridge: session {} of a removed dataflow instance not deleted (it expires"
                        + " after its session expiry): {}",
                    clientId,
                    e.toString()));
  }

  /** The channel of a session being discarded: it sends nothing and is gone at once. */
  private static final class DiscardChannel implements ClientChannel {
    @Override
    public int sendWindow() {
      return 1;
    }

    @Override
    public boolean tooLargeForClient(PublishedMessage message, int qos, int[] subscriptionIds) {
      return false;
    }

    @Override
    public Future<Void> sendPublish(
        PublishedMessage message,
        int qos,
        boolean retain,
        boolean dup,
        int packetId,
        int[] subscriptionIds) {
      return Future.succeededFuture();
    }

    @Override
    public void sendPubrel(int packetId) {}

    @Override
    public void close(EndCause cause) {}
  }
}
