package io.mqttgrid.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one HTTP listener (one port) from being held by clients that do not finish their requests:
 * an idle timeout, a deadline for each request's headers and one for its body, and a cap on the
 * connections open at once (counted per port, so that a flood of one port never keeps another, such
 * as the management port with the health probes, from answering). One guard serves every verticle
 * instance listening on its port, since Vert.x shares the port among them.
 *
 * <p>What a client gets: an idle connection is closed; headers not complete in time get a 408
 * (written before the close, no request having been read); a body not complete in time gets a 408
 * when no answer was started, else the connection is closed; a connection over the cap is closed at
 * once, unanswered. Closing costs nothing, whereas answering would mean reading the request of a
 * client that may never send one; a client or load balancer sees a refused connection and retries
 * elsewhere.
 *
 * <p>The listener speaks HTTP/1.1 only (no cleartext HTTP/2 upgrade; the HTTPS port offers no ALPN
 * anyway): the deadlines follow HTTP/1.1's one-request-after-another, and with cleartext HTTP/2
 * enabled Vert.x announces a connection only after its first bytes, so silent connections would
 * escape the count.
 */
public final class HttpConnectionGuard {

  private static final Logger LOG = LoggerFactory.getLogger(HttpConnectionGuard.class);
  private static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final String REQUEST_START_HANDLER = "mqttgrid-request-start";

  /** The name Vert.x gives the HTTP/1.x request decoder in the channel pipeline. */
  private static final String VERTX_HTTP_DECODER = "httpDecoder";

  private final String listener;
  private final String capKey;
  private final HttpConnectionLimits limits;
  private final byte[] headerTimeoutResponse;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong refusedSinceLog = new AtomicLong();
  private final AtomicLong lastRefusalLogNanos =
      new AtomicLong(System.nanoTime() - REFUSAL_LOG_INTERVAL_NANOS);

  /**
   * @param listener the port's name in logs, e.g. {@code HTTP port}
   * @param capKey the configuration key of the cap, named in the log line when connections are
   *     refused
   */
  public HttpConnectionGuard(String listener, String capKey, HttpConnectionLimits limits) {
    this.listener = listener;
    this.capKey = capKey;
    this.limits = limits;
    byte[] body =
        new ApiException(
                408,
                "RequestTimeout",
                "the request headers did not arrive within " + limits.headerTimeoutSeconds() + " s")
            .toJson()
            .encode()
            .getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json; charset=utf-8\r\n"
            + "Content-Length: "
            + body.length
            + "\r\nConnection: close\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    headerTimeoutResponse = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, headerTimeoutResponse, 0, headBytes.length);
    System.arraycopy(body, 0, headerTimeoutResponse, headBytes.length, body.length);
  }

  /** {@code options} with the idle timeout, HTTP/1.1 only. */
  HttpServerOptions configure(HttpServerOptions options) {
    return options
        .setIdleTimeout(limits.idleTimeoutSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setHttp2ClearTextEnabled(false);
  }

  /**
   * Sets the connection and request handlers of {@code server} (made with {@link #configure}
   * options), the latter passing each request on to {@code requests}.
   */
  HttpServer install(HttpServer server, Handler<HttpServerRequest> requests) {
    // one server instance's connections are all handled on its event loop: no locking
    Map<HttpConnection, Deadlines> connections = new IdentityHashMap<>();
    server.connectionHandler(conn -> accept(conn, connections));
    server.requestHandler(
        request -> {
          Deadlines deadlines = connections.get(request.connection());
          if (deadlines != null) {
            deadlines.requestStarted(request);
          }
          requests.handle(request);
        });
    return server;
  }

  private void accept(HttpConnection conn, Map<HttpConnection, Deadlines> connections) {
    int now;
    do {
      now = open.get();
      if (now >= limits.maxConnections()) {
        refused(conn);
        return;
      }
    } while (!open.compareAndSet(now, now + 1));
    Deadlines deadlines = new Deadlines(conn, Vertx.currentContext());
    connections.put(conn, deadlines);
    conn.closeHandler(
        v -> {
          open.decrementAndGet();
          connections.remove(conn);
          deadlines.cancelAll();
        });
    deadlines.start();
  }

  private void refused(HttpConnection conn) {
    conn.close();
    long refused = refusedSinceLog.incrementAndGet();
    long last = lastRefusalLogNanos.get();
    long nowNanos = System.nanoTime();
    if (nowNanos - last >= REFUSAL_LOG_INTERVAL_NANOS
        && lastRefusalLogNanos.compareAndSet(last, nowNanos)) {
      refusedSinceLog.addAndGet(-refused);
      LOG.warn(
          "{} {} is at its cap of {} open connections ({}): closed {} new connection(s) unanswered since "
              + "the last such line",
          listener,
          conn.localAddress().port(),
          limits.maxConnections(),
          capKey,
          refused);
    }
  }

  /**
   * The deadlines of one connection. Vert.x calls its request handler once a request's headers are
   * complete and has no event for the first byte of a request, so this also sits in the
   * connection's Netty pipeline in front of the HTTP decoder: the first bytes after a request was
   * received start the next request's header deadline (before that, the connection is idle between
   * requests and only the idle timeout applies).
   */
  private final class Deadlines extends ChannelInboundHandlerAdapter {

    private final HttpConnection conn;
    private final Context context;
    private ChannelHandlerContext channel;
    private ScheduledFuture<?> headerDeadline;
    private ScheduledFuture<?> bodyDeadline;

    /**
     * Whether the next bytes read begin a request: no request in progress or its whole body read.
     */
    private boolean awaitingRequest = true;

    private HttpServerRequest current;

    Deadlines(HttpConnection conn, Context context) {
      this.conn = conn;
      this.context = context;
    }

    void start() {
      // Vert.x has no public hook into a connection's byte stream; this is its HTTP/1.x connection
      // type
      ChannelPipeline pipeline =
          ((io.vertx.core.http.impl.HttpServerConnection) conn).channelHandlerContext().pipeline();
      if (pipeline.get(VERTX_HTTP_DECODER) != null) {
        pipeline.addBefore(VERTX_HTTP_DECODER, REQUEST_START_HANDLER, this);
      } else {
        pipeline.addFirst(
            REQUEST_START_HANDLER, this); // only bytes are counted: before TLS is as good
      }
      // the first request's headers are due from the accept on: a client that connects and says
      // nothing holds
      // the connection no longer than one that trickles its headers
      headerDeadline = schedule(limits.headerTimeoutSeconds(), this::headerTimedOut);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (awaitingRequest && headerDeadline == null) {
        headerDeadline = schedule(limits.headerTimeoutSeconds(), this::headerTimedOut);
      }
      ctx.fireChannelRead(msg);
    }

    void requestStarted(HttpServerRequest request) {
      awaitingRequest = false;
      cancel(headerDeadline);
      headerDeadline = null;
      current = request;
      boolean hasBody =
          request.headers().contains(HttpHeaders.CONTENT_LENGTH)
              || request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
      if (!hasBody || request.isEnded()) {
        awaitingRequest = true;
        return;
      }
      bodyDeadline = schedule(limits.bodyTimeoutSeconds(), () -> bodyTimedOut(request));
      request
          .end()
          .onComplete(
              ar -> {
                if (current == request) {
                  cancel(bodyDeadline);
                  bodyDeadline = null;
                  awaitingRequest = true;
                }
              });
    }

    private void headerTimedOut() {
      headerDeadline = null;
      if (!awaitingRequest) {
        return;
      }
      if (current != null && !current.response().ended()) {
        // a pipelined request waits for the answer to the one before it: the broker is late, not
        // the client
        headerDeadline = schedule(limits.headerTimeoutSeconds(), this::headerTimedOut);
        return;
      }
      LOG.debug(
          "{}: {} did not complete a request's headers within {} s, closed",
          listener,
          conn.remoteAddress(),
          limits.headerTimeoutSeconds());
      // no request was read, so Vert.x has no response to write: the answer goes straight to the
      // socket
      channel
          .writeAndFlush(Unpooled.wrappedBuffer(headerTimeoutResponse))
          .addListener(ChannelFutureListener.CLOSE);
    }

    private void bodyTimedOut(HttpServerRequest request) {
      bodyDeadline = null;
      if (request.isEnded()) {
        return;
      }
      LOG.debug(
          "{}: {} did not complete the body of {} {} within {} s, closed",
          listener,
          conn.remoteAddress(),
          request.method(),
          request.path(),
          limits.bodyTimeoutSeconds());
      HttpServerResponse response = request.response();
      if (response.headWritten() || response.ended() || response.closed()) {
        conn.close();
        return;
      }
      ApiException error =
          new ApiException(
              408,
              "RequestTimeout",
              "the request body did not arrive within " + limits.bodyTimeoutSeconds() + " s");
      response
          .setStatusCode(408)
          .putHeader(HttpHeaders.CONNECTION, "close")
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
          .end(error.toJson().encode())
          .onComplete(x -> conn.close());
    }

    private ScheduledFuture<?> schedule(int seconds, Runnable onContext) {
      return channel
          .executor()
          .schedule(() -> context.runOnContext(v -> onContext.run()), seconds, TimeUnit.SECONDS);
    }

    void cancelAll() {
      cancel(headerDeadline);
      cancel(bodyDeadline);
      headerDeadline = null;
      bodyDeadline = null;
    }

    private void cancel(ScheduledFuture<?> deadline) {
      if (deadline != null) {
        deadline.cancel(false);
      }
    }
  }
}
