package io.mqttgrid.events;

import io.mqttgrid.access.RoutingSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validation handshake's state for one destination ({@link WebhookSender#handshake}): a webhook
 * gets events once its endpoint answered it on this node, or called back the URL offered in {@code
 * WebHook-Request-Callback} ({@link ValidationCallbacks}). Until it passes, the destination's
 * events wait (in its buffer, bounded by {@code routing.buffer-events}) and the handshake is asked
 * again on the retry schedule (with the same callback URL); each failure counts the waiting events
 * failed ({@code ValidationFailed}). Once it passed, the destination's requests keep to the rate
 * the receiver allowed ({@link #intervalMillis}). Touched on the routing's context only.
 */
final class WebhookValidation {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookValidation.class);

  private final RoutingDestination owner;
  private final RoutingDestination.Shared shared;

  /** The endpoint that answered the handshake last. */
  private String validatedUrl;

  /** The requests per minute {@link #validatedUrl} allows, 0 for no limit. */
  private int allowedRate;

  /** The token of the callback URL offered to {@link #callbackFor}, or null. */
  private String callbackToken;

  private String callbackFor;

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

  /**
   * Milliseconds between the starts of two requests to {@code to}, as the rate its receiver allowed
   * asks (requests per minute, rounded so as never to exceed it); 0: no limit.
   */
  long intervalMillis(RoutingSettings.Destination to) {
    if (allowedRate <= 0 || to.endpointUrl() == null || !to.endpointUrl().equals(validatedUrl)) {
      return 0;
    }
    return (60_000L + allowedRate - 1) / allowedRate;
  }

  /** Asks {@code to} unless a handshake, or the wait before the next, is under way. */
  void start(RoutingSettings.Destination to) {
    if (validating) {
      return;
    }
    validating = true;
    String callback = null;
    ValidationCallbacks callbacks = shared.callbacks();
    if (callbacks.on()) {
      // one token per endpoint, offered again with each handshake until it is used: a receiver (or
      // its administrator) may call the URL of any of them
      if (callbackToken == null || !to.endpointUrl().equals(callbackFor)) {
        forgetCallback();
        callbackToken = callbacks.open(this);
        callbackFor = to.endpointUrl();
      }
      callback = callbacks.url(callbackToken);
    }
    shared
        .webhooks()
        .handshake(to, callback, shared.options().webhookRequestRate())
        .onComplete(ar -> shared.context().runOnContext(v -> answered(to, ar.result())));
  }

  /**
   * The receiver called back the URL of {@code token}, allowing {@code rateHeader} ({@code
   * WebHook-Allowed-Rate}, or null); on the context.
   */
  void called(String token, String rateHeader) {
    RoutingSettings.Destination d = owner.destination;
    if (!token.equals(callbackToken) || d == null || !callbackFor.equals(d.endpointUrl())) {
      return; // moved or removed meanwhile: its new endpoint is asked
    }
    validated(
        d,
        WebhookSender.allowedRate(rateHeader, shared.options().webhookRequestRate()),
        "by its callback");
  }

  /** The destination is removed: its callback URL is no longer valid. */
  void forget() {
    shared.context().runOnContext(v -> forgetCallback());
  }

  private void forgetCallback() {
    shared.callbacks().close(callbackToken);
    callbackToken = null;
    callbackFor = null;
  }

  private void validated(RoutingSettings.Destination to, int rate, String how) {
    attempts = 0;
    validatedUrl = to.endpointUrl();
    allowedRate = rate;
    forgetCallback();
    LOG.info(
        "{}: {} validated {}{}",
        owner.label(),
        to.describe(),
        how,
        rate > 0 ? ", at most " + rate + " requests per minute" : "");
    reportedUrl = null;
    owner.handshakeOver();
  }

  /** The outcome of the handshake with {@code to}. */
  private void answered(RoutingSettings.Destination to, WebhookSender.Answer answer) {
    String url = to.endpointUrl();
    RoutingSettings.Destination now = owner.destination;
    if (now == null || !url.equals(now.endpointUrl())) {
      // removed or moved meanwhile: the next pump drops its events or asks the new endpoint
      validating = false;
      attempts = 0;
      if (now == null) {
        forgetCallback();
      }
      owner.handshakeOver();
      return;
    }
    if (url.equals(validatedUrl)) {
      validating = false; // its callback was called meanwhile
      return;
    }
    if (answer.failure() == null) {
      validating = false;
      validated(to, answer.allowedRate(), "by its answer");
      return;
    }
    String why = answer.failure();
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
                            if (d == null) {
                              forgetCallback();
                            }
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
