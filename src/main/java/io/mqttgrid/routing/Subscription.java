package io.mqttgrid.routing;

/**
 * One subscription of a session, with the MQTT 5 subscription options (section 3.8.3.1).
 *
 * @param filter the topic filter as the client sent it (with {@code $share/g/} when shared)
 * @param subscriptionId 0 when the SUBSCRIBE carried no Subscription Identifier
 * @param retainHandling 0 send retained on subscribe, 1 only if new, 2 never
 */
public record Subscription(
    String filter,
    int qos,
    boolean noLocal,
    boolean retainAsPublished,
    int retainHandling,
    int subscriptionId) {

  public Topics.SharedFilter shared() {
    return Topics.SharedFilter.parse(filter);
  }

  /** The filter that topics are matched against (without the {@code $share/group/} part). */
  public String matchFilter() {
    Topics.SharedFilter s = shared();
    return s == null ? filter : s.filter();
  }
}
