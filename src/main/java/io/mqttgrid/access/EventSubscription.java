package io.mqttgrid.access;

import java.util.List;
import java.util.regex.Pattern;

/**
 * An event subscription of the namespace (ours, in the namespace settings {@code
 * eventSubscriptions}): the routed messages and client life-cycle events that pass its filter go to
 * its own webhook. Event Grid has them on a namespace topic (routed messages) and on a system topic
 * (life-cycle events); MQTT Grid has one stream of events per namespace and its subscriptions tell
 * the kinds apart by {@code type}.
 *
 * @param name unique in the namespace (case-insensitively): Event Grid's rule, 3 to 50 letters,
 *     digits and hyphens
 * @param filter Event Grid's event subscription filter
 * @param destination its webhook
 * @param delivery its own retry policy and dead-letter destination, in place of the node's and the
 *     namespace's
 */
public record EventSubscription(
    String name, Filter filter, RoutingSettings.Destination destination, Delivery delivery) {

  public EventSubscription {
    delivery = delivery == null ? Delivery.DEFAULTS : delivery;
  }

  /** With the node's retry policy and the namespace's dead-letter destination. */
  public EventSubscription(String name, Filter filter, RoutingSettings.Destination destination) {
    this(name, filter, destination, Delivery.DEFAULTS);
  }

  /** The bounds of {@code maxDeliveryCount}: those of {@code routing.max-delivery-attempts}. */
  public static final int MAX_DELIVERY_COUNT = 1000;

  /** The bound of {@code eventTimeToLive}: that of {@code routing.event-time-to-live-ms}. */
  public static final java.time.Duration MAX_EVENT_TIME_TO_LIVE = java.time.Duration.ofDays(365);

  /**
   * Event Grid's retry policy and dead-letter destination of a push event subscription ({@code
   * deliveryConfiguration.push.maxDeliveryCount}, {@code eventTimeToLive}, {@code
   * deadLetterDestinationWithResourceIdentity}), in our {@code deliveryConfiguration}; each null
   * when not set.
   *
   * @param maxDeliveryCount attempts (the first included) before an event is dead-lettered, or
   *     null: the node's {@code routing.max-delivery-attempts}
   * @param eventTimeToLive the age past which an event is dead-lettered rather than retried, or
   *     null: the node's {@code routing.event-time-to-live-ms}
   * @param deadLetterDestination where its undelivered events go, or null: the namespace's {@code
   *     deadLetterDestination} (else the node's {@code routing.dead-letter-file})
   */
  public record Delivery(
      Integer maxDeliveryCount,
      java.time.Duration eventTimeToLive,
      RoutingSettings.Destination deadLetterDestination) {

    public static final Delivery DEFAULTS = new Delivery(null, null, null);

    public boolean isDefault() {
      return equals(DEFAULTS);
    }
  }

  /** Event Grid's limits on event subscriptions. */
  public static final int MAX_SUBSCRIPTIONS = 500;

  public static final int MAX_ADVANCED_FILTERS = 25;

  /** Values across all the advanced filters of one subscription (a range counts as one). */
  public static final int MAX_FILTER_VALUES = 25;

  public static final int MAX_STRING_VALUE_LENGTH = 512;

  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9-]{3,50}");

  /**
   * Event Grid's {@code filter} of an event subscription; every part must pass (AND).
   *
   * @param includedEventTypes the {@code type}s that pass (case-insensitively); empty: all
   * @param subjectBeginsWith a prefix {@code subject} must have, or null
   * @param subjectEndsWith a suffix {@code subject} must have, or null
   * @param isSubjectCaseSensitive whether the two subject filters compare case-sensitively (default
   *     false, as in Event Grid)
   * @param enableAdvancedFilteringOnArrays whether an array value is matched element by element
   *     (default false, as in Event Grid: an array then matches no operator's type)
   * @param advancedFilters all must pass
   */
  public record Filter(
      List<String> includedEventTypes,
      String subjectBeginsWith,
      String subjectEndsWith,
      boolean isSubjectCaseSensitive,
      boolean enableAdvancedFilteringOnArrays,
      List<AdvancedFilter> advancedFilters) {

    public static final Filter ALL = new Filter(List.of(), null, null, false, false, List.of());

    public Filter {
      includedEventTypes = List.copyOf(includedEventTypes);
      advancedFilters = List.copyOf(advancedFilters);
    }
  }

  /**
   * One advanced filter: a key of the event, an operator and its values (any of them: OR).
   *
   * @param values strings, {@code Double}s, a {@code Boolean}, or {@code List<Double>} ranges of
   *     two, as {@link Operator#values} says; one for the single-value operators, none for the null
   *     checks
   */
  public record AdvancedFilter(Operator operatorType, String key, List<Object> values) {
    public AdvancedFilter {
      values = List.copyOf(values);
    }
  }

  /** What an operator's values are, in the ARM shape: {@code value} or {@code values}. */
  public enum Values {
    NUMBER,
    NUMBERS,
    RANGES,
    BOOLEAN,
    STRINGS,
    NONE
  }

  /** Event Grid's operators (the ARM filter union). */
  public enum Operator {
    NumberIn(Values.NUMBERS),
    NumberNotIn(Values.NUMBERS),
    NumberLessThan(Values.NUMBER),
    NumberLessThanOrEquals(Values.NUMBER),
    NumberGreaterThan(Values.NUMBER),
    NumberGreaterThanOrEquals(Values.NUMBER),
    NumberInRange(Values.RANGES),
    NumberNotInRange(Values.RANGES),
    BoolEquals(Values.BOOLEAN),
    StringIn(Values.STRINGS),
    StringNotIn(Values.STRINGS),
    StringBeginsWith(Values.STRINGS),
    StringNotBeginsWith(Values.STRINGS),
    StringEndsWith(Values.STRINGS),
    StringNotEndsWith(Values.STRINGS),
    StringContains(Values.STRINGS),
    StringNotContains(Values.STRINGS),
    IsNullOrUndefined(Values.NONE),
    IsNotNull(Values.NONE);

    public final Values values;

    Operator(Values values) {
      this.values = values;
    }

    /** Whether the ARM shape has one {@code value} rather than {@code values}. */
    public boolean singleValue() {
      return values == Values.NUMBER || values == Values.BOOLEAN;
    }
  }
}
