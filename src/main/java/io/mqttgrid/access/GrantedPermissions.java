package io.mqttgrid.access;

import io.mqttgrid.routing.SubscriptionTrie;
import io.mqttgrid.routing.Topics;
import java.util.Collection;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The rights of one identity as concrete filters (Event Grid's authorization rules): the publisher
 * and subscriber templates of its topic spaces, instantiated for it. Immutable, with value
 * semantics, so a node can compare the permissions a session started with against those of a
 * changed model (Event Grid's credential-lifetime rules).
 */
public final class GrantedPermissions implements Permissions {

  /** Default deny (Event Grid's access control). */
  public static final GrantedPermissions NONE =
      new GrantedPermissions(java.util.List.of(), java.util.List.of());

  /**
   * Above this many publish filters a trie finds the matching ones faster than trying each in turn.
   */
  static final int TRIE_THRESHOLD = 16;

  private final SortedSet<String> publishFilters;
  private final SortedSet<String> subscribeFilters;
  private final String[] publishList;
  private final SubscriptionTrie<String> publishTrie;
  private final String[] subscribeList;

  /**
   * @param publishFilters MQTT filters a topic name must match to be published to
   * @param subscribeFilters MQTT filters one of which must contain a subscription filter
   */
  public GrantedPermissions(
      Collection<String> publishFilters, Collection<String> subscribeFilters) {
    this.publishFilters = Collections.unmodifiableSortedSet(new TreeSet<>(publishFilters));
    this.subscribeFilters = Collections.unmodifiableSortedSet(new TreeSet<>(subscribeFilters));
    if (this.publishFilters.size() > TRIE_THRESHOLD) {
      publishTrie = new SubscriptionTrie<>();
      for (String filter : this.publishFilters) {
        publishTrie.add(filter, filter);
      }
      publishList = null;
    } else {
      publishTrie = null;
      publishList = this.publishFilters.toArray(String[]::new);
    }
    subscribeList = this.subscribeFilters.toArray(String[]::new);
  }

  /**
   * Topic names beginning with {@code $} are never granted; a name with wildcards is no topic name
   * and is refused rather than matched as if it were one.
   */
  @Override
  public boolean canPublish(String topic) {
    if (topic == null || topic.isEmpty() || topic.charAt(0) == '$' || Topics.hasWildcard(topic)) {
      return false;
    }
    if (publishList != null) {
      for (String filter : publishList) {
        if (Topics.matches(filter, topic)) {
          return true;
        }
      }
      return false;
    }
    boolean[] found = new boolean[1];
    publishTrie.match(topic, filter -> found[0] = true);
    return found[0];
  }

  /**
   * One granted filter must contain the whole subscription (a union of several is not used, spec
   * section 2.5); a {@code $share/<group>/} prefix is judged by the filter after it.
   */
  @Override
  public boolean canSubscribe(String filter) {
    if (filter == null) {
      return false;
    }
    String plain = filter;
    if (filter.startsWith(Topics.SHARE_PREFIX)) {
      Topics.SharedFilter shared = Topics.SharedFilter.parse(filter);
      if (shared == null) {
        return false;
      }
      plain = shared.filter();
    }
    if (plain.isEmpty()
        || plain.charAt(0) == '$'
        || Topics.checkFilter(plain, Integer.MAX_VALUE, Integer.MAX_VALUE) != Topics.Check.OK) {
      return false;
    }
    for (String granted : subscribeList) {
      if (TopicTemplate.covers(granted, plain)) {
        return true;
      }
    }
    return false;
  }

  /** The instantiated publisher filters, sorted. */
  public SortedSet<String> publishFilters() {
    return publishFilters;
  }

  /** The instantiated subscriber filters, sorted. */
  public SortedSet<String> subscribeFilters() {
    return subscribeFilters;
  }

  /**
   * Whether these permissions allow everything {@code earlier} allowed: each of its filters is
   * contained in one of ours. False means a model change took some right away (it may or may not be
   * one in use).
   */
  public boolean grantsAllOf(GrantedPermissions earlier) {
    return containsAll(publishFilters, earlier.publishFilters)
        && containsAll(subscribeFilters, earlier.subscribeFilters);
  }

  private static boolean containsAll(Collection<String> ours, Collection<String> theirs) {
    for (String wanted : theirs) {
      boolean covered = false;
      for (String granted : ours) {
        if (TopicTemplate.covers(granted, wanted)) {
          covered = true;
          break;
        }
      }
      if (!covered) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GrantedPermissions other
        && publishFilters.equals(other.publishFilters)
        && subscribeFilters.equals(other.subscribeFilters);
  }

  @Override
  public int hashCode() {
    return 31 * publishFilters.hashCode() + subscribeFilters.hashCode();
  }

  @Override
  public String toString() {
    return "publish " + publishFilters + ", subscribe " + subscribeFilters;
  }
}
