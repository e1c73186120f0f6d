package io.mqttgrid.session;

import io.vertx.core.Future;

/**
 * Sessions hosted by other nodes, for a takeover that crosses nodes (docs/architecture.md,
 * "Connect, takeover and node loss"): the old owner first steps down (closes the old connection
 * with 0x8E, keeps filling the queue), then, once the new owner has subscribed, retires (stops
 * routing to the old session and flushes its writes). An offline copy (no connection to close) is
 * only retired.
 */
public interface RemoteSessions {

  /** A node that hosts nothing else: for a broker that is alone. */
  RemoteSessions NONE =
      new RemoteSessions() {
        @Override
        public boolean isAlive(String node) {
          return false;
        }

        @Override
        public Future<Void> stepDown(String node, String clientId, boolean sessionContinues) {
          return Future.succeededFuture();
        }

        @Override
        public Future<Void> retire(String node, String clientId, boolean sessionContinues) {
          return Future.succeededFuture();
        }
      };

  /** Whether {@code node} is a member of the cluster now. */
  boolean isAlive(String node);

  Future<Void> stepDown(String node, String clientId, boolean sessionContinues);

  /**
   * {@code node} stops routing to its copy of the session; a copy that was not asked to step down
   * first (it had no connection) handles its pending will as a step-down would ({@code
   * sessionContinues}: the new connection resumes the session).
   */
  Future<Void> retire(String node, String clientId, boolean sessionContinues);
}
