package io.mqttgrid.events;

/**
 * What became of a delivery attempt: the error dimensions of {@code Mqtt.FailedRoutedMessages}
 * (Event Grid's, and ours), which of them are retried, and why an event is dead-lettered.
 */
final class RoutingErrors {

  private RoutingErrors() {}

  /**
   * Error dimensions of {@code Mqtt.FailedRoutedMessages} (Event Grid's routing delivery and retry
   * rules).
   */
  static final String TOPIC_NOT_FOUND = "TopicNotFoundError";

  static final String AUTHENTICATION_ERROR = "AuthenticationError";
  static final String TOO_MANY_REQUESTS = "TooManyRequests";
  static final String SERVICE_ERROR = "ServiceError";

  /** Ours: a 4xx other than 401, 403, 404, 429; and a full buffer. */
  static final String CLIENT_ERROR = "ClientError";

  static final String BUFFER_FULL = "BufferFull";

  /** Ours: the webhook did not answer the validation handshake. */
  static final String VALIDATION_FAILED = "ValidationFailed";

  /**
   * Why an event is dead-lettered ({@code deadLetterReason}): Event Grid's names for the retry
   * policy's limits; ours for a destination that refused the events and for a full buffer.
   */
  static final String MAX_DELIVERY_ATTEMPTS = "MaxDeliveryAttemptExceeded";

  static final String TIME_TO_LIVE = "TimeToLiveExceeded";
  static final String NOT_RETRIED = "DeliveryRefused";

  /** Ours: the dead-letter destination itself failed (past its own retries) or was removed. */
  static final String DEAD_LETTER_FAILED = "DeadLetterFailed";

  /**
   * The error dimension of an HTTP answer, null for a success (Event Grid's routing delivery and
   * retry rules).
   */
  static String error(int status) {
    if (status >= 200 && status < 300) {
      return null;
    }
    return switch (status) {
      case 404, 410 -> TOPIC_NOT_FOUND;
      case 401, 403 -> AUTHENTICATION_ERROR;
      case 429 -> TOO_MANY_REQUESTS;
      default -> status >= 500 || status == 408 ? SERVICE_ERROR : CLIENT_ERROR;
    };
  }

  /** Whether an attempt that failed so is retried on the schedule. */
  static boolean retried(String error) {
    return error.equals(TOO_MANY_REQUESTS) || error.equals(SERVICE_ERROR);
  }

  /** For logs and dead-letter events: what went wrong, without a stack trace. */
  static String describe(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
