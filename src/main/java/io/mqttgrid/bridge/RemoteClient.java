package io.mqttgrid.bridge;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttClientSslConfigBuilder;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.datatypes.MqttUtf8String;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.connect.Mqtt3ConnectBuilder;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscribe;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscription;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientConfig;
import com.hivemq.client.mqtt.mqtt5.auth.Mqtt5EnhancedAuthMechanism;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserPropertiesBuilder;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5Auth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5AuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5EnhancedAuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5Disconnect;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishBuilder;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscribe;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscription;
import io.mqttgrid.bridge.BridgeFile.Endpoint;
import io.mqttgrid.publish.PublishRequest;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The bridge's connection to a remote broker, over the HiveMQ MQTT client. Not vertx-mqtt's {@code
 * MqttClient}: in the vertx-mqtt release this broker runs on (5.1.1) that client speaks MQTT 3.1.1
 * only (its {@code PROTOCOL_VERSION} is 4), so it has no session expiry, Receive Maximum, reason
 * codes or message properties, and it acknowledges incoming QoS 1 messages itself, while the bridge
 * must send the remote's PUBACK only after this broker stored the message. The HiveMQ client does
 * MQTT 5 and 3.1.1 with manual acknowledgement. Its own automatic reconnect is not used: the bridge
 * reconnects with a fresh client each time (see {@link DataflowBridge}), so that what the remote
 * has not acknowledged is resent from this broker's session store only, not also from the old
 * client's memory.
 */
interface RemoteClient {

  /** A message the remote broker delivered; {@link #acknowledge} sends its PUBACK. */
  record Incoming(
      String topic,
      int qos,
      boolean retain,
      byte[] payload,
      String responseTopic,
      byte[] correlationData,
      List<UserProperty> userProperties,
      String contentType,
      long expirySeconds,
      int payloadFormat,
      Runnable acknowledge) {

    /**
     * The local publish of this message to {@code target}, with the response topic and user
     * properties the dataflow gives it.
     */
    PublishRequest request(
        String target,
        int qos,
        boolean retain,
        String mappedResponseTopic,
        List<UserProperty> mappedUserProperties) {
      return PublishRequest.of(
          target,
          qos,
          retain,
          payload,
          mappedResponseTopic,
          correlationData,
          mappedUserProperties,
          contentType,
          expirySeconds,
          payloadFormat);
    }
  }

  /**
   * The remote broker answered a publish with an error reason code: sending it again will not help.
   */
  final class Refused extends RuntimeException {
    Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  /**
   * Connects (Clean Start 0, the endpoint's session expiry); completes with whether the session was
   * present.
   */
  CompletableFuture<Boolean> connect();

  /**
   * Subscribes to {@code filters}; completes with the refusals the remote gave, empty when all were
   * granted.
   */
  CompletableFuture<List<String>> subscribe(List<String> filters, int qos);

  /**
   * Publishes {@code message} to {@code topic}; completes when the remote acknowledged it (QoS 1)
   * or it was written (QoS 0); fails with {@link Refused} when the remote refused it, with anything
   * else when the connection failed first.
   */
  CompletableFuture<Void> publish(String topic, PublishedMessage message, int qos, boolean retain);

  void disconnect();

  /** The token this client authenticated with last (null without token authentication). */
  String token();

  /**
   * Authenticates again on the live connection with {@code token}: MQTT 5 AUTH (Re-authenticate
   * 0x19) with the endpoint's token authentication method. Fails with {@link
   * UnsupportedOperationException} where there is no such thing (MQTT 3.1.1, or a connection made
   * without an authentication method): the caller reconnects with the new token instead; with
   * anything else when the remote refused it or the connection failed.
   */
  CompletableFuture<Void> reauthenticate(String token);

  /** The token in {@code file}, without surrounding white space (a trailing newline is common). */
  static String readToken(Path file) {
    try {
      String token = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (token.isEmpty()) {
        throw new IllegalStateException("token file " + file + " is empty");
      }
      return token;
    } catch (IOException e) {
      throw new IllegalStateException("token file " + file + " unreadable: " + e.getMessage());
    }
  }

  /**
   * A client for {@code endpoint} as {@code clientId}; incoming messages go to {@code onMessage}
   * (manually acknowledged), the loss of the connection (or a failed connect) to {@code onLost}.
   * Both are called on the client's threads.
   */
  static RemoteClient create(
      Endpoint endpoint,
      String clientId,
      Consumer<Incoming> onMessage,
      Consumer<Throwable> onLost) {
    MqttClientBuilder builder =
        MqttClient.builder()
            .identifier(clientId)
            .serverHost(endpoint.host())
            .serverPort(endpoint.port())
            .addDisconnectedListener(ctx -> onLost.accept(ctx.getCause()));
    if (endpoint.webSockets()) {
      // the path without its leading '/': the client puts one between host:port and the path
      builder =
          builder
              .webSocketConfig()
              .serverPath(endpoint.webSocketPath().substring(1))
              .subprotocol("mqtt")
              .applyWebSocketConfig();
    }
    if (endpoint.tls()) {
      MqttClientSslConfigBuilder tls = MqttClientSslConfig.builder();
      if (endpoint.trustedCaFile() != null) {
        tls = tls.trustManagerFactory(trust(endpoint));
      }
      BridgeFile.Authentication auth = endpoint.authentication();
      if (auth.certificateFile() != null) {
        tls = tls.keyManagerFactory(clientKeys(auth.certificateFile(), auth.keyFile()));
      }
      builder = builder.sslConfig(tls.build());
    }
    byte[] password = null;
    if (endpoint.authentication().passwordFile() != null) {
      try {
        password =
            Files.readString(endpoint.authentication().passwordFile(), StandardCharsets.UTF_8)
                .strip()
                .getBytes(StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException(
            "password file of endpoint '" + endpoint.name() + "' unreadable: " + e.getMessage());
      }
    }
    Path tokenFile = endpoint.authentication().tokenFile();
    String token = tokenFile == null ? null : readToken(tokenFile);
    return endpoint.mqttVersion() == 5
        ? new V5(builder.useMqttVersion5().buildAsync(), endpoint, password, token, onMessage)
        : new V3(builder.useMqttVersion3().buildAsync(), endpoint, password, token, onMessage);
  }

  /**
   * The client certificate chain of {@code certificateFile} with the key of {@code keyFile} (PKCS
   * #8 PEM, the form OpenSSL 3 writes by default); throws {@link IllegalStateException} with the
   * reason when they do not make a key pair.
   */
  static KeyManagerFactory clientKeys(Path certificateFile, Path keyFile) {
    try (InputStream in = Files.newInputStream(certificateFile)) {
      List<Certificate> chain =
          new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
      if (chain.isEmpty()) {
        throw new IllegalStateException("no certificate in " + certificateFile);
      }
      String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
      if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
        throw new IllegalStateException(
            "not an unencrypted PKCS #8 key ('BEGIN PRIVATE KEY'); convert it with "
                + "openssl pkcs8 -topk8 -nocrypt");
      }
      String base64 =
          pem.substring(
                  pem.indexOf("-----BEGIN PRIVATE KEY-----") + 27,
                  pem.indexOf("-----END PRIVATE KEY-----"))
              .replaceAll("\\s", "");
      PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
      String algorithm = chain.get(0).getPublicKey().getAlgorithm();
      PrivateKey key = KeyFactory.getInstance(algorithm).generatePrivate(spec);
      char[] password = new char[0];
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("client", key, password, chain.toArray(new Certificate[0]));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, password);
      return kmf;
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("client certificate and key unusable: " + e.getMessage());
    }
  }

  private static TrustManagerFactory trust(Endpoint endpoint) {
    try (InputStream in = Files.newInputStream(endpoint.trustedCaFile())) {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca-" + i++, c);
      }
      if (i == 0) {
        throw new IllegalStateException("no certificate in " + endpoint.trustedCaFile());
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      return tmf;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(
          "trusted CA file of endpoint '" + endpoint.name() + "': " + e.getMessage());
    }
  }

  /** MQTT 5: properties carried both ways, reason codes read. */
  final class V5 implements RemoteClient {
    private final Mqtt5AsyncClient client;
    private final String clientId;
    private final Endpoint endpoint;
    private final byte[] password;
    private final TokenAuthentication tokenAuth;

    V5(
        Mqtt5AsyncClient client,
        Endpoint endpoint,
        byte[] password,
        String token,
        Consumer<Incoming> onMessage) {
      this.client = client;
      this.clientId = client.getConfig().getClientIdentifier().map(Object::toString).orElse("");
      this.endpoint = endpoint;
      this.password = password;
      this.tokenAuth =
          token == null
              ? null
              : new TokenAuthentication(endpoint.authentication().tokenMethod(), token);
      // registered before CONNECT: a resumed session delivers what it queued right after the
      // CONNACK
      client.publishes(MqttGlobalPublishFilter.ALL, p -> onMessage.accept(incoming(p)), true);
    }

    @Override
    public CompletableFuture<Boolean> connect() {
      Mqtt5ConnectBuilder.Send<
              CompletableFuture<com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck>>
          connect =
              client
                  .connectWith()
                  .cleanStart(false)
                  .sessionExpiryInterval(endpoint.sessionExpirySeconds())
                  .keepAlive(endpoint.keepAliveSeconds())
                  .restrictions()
                  .receiveMaximum(endpoint.maxInflightMessages())
                  .sendMaximum(endpoint.maxInflightMessages())
                  .applyRestrictions();
      if (endpoint.authentication().username() != null) {
        connect =
            connect
                .simpleAuth()
                .username(endpoint.authentication().username())
                .password(password)
                .applySimpleAuth();
      }
      if (tokenAuth != null) {
        connect = connect.enhancedAuth(tokenAuth);
      }
      return connect.send().thenApply(ack -> ack.isSessionPresent());
    }

    @Override
    public String token() {
      return tokenAuth == null ? null : tokenAuth.token;
    }

    @Override
    public CompletableFuture<Void> reauthenticate(String token) {
      if (tokenAuth == null) {
        return CompletableFuture.failedFuture(
            new UnsupportedOperationException("connected without an authentication method"));
      }
      tokenAuth.token = token;
      return client.reauth();
    }

    @Override
    public CompletableFuture<List<String>> subscribe(List<String> filters, int qos) {
      List<Mqtt5Subscription> subs = new ArrayList<>();
      for (String f : filters) {
        // Retain As Published: a retained message stays retained (retain Keep); sent again on a
        // re-subscribe
        // only when the subscription is new
        subs.add(
            Mqtt5Subscription.builder()
                .topicFilter(f)
                .qos(MqttQos.fromCode(qos))
                .retainAsPublished(true)
                .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST)
                .build());
      }
      return client
          .subscribe(Mqtt5Subscribe.builder().addSubscriptions(subs).build())
          .thenApply(
              ack -> {
                List<String> refused = new ArrayList<>();
                for (int i = 0; i < ack.getReasonCodes().size(); i++) {
                  if (ack.getReasonCodes().get(i).isError()) {
                    refused.add("'" + filters.get(i) + "': " + ack.getReasonCodes().get(i));
                  }
                }
                return refused;
              });
    }

    @Override
    public CompletableFuture<Void> publish(
        String topic, PublishedMessage m, int qos, boolean retain) {
      Mqtt5PublishBuilder.Complete b =
          Mqtt5Publish.builder()
              .topic(topic)
              .qos(MqttQos.fromCode(qos))
              .payload(m.payload())
              .retain(retain);
      if (m.contentType() != null) {
        b.contentType(m.contentType());
      }
      if (m.responseTopic() != null) {
        b.responseTopic(m.responseTopic());
      }
      if (m.correlationData() != null) {
        b.correlationData(m.correlationData());
      }
      if (m.payloadFormat() >= 0) {
        b.payloadFormatIndicator(
            m.payloadFormat() == 1
                ? Mqtt5PayloadFormatIndicator.UTF_8
                : Mqtt5PayloadFormatIndicator.UNSPECIFIED);
      }
      long expiry = m.remainingExpirySeconds(System.currentTimeMillis());
      if (expiry >= 0) {
        b.messageExpiryInterval(expiry);
      }
      Mqtt5UserPropertiesBuilder props = Mqtt5UserProperties.builder();
      for (UserProperty p : m.userProperties()) {
        if (!p.name().equals(LoopGuard.MARKER)) {
          props.add(p.name(), p.value());
        }
      }
      // which bridge client published it, so that this broker's own dataflows do not bring it back
      props.add(LoopGuard.MARKER, clientId);
      b.userProperties(props.build());
      return client
          .publish(b.build())
          .thenApply(
              result -> {
                Throwable error = result.getError().orElse(null);
                if (error instanceof Mqtt5PubAckException refused) {
                  throw new Refused(refused.getMqttMessage().getReasonCode().toString());
                }
                if (error != null) {
                  throw new IllegalStateException(error);
                }
                return null;
              });
    }

    @Override
    public void disconnect() {
      client.disconnect().exceptionally(e -> null);
    }

    private static Incoming incoming(Mqtt5Publish p) {
      List<UserProperty> props = new ArrayList<>();
      p.getUserProperties()
          .asList()
          .forEach(
              u -> props.add(new UserProperty(u.getName().toString(), u.getValue().toString())));
      return new Incoming(
          p.getTopic().toString(),
          p.getQos().getCode(),
          p.isRetain(),
          p.getPayloadAsBytes(),
          p.getResponseTopic().map(Object::toString).orElse(null),
          p.getCorrelationData().map(V5::bytes).orElse(null),
          props,
          p.getContentType().map(Object::toString).orElse(null),
          p.getMessageExpiryInterval().isPresent() ? p.getMessageExpiryInterval().getAsLong() : -1,
          p.getPayloadFormatIndicator()
              .map(f -> f == Mqtt5PayloadFormatIndicator.UTF_8 ? 1 : 0)
              .orElse(-1),
          p::acknowledge);
    }

    private static byte[] bytes(ByteBuffer b) {
      byte[] out = new byte[b.remaining()];
      b.duplicate().get(out);
      return out;
    }
  }

  /** MQTT 3.1.1: no properties (they are lost, as documented), no reason codes. */
  final class V3 implements RemoteClient {
    private final Mqtt3AsyncClient client;
    private final Endpoint endpoint;
    private final byte[] password;
    private final String token;

    V3(
        Mqtt3AsyncClient client,
        Endpoint endpoint,
        byte[] password,
        String token,
        Consumer<Incoming> onMessage) {
      this.client = client;
      this.endpoint = endpoint;
      this.password = password;
      this.token = token;
      client.publishes(
          MqttGlobalPublishFilter.ALL,
          p ->
              onMessage.accept(
                  new Incoming(
                      p.getTopic().toString(),
                      p.getQos().getCode(),
                      p.isRetain(),
                      p.getPayloadAsBytes(),
                      null,
                      null,
                      List.of(),
                      null,
                      -1,
                      -1,
                      p::acknowledge)),
          true);
    }

    @Override
    public CompletableFuture<Boolean> connect() {
      Mqtt3ConnectBuilder.Send<
              CompletableFuture<com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck>>
          connect = client.connectWith().cleanSession(false).keepAlive(endpoint.keepAliveSeconds());
      if (endpoint.authentication().username() != null) {
        connect =
            connect
                .simpleAuth()
                .username(endpoint.authentication().username())
                .password(password)
                .applySimpleAuth();
      } else if (token != null) {
        // MQTT 3.1.1 has no authentication method: the token is the password, the method the
        // username (how Event Grid's custom JWT is sent over 3.1.1, and MQTT Grid accepts it)
        connect =
            connect
                .simpleAuth()
                .username(endpoint.authentication().tokenMethod())
                .password(token.getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth();
      }
      return connect.send().thenApply(ack -> ack.isSessionPresent());
    }

    @Override
    public String token() {
      return token;
    }

    @Override
    public CompletableFuture<Void> reauthenticate(String token) {
      return CompletableFuture.failedFuture(
          new UnsupportedOperationException("MQTT 3.1.1 has no re-authentication"));
    }

    @Override
    public CompletableFuture<List<String>> subscribe(List<String> filters, int qos) {
      List<Mqtt3Subscription> subs = new ArrayList<>();
      for (String f : filters) {
        subs.add(Mqtt3Subscription.builder().topicFilter(f).qos(MqttQos.fromCode(qos)).build());
      }
      return client
          .subscribe(Mqtt3Subscribe.builder().addSubscriptions(subs).build())
          .thenApply(
              ack -> {
                List<String> refused = new ArrayList<>();
                for (int i = 0; i < ack.getReturnCodes().size(); i++) {
                  if (ack.getReturnCodes().get(i) == Mqtt3SubAckReturnCode.FAILURE) {
                    refused.add("'" + filters.get(i) + "': FAILURE");
                  }
                }
                return refused;
              });
    }

    @Override
    public CompletableFuture<Void> publish(
        String topic, PublishedMessage m, int qos, boolean retain) {
      return client
          .publish(
              Mqtt3Publish.builder()
                  .topic(topic)
                  .qos(MqttQos.fromCode(qos))
                  .payload(m.payload())
                  .retain(retain)
                  .build())
          .thenApply(p -> null);
    }

    @Override
    public void disconnect() {
      client.disconnect().exceptionally(e -> null);
    }
  }

  /**
   * MQTT 5 enhanced authentication with a token: the token is the Authentication Data of the
   * CONNECT and of every re-authentication (AUTH 0x19), in one step (the remote answers CONNACK or
   * AUTH Success, or refuses). The HiveMQ client runs the exchange; this only supplies the token.
   */
  final class TokenAuthentication implements Mqtt5EnhancedAuthMechanism {
    private final MqttUtf8String method;
    volatile String token;

    TokenAuthentication(String method, String token) {
      this.method = MqttUtf8String.of(method);
      this.token = token;
    }

    private byte[] data() {
      return token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public MqttUtf8String getMethod() {
      return method;
    }

    @Override
    public int getTimeout() {
      return 30;
    }

    @Override
    public CompletableFuture<Void> onAuth(
        Mqtt5ClientConfig config, Mqtt5Connect connect, Mqtt5EnhancedAuthBuilder auth) {
      auth.data(data());
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> onReAuth(Mqtt5ClientConfig config, Mqtt5AuthBuilder auth) {
      auth.data(data());
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Boolean> onServerReAuth(
        Mqtt5ClientConfig config, Mqtt5Auth serverAuth, Mqtt5AuthBuilder auth) {
      auth.data(data());
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public CompletableFuture<Boolean> onContinue(
        Mqtt5ClientConfig config, Mqtt5Auth serverAuth, Mqtt5AuthBuilder auth) {
      return CompletableFuture.completedFuture(false); // a token is one step: nothing to continue
    }

    @Override
    public CompletableFuture<Boolean> onAuthSuccess(Mqtt5ClientConfig config, Mqtt5ConnAck ack) {
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public CompletableFuture<Boolean> onReAuthSuccess(Mqtt5ClientConfig config, Mqtt5Auth auth) {
      return CompletableFuture.completedFuture(true);
    }

    // refusals and errors reach the bridge through the connect and reauth futures and the
    // disconnected listener

    @Override
    public void onAuthRejected(Mqtt5ClientConfig config, Mqtt5ConnAck ack) {}

    @Override
    public void onReAuthRejected(Mqtt5ClientConfig config, Mqtt5Disconnect disconnect) {}

    @Override
    public void onAuthError(Mqtt5ClientConfig config, Throwable cause) {}

    @Override
    public void onReAuthError(Mqtt5ClientConfig config, Throwable cause) {}
  }
}
