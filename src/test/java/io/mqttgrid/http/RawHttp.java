package io.mqttgrid.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/** HTTP/1.1 on a raw socket, for clients that misbehave on purpose (slow, silent, cut short). */
final class RawHttp {

  /**
   * How long a test waits for the broker to act: far above the 1-2 s timeouts tests set, below a
   * trickle's end.
   */
  static final int WAIT_MS = 8_000;

  /**
   * What a raw connection saw: the bytes the broker sent before it closed the connection, or that
   * it stayed open.
   */
  record Outcome(boolean closed, String received, long millis) {}

  private RawHttp() {}

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  static Socket connect(int port) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(WAIT_MS);
    return socket;
  }

  static void send(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /**
   * Writes {@code text} one byte every {@code intervalMs}, until done, interrupted or the socket
   * fails.
   */
  static Thread trickle(Socket socket, String text, long intervalMs) {
    Thread t =
        new Thread(
            () -> {
              try {
                OutputStream out = socket.getOutputStream();
                for (byte b : text.getBytes(StandardCharsets.ISO_8859_1)) {
                  out.write(b);
                  out.flush();
                  Thread.sleep(intervalMs);
                }
              } catch (IOException | InterruptedException e) {
                // closed by the broker, or the test is done
              }
            },
            "trickle");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Reads until the broker closes the connection (or resets it), or {@link #WAIT_MS} pass. */
  static Outcome awaitClose(Socket socket) throws IOException {
    return awaitClose(socket, null);
  }

  /**
   * As {@link #awaitClose(Socket)}, interrupting {@code writer} (a {@link #trickle}) once the
   * broker answers, so that it does not write into the closed connection (the reset could cost the
   * client the answer).
   */
  static Outcome awaitClose(Socket socket, Thread writer) throws IOException {
    long start = System.nanoTime();
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[4096];
    boolean closed;
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        received.write(buffer, 0, n);
        if (writer != null) {
          writer.interrupt();
        }
      }
      closed = true;
    } catch (SocketTimeoutException e) {
      closed = false;
    } catch (SocketException e) {
      closed = true; // reset: the broker closed while the client was still writing
    } finally {
      if (writer != null) {
        writer.interrupt();
      }
    }
    return new Outcome(
        closed,
        received.toString(StandardCharsets.ISO_8859_1),
        (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * The status line and headers and a Content-Length body of one response on a kept-alive
   * connection.
   */
  static String readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head);
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }

  /** The broker answered 408 with the API's error body and closed the connection. */
  static void assertRequestTimeout(Outcome outcome, String what) {
    assertThat(outcome.closed()).as("connection closed").isTrue();
    assertThat(outcome.received())
        .startsWith("HTTP/1.1 408")
        .contains("\"RequestTimeout\"")
        .contains(what);
  }
}
