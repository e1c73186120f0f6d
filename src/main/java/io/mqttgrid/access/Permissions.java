package io.mqttgrid.access;

/**
 * What one identity may do, computed once per session (Event Grid's authorization rules) so that a
 * check is a local lookup.
 */
public interface Permissions {

  /** Whether a PUBLISH to this topic name (valid, no wildcards) is allowed. */
  boolean canPublish(String topic);

  /**
   * Whether a SUBSCRIBE to this filter is allowed; a {@code $share/<group>/} prefix is judged by
   * the rest.
   */
  boolean canSubscribe(String filter);

  /**
   * Anonymous clients of a development broker: everything except the broker's own {@code $} topics.
   */
  Permissions ALL_BUT_RESERVED =
      new Permissions() {
        @Override
        public boolean canPublish(String topic) {
          return !topic.startsWith("$");
        }

        @Override
        public boolean canSubscribe(String filter) {
          io.mqttgrid.routing.Topics.SharedFilter shared =
              io.mqttgrid.routing.Topics.SharedFilter.parse(filter);
          return !(shared == null ? filter : shared.filter()).startsWith("$");
        }
      };

  /** Default deny (Event Grid's access control). */
  Permissions NONE =
      new Permissions() {
        @Override
        public boolean canPublish(String topic) {
          return false;
        }

        @Override
        public boolean canSubscribe(String filter) {
          return false;
        }
      };
}
