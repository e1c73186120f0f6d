package io.mqttgrid.load;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import io.mqttgrid.load.auth.JwtAuthMechanism;
import io.mqttgrid.load.auth.TlsPemFiles;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One publisher to one subscriber over MQTT 5 on loopback: how many messages per second reach the
 * subscriber. Run against MQTT Grid and Mosquitto on the same machine to compare them.
 *
 * <pre>mvn -q -f load-tests/pom.xml compile exec:java -Dexec.args="--port 1883 --qos 1 --messages 200000"</pre>
 *
 * <p>{@code --sub-port} (and {@code --sub-host}) connect the subscriber to another address than the
 * publisher's {@code --port}: another node of a cluster.
 *
 * <p>Authenticated (both clients alike): {@code --tls-trust server.crt} for TLS (the server certificate or its CA,
 * PEM), {@code --cert client.crt --key client.key} for a client certificate (PKCS#8 key), {@code --username},
 * {@code --jwt TOKEN} for CUSTOM-JWT; {@code --topic} instead of a fresh {@code bench/throughput/<n>} so the
 * topic can be one the namespace model grants.
 */
public final class Throughput {

  public static void main(String[] args) {
    int status;
    try {
      status = run(args);
    } catch (Exception e) {
      // a refused CONNECT or SUBSCRIBE: the client threads would keep the JVM (and exec:java) alive
      System.err.println("failed: " + (e.getCause() != null ? e.getCause() : e));
      status = 1;
    }
    System.exit(status);
  }

  private static int run(String[] args) throws Exception {
    String host = "127.0.0.1";
    int port = 1883;
    String subscriberHost = null;
    int subscriberPort = -1;
    int qos = 0;
    int messages = 200_000;
    int size = 64;
    int window = 1000;
    long sessionExpiry = 0;
    String topic = "bench/throughput/" + System.nanoTime();
    String tlsTrust = null;
    String certificate = null;
    String key = null;
    String username = null;
    String jwt = null;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--host" -> host = args[i + 1];
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        case "--sub-host" -> subscriberHost = args[i + 1];
        case "--sub-port" -> subscriberPort = Integer.parseInt(args[i + 1]);
        case "--qos" -> qos = Integer.parseInt(args[i + 1]);
        case "--messages" -> messages = Integer.parseInt(args[i + 1]);
        case "--size" -> size = Integer.parseInt(args[i + 1]);
        case "--window" -> window = Integer.parseInt(args[i + 1]);
        case "--session-expiry" -> sessionExpiry = Long.parseLong(args[i + 1]);
        case "--topic" -> topic = args[i + 1];
        case "--tls-trust" -> tlsTrust = args[i + 1];
        case "--cert" -> certificate = args[i + 1];
        case "--key" -> key = args[i + 1];
        case "--username" -> username = args[i + 1];
        case "--jwt" -> jwt = args[i + 1];
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    MqttQos q = MqttQos.fromCode(qos);
    byte[] payload = new byte[size];

    Mqtt5ClientBuilder builder = MqttClient.builder().useMqttVersion5().serverHost(host).serverPort(port);
    if (tlsTrust != null || certificate != null) {
      // both clients present the same identity, so the subscription and every publish go through the same
      // authorization as a device's would
      builder = builder.sslConfig(TlsPemFiles.sslConfig(tlsTrust, certificate, key));
    }
    if (username != null) {
      builder = builder.simpleAuth().username(username).applySimpleAuth();
    }
    if (jwt != null) {
      builder = builder.enhancedAuth(JwtAuthMechanism.customJwt(jwt));
    }
    // a broker that closes a client in the middle of a run says why only here (the run itself just stalls)
    builder = builder.addDisconnectedListener(context -> {
      if (context.getSource() != com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource.USER) {
        System.err.println(context.getClientConfig().getClientIdentifier().map(Object::toString).orElse("?")
            + " disconnected by " + context.getSource() + ": "
            + (context.getCause() instanceof com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException d
                ? d.getMqttMessage() : context.getCause()));
      }
    });
    // the subscriber on another node of a cluster (--sub-port) measures the path between the nodes
    Mqtt5AsyncClient sub = builder.identifier("bench-sub-" + System.nanoTime())
        .serverHost(subscriberHost != null ? subscriberHost : host)
        .serverPort(subscriberPort > 0 ? subscriberPort : port).buildAsync();
    // a session expiry above 0 makes the subscriber's session persistent: every QoS 1/2 message is queued
    sub.connectWith().cleanStart(true).sessionExpiryInterval(sessionExpiry).send().get(10, TimeUnit.SECONDS);
    CountDownLatch done = new CountDownLatch(messages);
    // the window is end to end: a message leaves it when the subscriber has it, so the publisher never
    // outruns the subscriber and no broker has to drop anything to keep up
    Semaphore inFlight = new Semaphore(window);
    try {
      sub.subscribeWith().topicFilter(topic).qos(q).callback(p -> {
        done.countDown();
        inFlight.release();
      }).send().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      // e.g. SUBACK 0x87 when the namespace model grants no Subscriber right on the topic
      System.err.println("SUBSCRIBE " + topic + " refused: " + e.getCause().getMessage());
      return 1;
    }

    Mqtt5AsyncClient pub = builder.identifier("bench-pub-" + System.nanoTime()).serverHost(host).serverPort(port)
        .buildAsync();
    pub.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);

    long start = System.nanoTime();
    for (int i = 0; i < messages; i++) {
      if (!inFlight.tryAcquire(10, TimeUnit.SECONDS)) {
        break; // messages are being lost: stop and report
      }
      pub.publishWith().topic(topic).qos(q).payload(payload).send();
    }
    long published = System.nanoTime();
    boolean complete = false;
    long lastCount = -1;
    for (int waited = 0; waited < 300 && !complete; waited++) {
      complete = done.await(10, TimeUnit.SECONDS);
      long count = done.getCount();
      if (!complete && count == lastCount) {
        break; // no progress for ten seconds: report what arrived
      }
      lastCount = count;
    }
    long end = System.nanoTime();
    long received = messages - done.getCount();
    double seconds = (end - start) / 1e9;
    System.out.printf(Locale.ROOT, "port %d%s qos %d size %d: %d/%d messages received in %.2f s = %.0f msg/s "
            + "(publish side %.0f msg/s)%s%n", port, subscriberPort > 0 ? " -> " + subscriberPort : "", qos, size, received, messages, seconds, received / seconds,
        messages / ((published - start) / 1e9), complete ? "" : " INCOMPLETE");
    pub.disconnect().get(10, TimeUnit.SECONDS);
    sub.disconnect().get(10, TimeUnit.SECONDS);
    return complete ? 0 : 1;
  }
}
