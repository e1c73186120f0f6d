package io.mqttgrid.events;

import io.mqttgrid.access.RoutingSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validation handshake's state for one destination ({@link WebhookSender#handshake}): a webhook
 * gets events once its endpoint answered it on this node. Until it passes, the destination's events
 * wait (in its buffer, bounded by {@code routing.buffer-events}) and the handshake is asked again
 * on the retry schedule; each failure counts the waiting events failed ({@code ValidationFailed}).
 * Touched on the routing's context only.
 */
final class WebhookValidation {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookValidation.class);

  private final RoutingDestination owner;
  private final RoutingDestination.Shared shared;

  /** The endpoint that answered the handshake last. */
  private String validatedUrl;

  /** A handshake or the wait before its retry is under way. */
  private boolean validating;

  private int attempts;

  /** The endpoint whose failed handshake was logged: one line per endpoint, not per retry. */
  private String reportedUrl;

  WebhookValidation(RoutingDestination owner, RoutingDestination.Shared shared) {
    this.owner = owner;
    this.shared = shared;
  }

  /** A webhook gets events once it answered the handshake (or when validation is off). */
  boolean passed(RoutingSettings.Destination to) {
    return to.endpointUrl() == null
        || !shared.options().validateWebhooks()
        || to.endpointUrl().equals(validatedUrl);
  }

  /** Asks {@code to} unless a handshake, or the wait before the next, is under way. */
  void start(RoutingSettings.Destination to) {
    if (validating) {
      return;
    }
    validating = true;
    shared
        .webhooks()
        .handshake(to)
        .onComplete(ar -> shared.context().runOnContext(v -> answered(to, ar.result())));
  }

  /** The outcome of the handshake with {@code to}: {@code why} it failed, or null. */
  private void answered(RoutingSettings.Destination to, String why) {
    String url = to.endpointUrl();
    RoutingSettings.Destination now = owner.destination;
    if (now == null || !url.equals(now.endpointUrl())) {
      // removed or moved meanwhile: the next pump drops its events or asks the new endpoint
      validating = false;
      attempts = 0;
      owner.handshakeOver();
      return;
    }
    if (why == null) {
      validating = false;
      attempts = 0;
      validatedUrl = url;
      LOG.info("{}: {} validated", owner.label(), to.describe());
      reportedUrl = null;
      owner.handshakeOver();
      return;
    }
    // the events it holds back may reach their retry policy's limits here
    long untilNextExpiry = owner.handshakeFailed("validation handshake failed: " + why);
    long delay = Math.max(1, Math.min(owner.policy().delay(attempts++), untilNextExpiry));
    if (!url.equals(reportedUrl)) {
      reportedUrl = url;
      LOG.warn(
          "{}: {} failed the webhook validation handshake ({}): its events wait, asked again"
              + " on the retry schedule",
          owner.label(),
          to.describe(),
          why);
    }
    shared
        .vertx()
        .setTimer(
            delay,
            t ->
                shared
                    .context()
                    .runOnContext(
                        v -> {
                          validating = false;
                          RoutingSettings.Destination d = owner.destination;
                          if (d == null || passed(d)) {
                            // removed (they end there, counted) or no longer to validate
                            owner.handshakeOver();
                          } else {
                            // past their time to live meanwhile: not held for another handshake
                            owner.expireHeldBack("validation handshake failed: " + why);
                            if (owner.hasParked()) {
                              start(d);
                            }
                            owner.pump();
                          }
                        }));
  }
}
