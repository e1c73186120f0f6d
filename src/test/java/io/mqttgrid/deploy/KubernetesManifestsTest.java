package io.mqttgrid.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.KubernetesConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mqttgrid.BrokerConfig;
import io.mqttgrid.cluster.HazelcastConfigFactory;
import io.mqttgrid.http.HealthRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The manifests of {@code k8s/} parse into typed Kubernetes objects and agree with the broker: the
 * ports, probes, Hazelcast discovery names, config keys and environment variables they use are the
 * ones the broker's own configuration ({@code config/mqttgrid.yaml}, {@link BrokerConfig}) and the
 * Dockerfile define. No cluster runs here, so this is the only check the manifests get.
 */
class KubernetesManifestsTest {

  private static final Path K8S = Path.of("k8s");
  private static final Path BASE = K8S.resolve("base");
  private static final Path OVERLAY = K8S.resolve("overlays/example");
  private static final Path DEFAULTS = Path.of("config/mqttgrid.yaml");
  private static final Path DOCKERFILE = Path.of("Dockerfile");
  private static final String KUSTOMIZATION = "kustomization.yaml";
  static final String EXIT_ON_OOM = "-XX:+ExitOnOutOfMemoryError";

  /** The public listeners: each needs a port of the LoadBalancer service. */
  private static final List<String> PUBLIC_PORT_KEYS =
      List.of(
          "mqtt.port",
          "mqtt.tls-port",
          "mqtt.websocket-port",
          "mqtt.wss-port",
          "http.port",
          "http.tls-port");

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private static Map<Path, Map<String, Object>> kustomizations;
  private static Map<Path, List<HasMetadata>> manifests;
  private static Set<Path> generatorFiles;
  private static Set<Path> patchFiles;

  @BeforeAll
  static void readAll() throws IOException {
    kustomizations = new LinkedHashMap<>();
    manifests = new LinkedHashMap<>();
    generatorFiles = new LinkedHashSet<>();
    patchFiles = new LinkedHashSet<>();
    for (Path file : filesUnder(K8S)) {
      if (file.getFileName().toString().equals(KUSTOMIZATION)) {
        kustomizations.put(file, yamlMap(file));
      }
    }
    for (Map.Entry<Path, Map<String, Object>> k : kustomizations.entrySet()) {
      Path dir = k.getKey().getParent();
      for (Map<String, Object> generator :
          listOfMaps(k.getValue(), "configMapGenerator", "secretGenerator")) {
        for (Object entry : list(generator.get("files"))) {
          String spec = entry.toString();
          generatorFiles.add(
              dir.resolve(spec.contains("=") ? spec.substring(spec.indexOf('=') + 1) : spec)
                  .normalize());
        }
      }
      for (Map<String, Object> patch : listOfMaps(k.getValue(), "patches")) {
        if (patch.get("path") != null) {
          patchFiles.add(dir.resolve(patch.get("path").toString()).normalize());
        }
      }
    }
    for (Path file : filesUnder(K8S)) {
      if (!kustomizations.containsKey(file) && !generatorFiles.contains(file)) {
        manifests.put(file, parse(file));
      }
    }
  }

  // ---- parsing and kustomize structure ----

  @Test
  void everyManifestParsesIntoTypedKubernetesObjectsWithoutUnknownFields() {
    assertThat(manifests).isNotEmpty();
    for (Map.Entry<Path, List<HasMetadata>> e : manifests.entrySet()) {
      assertThat(e.getValue()).as("objects in %s", e.getKey()).isNotEmpty();
      for (HasMetadata object : e.getValue()) {
        assertThat(object)
            .as(
                "%s: %s/%s has no typed model (misspelt kind or apiVersion?)",
                e.getKey(), object.getApiVersion(), object.getKind())
            .isNotInstanceOf(GenericKubernetesResource.class);
        assertThat(object.getMetadata().getName())
            .as("name of a %s in %s", object.getKind(), e.getKey())
            .isNotBlank();
        // fabric8 keeps a field its model does not know in additionalProperties; the API server
        // would refuse it
        List<String> unknown = new ArrayList<>();
        unknownFields(object, object.getKind(), unknown, new IdentityHashMap<>());
        assertThat(unknown)
            .as("fields unknown to the Kubernetes model in %s", e.getKey())
            .isEmpty();
      }
    }
  }

  @Test
  void kustomizationsListEveryFileAndEveryListedFileExists() throws IOException {
    Set<Path> listed = new TreeSet<>();
    for (Map.Entry<Path, Map<String, Object>> k : kustomizations.entrySet()) {
      Path dir = k.getKey().getParent();
      for (Object resource :
          concat(list(k.getValue().get("resources")), list(k.getValue().get("components")))) {
        Path target = dir.resolve(resource.toString()).normalize();
        assertThat(target).as("%s lists %s", k.getKey(), resource).exists();
        if (Files.isDirectory(target)) {
          assertThat(target.resolve(KUSTOMIZATION))
              .as("%s lists the directory %s", k.getKey(), resource)
              .exists();
        } else {
          listed.add(target);
        }
      }
    }
    listed.addAll(generatorFiles);
    listed.addAll(patchFiles);
    for (Path file : listed) {
      assertThat(file).as("listed in a kustomization").isRegularFile();
    }
    Set<Path> unlisted = new TreeSet<>();
    for (Path file : filesUnder(K8S)) {
      if (!kustomizations.containsKey(file) && !listed.contains(file)) {
        unlisted.add(file);
      }
    }
    assertThat(unlisted)
        .as("files under k8s/ that no kustomization lists (kubectl apply -k would skip them)")
        .isEmpty();
    assertThat(kustomizations)
        .containsKeys(BASE.resolve(KUSTOMIZATION), OVERLAY.resolve(KUSTOMIZATION));
    assertThat(
            list(kustomizations.get(OVERLAY.resolve(KUSTOMIZATION)).get("resources")).stream()
                .map(Object::toString))
        .as("the example overlay builds on the base")
        .contains("../../base");
  }

  @Test
  void patchesTargetObjectsOfTheBaseAndNamesStayUnprefixed() {
    Set<String> baseObjects =
        objectsUnder(BASE).stream()
            .map(o -> o.getKind() + "/" + o.getMetadata().getName())
            .collect(Collectors.toSet());
    for (Path patch : patchFiles) {
      for (HasMetadata object : manifests.get(patch)) {
        assertThat(baseObjects)
            .as("object patched by %s", patch)
            .contains(object.getKind() + "/" + object.getMetadata().getName());
      }
    }
    for (Map.Entry<Path, Map<String, Object>> k : kustomizations.entrySet()) {
      for (Map<String, Object> patch : listOfMaps(k.getValue(), "patches")) {
        if (patch.get("target") instanceof Map<?, ?> target) {
          assertThat(baseObjects)
              .as("inline patch target in %s", k.getKey())
              .contains(target.get("kind") + "/" + target.get("name"));
        }
      }
      // the config names the headless service and the pods name ConfigMap and Secrets: a prefix
      // renames one side
      assertThat(k.getValue())
          .as(k.getKey().toString())
          .doesNotContainKeys("namePrefix", "nameSuffix");
    }
  }

  // ---- the broker's configuration ----

  @Test
  void configMapKeysExistInTheShippedDefaultsAndTheBrokerAcceptsThem() throws IOException {
    Map<String, String> defaults = flatten(yamlMap(DEFAULTS));
    Map<String, String> configured = flatten(yamlMap(configFile()));
    assertThat(defaults.keySet())
        .as("keys of the ConfigMap's %s (an unknown key stops the broker at start)", configFile())
        .containsAll(configured.keySet());
    for (Path kustomization :
        List.of(BASE.resolve(KUSTOMIZATION), OVERLAY.resolve(KUSTOMIZATION))) {
      BrokerConfig config = brokerConfig(kustomization);
      assertThat(config.clusterMode).isEqualTo("kubernetes");
      assertThat(config.tlsEnabled()).as("TLS listeners configured").isTrue();
      assertThat(config.clusterEventBusPort)
          .as("cluster.eventbus-port: fixed, so a service can name it")
          .isPositive();
      assertThat(config.managementPort).as("management.port").isPositive();
    }
  }

  @Test
  void everyMqttgridEnvironmentVariableIsAConfigKey() throws IOException {
    Map<String, String> defaults = flatten(yamlMap(DEFAULTS));
    Set<String> known =
        defaults.keySet().stream().map(BrokerConfig::envName).collect(Collectors.toSet());
    List<String> names = new ArrayList<>();
    for (Map.Entry<Path, List<HasMetadata>> e : manifests.entrySet()) {
      for (HasMetadata object : e.getValue()) {
        if (object instanceof StatefulSet set) {
          for (Container c : containers(set)) {
            for (EnvVar env : nonNull(c.getEnv())) {
              if (env.getName().startsWith("MQTTGRID_")) {
                names.add(env.getName());
                assertThat(known)
                    .as(
                        "%s in %s: no config key has this environment variable",
                        env.getName(), e.getKey())
                    .contains(env.getName());
              }
            }
          }
        }
      }
    }
    assertThat(names).contains(BrokerConfig.envName("node.id"));
  }

  @Test
  void configMapIsMountedAndPassedWithConfigTheWayTheDockerfileStartsTheJar() throws IOException {
    StatefulSet set = the(StatefulSet.class);
    Container broker = brokerContainer(set);
    ConfigMap configMap = configMap();
    List<String> entrypoint = dockerEntrypoint();
    String jar = entrypoint.get(entrypoint.indexOf("-jar") + 1);

    List<String> command = broker.getCommand().isEmpty() ? entrypoint : broker.getCommand();
    assertThat(command.get(0))
        .as("program of the container's command")
        .isEqualTo(entrypoint.get(0));
    assertThat(command.subList(command.size() - 2, command.size()))
        .as("the jar the Dockerfile's ENTRYPOINT runs")
        .containsExactly("-jar", jar);
    List<String> args = broker.getArgs();
    assertThat(args).as("container args").contains("--config");
    String configPath = args.get(args.indexOf("--config") + 1);

    Volume volume = volumeMountedAt(set, broker, Path.of(configPath).getParent().toString());
    assertThat(volume.getConfigMap()).as("volume holding %s", configPath).isNotNull();
    assertThat(volume.getConfigMap().getName()).isEqualTo(configMap.getMetadata().getName());
    assertThat(configMap.getData())
        .as("ConfigMap keys")
        .containsKey(Path.of(configPath).getFileName().toString());

    Matcher user = Pattern.compile("(?m)^USER\\s+(\\d+)").matcher(Files.readString(DOCKERFILE));
    assertThat(user.find()).as("Dockerfile USER").isTrue();
    assertThat(set.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser())
        .as("runAsUser = the Dockerfile's USER")
        .isEqualTo(Long.parseLong(user.group(1)));
  }

  @Test
  void tlsFilesComeFromAKubernetesTlsSecretVolume() throws IOException {
    BrokerConfig config = brokerConfig(BASE.resolve(KUSTOMIZATION));
    StatefulSet set = the(StatefulSet.class);
    Container broker = brokerContainer(set);
    for (String file : List.of(config.tlsCertFile, config.tlsKeyFile)) {
      Path path = Path.of(file);
      Volume volume = volumeMountedAt(set, broker, path.getParent().toString());
      assertThat(volume.getSecret()).as("volume holding %s", file).isNotNull();
      // kubectl create secret tls (and cert-manager) store the pair under these keys
      assertThat(path.getFileName().toString())
          .as("key of a kubernetes.io/tls Secret")
          .isIn("tls.crt", "tls.key");
    }
  }

  // ---- ports ----

  @Test
  void servicePortsAndContainerPortsAreTheBrokersPorts() throws IOException {
    BrokerConfig config = brokerConfig(BASE.resolve(KUSTOMIZATION));
    Map<String, String> keys = flatten(yamlMap(DEFAULTS));
    Container broker = brokerContainer(the(StatefulSet.class));
    Map<String, Integer> configPorts = new LinkedHashMap<>();
    for (String key :
        concat(
            PUBLIC_PORT_KEYS,
            List.of("management.port", "cluster.port", "cluster.eventbus-port"))) {
      assertThat(keys).as("port key %s in config/mqttgrid.yaml", key).containsKey(key);
      configPorts.put(key, Integer.parseInt(config.values().get(key)));
    }
    assertThat(configPorts.get("cluster.port")).isEqualTo(config.clusterPort);

    // every container port is a port the broker listens on, and every listener has its container
    // port
    Set<Integer> containerPorts =
        broker.getPorts().stream().map(ContainerPort::getContainerPort).collect(Collectors.toSet());
    assertThat(containerPorts)
        .as("container ports")
        .containsExactlyInAnyOrderElementsOf(configPorts.values());

    Service lb = service("LoadBalancer");
    for (String key : PUBLIC_PORT_KEYS) {
      int port = configPorts.get(key);
      ServicePort sp =
          lb.getSpec().getPorts().stream()
              .filter(p -> targetPort(broker, p) == port)
              .findFirst()
              .orElseThrow(
                  () ->
                      new AssertionError(
                          "LoadBalancer service has no port for " + key + " = " + port));
      assertThat(sp.getPort()).as("public port of %s", key).isEqualTo(port);
    }
    assertThat(lb.getSpec().getPorts()).as("LoadBalancer ports").hasSize(PUBLIC_PORT_KEYS.size());

    Service management = service("ClusterIP");
    assertThat(management.getSpec().getPorts()).as("management service ports").hasSize(1);
    assertThat(targetPort(broker, management.getSpec().getPorts().get(0)))
        .as("management service target")
        .isEqualTo(config.managementPort);
    for (ServicePort p : lb.getSpec().getPorts()) {
      assertThat(targetPort(broker, p))
          .as("management port behind the public load balancer")
          .isNotEqualTo(config.managementPort);
    }

    Service headless = headlessService();
    Map<String, Integer> headlessPorts =
        headless.getSpec().getPorts().stream()
            .collect(Collectors.toMap(ServicePort::getName, p -> targetPort(broker, p)));
    // Hazelcast's discovery takes the endpoint port named "hazelcast" (or the only one)
    assertThat(headlessPorts)
        .as("headless service ports by name")
        .containsEntry("hazelcast", config.clusterPort)
        .containsValue(config.clusterEventBusPort)
        .hasSize(2);

    Map<String, String> annotations =
        the(StatefulSet.class).getSpec().getTemplate().getMetadata().getAnnotations();
    if (annotations != null && annotations.containsKey("prometheus.io/port")) {
      assertThat(annotations.get("prometheus.io/port"))
          .isEqualTo(String.valueOf(config.managementPort));
      assertThat(annotations.get("prometheus.io/path")).isEqualTo("/metrics");
    }
  }

  @Test
  void servicesAndDisruptionBudgetSelectTheBrokerPods() {
    StatefulSet set = the(StatefulSet.class);
    Map<String, String> podLabels = set.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels).containsAllEntriesOf(set.getSpec().getSelector().getMatchLabels());
    for (Service s : all(Service.class)) {
      assertThat(s.getSpec().getSelector())
          .as("selector of service %s", s.getMetadata().getName())
          .isNotEmpty();
      assertThat(podLabels)
          .as("pods selected by service %s", s.getMetadata().getName())
          .containsAllEntriesOf(s.getSpec().getSelector());
    }
    PodDisruptionBudget pdb = the(PodDisruptionBudget.class);
    assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
    assertThat(pdb.getSpec().getMaxUnavailable())
        .as("PDB maxUnavailable")
        .isEqualTo(new IntOrString(1));
    for (HorizontalPodAutoscaler hpa : all(HorizontalPodAutoscaler.class)) {
      assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("StatefulSet");
      assertThat(hpa.getSpec().getScaleTargetRef().getName())
          .isEqualTo(set.getMetadata().getName());
    }
  }

  // ---- probes and shutdown ----

  @Test
  void probesAskTheManagementPortForHealthPathsTheBrokerServes() throws Exception {
    BrokerConfig config = brokerConfig(BASE.resolve(KUSTOMIZATION));
    Container broker = brokerContainer(the(StatefulSet.class));
    Map<String, Probe> probes = new LinkedHashMap<>();
    probes.put("readinessProbe", broker.getReadinessProbe());
    probes.put("livenessProbe", broker.getLivenessProbe());
    probes.put("startupProbe", broker.getStartupProbe());
    for (Map.Entry<String, Probe> e : probes.entrySet()) {
      HTTPGetAction get = e.getValue() == null ? null : e.getValue().getHttpGet();
      assertThat(get).as("%s httpGet", e.getKey()).isNotNull();
      assertThat(resolvePort(broker, get.getPort()))
          .as("%s port", e.getKey())
          .isEqualTo(config.managementPort);
    }
    assertThat(broker.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
    assertThat(broker.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
    assertThat(broker.getStartupProbe().getHttpGet().getPath()).isEqualTo("/health/live");
    for (Probe probe : probes.values()) {
      assertThat(healthStatus(probe.getHttpGet().getPath()))
          .as("status of %s", probe.getHttpGet().getPath())
          .isIn(200, 503);
    }
  }

  @Test
  void terminationGraceCoversTheLoadBalancerDelayAndTheBrokersDrain() throws IOException {
    BrokerConfig config = brokerConfig(BASE.resolve(KUSTOMIZATION));
    StatefulSet set = the(StatefulSet.class);
    Container broker = brokerContainer(set);
    assertThat(broker.getLifecycle()).as("lifecycle").isNotNull();
    List<String> preStop = broker.getLifecycle().getPreStop().getExec().getCommand();
    assertThat(preStop).as("preStop command").hasSize(2).first().isEqualTo("sleep");
    long sleep = Long.parseLong(preStop.get(1));
    assertThat(sleep).as("preStop sleep seconds").isPositive();
    // Main waits grace-period + 5 s for the stop (DISCONNECT 0x8B to everyone, sessions handed
    // over)
    long needed = sleep + config.shutdownGraceSeconds + 5;
    assertThat(set.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
        .as("terminationGracePeriodSeconds > preStop sleep + shutdown.grace-period + 5")
        .isGreaterThan(needed);
  }

  @Test
  void jvmMemoryFitsTheContainerLimit() {
    Container broker = brokerContainer(the(StatefulSet.class));
    Quantity limit = broker.getResources().getLimits().get("memory");
    Quantity request = broker.getResources().getRequests().get("memory");
    assertThat(limit).as("memory limit").isNotNull();
    assertThat(request).as("memory request").isNotNull();
    BigDecimal limitBytes = Quantity.getAmountInBytes(limit);
    assertThat(Quantity.getAmountInBytes(request))
        .as("memory request <= limit")
        .isLessThanOrEqualTo(limitBytes);
    assertThat(broker.getResources().getRequests()).as("resource requests").containsKey("cpu");

    List<String> flags = broker.getCommand().isEmpty() ? dockerEntrypoint() : broker.getCommand();
    double heapPercent =
        flag(flags, "-XX:MaxRAMPercentage=")
            .map(Double::parseDouble)
            .orElseThrow(() -> new AssertionError("no -XX:MaxRAMPercentage in " + flags));
    BigDecimal heap = limitBytes.multiply(BigDecimal.valueOf(heapPercent / 100));
    // Netty's direct buffers count against the limit too; unbounded they may grow as large as the
    // heap
    BigDecimal direct =
        flag(flags, "-XX:MaxDirectMemorySize=").map(KubernetesManifestsTest::jvmSize).orElse(heap);
    // the rest (metaspace, code cache, thread stacks, GC structures) needs a share of its own
    assertThat(heap.add(direct))
        .as("heap %s + direct %s of limit %s", heap, direct, limitBytes)
        .isLessThanOrEqualTo(limitBytes.multiply(BigDecimal.valueOf(0.8)));
  }

  /**
   * A JVM out of heap stays up wedged (health failing, publish and subscribe dead) unless told to
   * exit; exiting is what lets Kubernetes restart the pod and the cluster take over its sessions.
   */
  @Test
  void theBrokerJvmExitsOnOutOfMemoryInTheImageAndInThePods() {
    assertThat(dockerEntrypoint()).as("Dockerfile ENTRYPOINT").contains(EXIT_ON_OOM);
    Container broker = brokerContainer(the(StatefulSet.class));
    List<String> command = broker.getCommand().isEmpty() ? dockerEntrypoint() : broker.getCommand();
    assertThat(command.subList(0, command.indexOf("-jar")))
        .as("JVM flags of the broker container")
        .contains(EXIT_ON_OOM);
  }

  // ---- Hazelcast discovery ----

  @Test
  void hazelcastDiscoversTheMembersThroughTheHeadlessServiceItMayRead() throws IOException {
    StatefulSet set = the(StatefulSet.class);
    Service headless = headlessService();
    String serviceName = headless.getMetadata().getName();
    assertThat(headless.getSpec().getPublishNotReadyAddresses())
        .as("publishNotReadyAddresses")
        .isTrue();
    assertThat(set.getSpec().getServiceName()).as("StatefulSet serviceName").isEqualTo(serviceName);

    for (Path kustomization :
        List.of(BASE.resolve(KUSTOMIZATION), OVERLAY.resolve(KUSTOMIZATION))) {
      BrokerConfig config = brokerConfig(kustomization);
      Config hz = HazelcastConfigFactory.create(config);
      KubernetesConfig k8s = hz.getNetworkConfig().getJoin().getKubernetesConfig();
      assertThat(k8s.isEnabled()).as("Hazelcast Kubernetes discovery").isTrue();
      assertThat(hz.getNetworkConfig().getPort()).isEqualTo(config.clusterPort);
      String dns = k8s.getProperty("service-dns");
      String name = k8s.getProperty("service-name");
      String namespace = k8s.getProperty("namespace");
      Object overlayNamespace = kustomizations.get(kustomization).get("namespace");
      if (dns != null) {
        assertThat(name).as("service-name next to service-dns").isNull();
        String expected =
            serviceName + "." + (overlayNamespace == null ? "default" : overlayNamespace) + ".svc";
        assertThat(dns)
            .as("cluster.kubernetes.service-dns")
            .isIn(expected, expected + ".cluster.local");
      } else {
        assertThat(name)
            .as("cluster.kubernetes.service-name (or service-dns)")
            .isEqualTo(serviceName);
        if (namespace != null) {
          assertThat(namespace).as("cluster.kubernetes.namespace").isEqualTo(overlayNamespace);
        }
        assertApiDiscoveryIsAllowed(set);
      }
      if (config.splitBrainProtection) {
        assertThat(set.getSpec().getPodManagementPolicy())
            .as("podManagementPolicy with split-brain protection")
            .isEqualTo("Parallel");
        Integer replicas = set.getSpec().getReplicas();
        assertThat(replicas == null ? Integer.MAX_VALUE : replicas)
            .as("replicas")
            .isGreaterThanOrEqualTo(config.splitBrainMinimumMembers);
        for (HorizontalPodAutoscaler hpa : all(HorizontalPodAutoscaler.class)) {
          assertThat(hpa.getSpec().getMinReplicas())
              .as("HPA minReplicas")
              .isGreaterThanOrEqualTo(config.splitBrainMinimumMembers + 1);
        }
      }
    }
  }

  private static void assertApiDiscoveryIsAllowed(StatefulSet set) {
    String account = set.getSpec().getTemplate().getSpec().getServiceAccountName();
    assertThat(account).as("serviceAccountName of the pods").isNotBlank();
    assertThat(all(ServiceAccount.class))
        .extracting(a -> a.getMetadata().getName())
        .contains(account);
    RoleBinding binding =
        all(RoleBinding.class).stream()
            .filter(
                b ->
                    b.getSubjects().stream()
                        .anyMatch(
                            s ->
                                s.getKind().equals("ServiceAccount")
                                    && s.getName().equals(account)))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no RoleBinding for service account " + account));
    Role role =
        all(Role.class).stream()
            .filter(r -> r.getMetadata().getName().equals(binding.getRoleRef().getName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no Role " + binding.getRoleRef().getName()));
    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    // what Hazelcast's KubernetesClient reads: endpoint slices (endpoints where slices are not
    // served), pods
    for (String[] need :
        new String[][] {{"", "endpoints"}, {"", "pods"}, {"discovery.k8s.io", "endpointslices"}}) {
      boolean granted =
          role.getRules().stream()
              .anyMatch(
                  r -> allows(r, need[0], need[1], "get") && allows(r, need[0], need[1], "list"));
      assertThat(granted)
          .as(
              "Role %s grants get and list on %s/%s",
              role.getMetadata().getName(), need[0], need[1])
          .isTrue();
    }
  }

  private static boolean allows(PolicyRule rule, String group, String resource, String verb) {
    return rule.getApiGroups().contains(group)
        && rule.getResources().contains(resource)
        && (rule.getVerbs().contains(verb) || rule.getVerbs().contains("*"));
  }

  // ---- helpers ----

  /**
   * The broker configuration a pod of the given kustomization starts with: ConfigMap file +
   * container env.
   */
  private static BrokerConfig brokerConfig(Path kustomization) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    List<Container> layers = new ArrayList<>();
    layers.add(brokerContainer(the(StatefulSet.class)));
    if (kustomization.startsWith(OVERLAY)) {
      for (Path patch : patchFiles) {
        if (patch.startsWith(OVERLAY)) {
          for (HasMetadata o : manifests.get(patch)) {
            if (o instanceof StatefulSet s) {
              containers(s).stream()
                  .filter(c -> c.getName().equals(layers.get(0).getName()))
                  .forEach(layers::add);
            }
          }
        }
      }
    }
    for (Container c : layers) {
      for (EnvVar e : nonNull(c.getEnv())) {
        env.put(e.getName(), e.getValue() != null ? e.getValue() : standIn(e));
      }
    }
    return BrokerConfig.load(configFile(), env, Map.of());
  }

  /** What Kubernetes would put in a valueFrom variable: a pod name or a secret. */
  private static String standIn(EnvVar e) {
    if (e.getValueFrom().getFieldRef() != null) {
      assertThat(e.getValueFrom().getFieldRef().getFieldPath())
          .as("fieldRef of %s", e.getName())
          .isIn("metadata.name", "metadata.namespace", "status.podIP");
      return "mqttgrid-0";
    }
    assertThat(e.getValueFrom().getSecretKeyRef()).as("valueFrom of %s", e.getName()).isNotNull();
    return "secret-value";
  }

  /** The file the base's configMapGenerator turns into the broker's ConfigMap. */
  private static Path configFile() {
    List<Path> files =
        generatorFiles.stream()
            .filter(f -> f.startsWith(BASE) && f.toString().endsWith(".yaml"))
            .toList();
    assertThat(files).as("config file of the base's configMapGenerator").hasSize(1);
    return files.get(0);
  }

  /** The ConfigMap kustomize generates from the base's configMapGenerator, as a typed object. */
  private static ConfigMap configMap() throws IOException {
    Map<String, Object> generator =
        listOfMaps(kustomizations.get(BASE.resolve(KUSTOMIZATION)), "configMapGenerator").get(0);
    ConfigMapBuilder builder =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(generator.get("name").toString())
            .endMetadata();
    for (Object file : list(generator.get("files"))) {
      Path path = BASE.resolve(file.toString());
      builder.addToData(path.getFileName().toString(), Files.readString(path));
    }
    return builder.build();
  }

  private static List<String> dockerEntrypoint() {
    try {
      Matcher m =
          Pattern.compile("(?m)^ENTRYPOINT\\s+(\\[.*])\\s*$").matcher(Files.readString(DOCKERFILE));
      assertThat(m.find()).as("exec-form ENTRYPOINT in the Dockerfile").isTrue();
      List<?> parts = new Yaml(new SafeConstructor(new LoaderOptions())).load(m.group(1));
      List<String> entrypoint = parts.stream().map(Object::toString).toList();
      assertThat(entrypoint).as("Dockerfile ENTRYPOINT").contains("-jar");
      return entrypoint;
    } catch (IOException e) {
      throw new AssertionError("cannot read " + DOCKERFILE, e);
    }
  }

  /**
   * Status the broker's HTTP health endpoint answers for {@code path} (404 when it serves no such
   * path).
   */
  private static int healthStatus(String path) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      // the health routes every broker port serves
      Router router = Router.router(vertx);
      HealthRoutes.mount(
          router,
          () -> new HealthRoutes.Readiness(false, "probe-check", 0),
          new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      HttpServer server =
          vertx
              .createHttpServer()
              .requestHandler(router)
              .listen(0, "127.0.0.1")
              .await(30, TimeUnit.SECONDS);
      HttpClient client = vertx.createHttpClient();
      int status =
          client
              .request(HttpMethod.GET, server.actualPort(), "127.0.0.1", path)
              .compose(request -> request.send())
              .compose(response -> response.body().map(body -> response.statusCode()))
              .await(30, TimeUnit.SECONDS);
      client.close().await(30, TimeUnit.SECONDS);
      return status;
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static Optional<String> flag(List<String> flags, String prefix) {
    return flags.stream()
        .filter(f -> f.startsWith(prefix))
        .map(f -> f.substring(prefix.length()))
        .findFirst();
  }

  /** A JVM size such as 256m or 1g in bytes. */
  private static BigDecimal jvmSize(String size) {
    String s = size.toLowerCase();
    long unit =
        switch (s.charAt(s.length() - 1)) {
          case 'k' -> 1024L;
          case 'm' -> 1024L * 1024;
          case 'g' -> 1024L * 1024 * 1024;
          default -> 1L;
        };
    String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
    return BigDecimal.valueOf(Long.parseLong(digits)).multiply(BigDecimal.valueOf(unit));
  }

  private static Volume volumeMountedAt(StatefulSet set, Container c, String dir) {
    VolumeMount mount =
        nonNull(c.getVolumeMounts()).stream()
            .filter(m -> m.getMountPath().equals(dir))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no volume mounted at " + dir));
    return set.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(mount.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + mount.getName()));
  }

  /** The container port a service port sends to (a named targetPort must name a container port). */
  private static int targetPort(Container c, ServicePort p) {
    return p.getTargetPort() == null ? p.getPort() : resolvePort(c, p.getTargetPort());
  }

  private static int resolvePort(Container c, IntOrString port) {
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    return c.getPorts().stream()
        .filter(p -> port.getStrVal().equals(p.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal()))
        .getContainerPort();
  }

  private static Service service(String type) {
    List<Service> services =
        all(Service.class).stream()
            .filter(
                s ->
                    type.equals(s.getSpec().getType())
                        && !"None".equals(s.getSpec().getClusterIP()))
            .toList();
    assertThat(services).as("services of type %s", type).hasSize(1);
    return services.get(0);
  }

  private static Service headlessService() {
    List<Service> services =
        all(Service.class).stream().filter(s -> "None".equals(s.getSpec().getClusterIP())).toList();
    assertThat(services).as("headless services").hasSize(1);
    return services.get(0);
  }

  private static Container brokerContainer(StatefulSet set) {
    List<Container> containers = containers(set);
    assertThat(containers).as("containers of %s", set.getMetadata().getName()).hasSize(1);
    return containers.get(0);
  }

  private static List<Container> containers(StatefulSet set) {
    PodSpec pod = set.getSpec().getTemplate().getSpec();
    return pod == null ? List.of() : nonNull(pod.getContainers());
  }

  /** The one object of this type in the base (patches and components left out). */
  private static <T extends HasMetadata> T the(Class<T> type) {
    List<T> found = objectsUnder(BASE).stream().filter(type::isInstance).map(type::cast).toList();
    assertThat(found).as("%s objects in k8s/base", type.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  /** Every object of this type under k8s/ except patches. */
  private static <T extends HasMetadata> List<T> all(Class<T> type) {
    return manifests.entrySet().stream()
        .filter(e -> !patchFiles.contains(e.getKey()))
        .flatMap(e -> e.getValue().stream())
        .filter(type::isInstance)
        .map(type::cast)
        .toList();
  }

  private static List<HasMetadata> objectsUnder(Path dir) {
    return manifests.entrySet().stream()
        .filter(e -> e.getKey().startsWith(dir) && !patchFiles.contains(e.getKey()))
        .flatMap(e -> e.getValue().stream())
        .toList();
  }

  private static List<HasMetadata> parse(Path file) throws IOException {
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : Files.readString(file, StandardCharsets.UTF_8).split("(?m)^---\\s*$")) {
      if (document.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
        continue;
      }
      Object parsed;
      try {
        parsed = SERIALIZATION.unmarshal(document);
      } catch (RuntimeException e) {
        throw new AssertionError(
            file + " does not parse as a Kubernetes object: " + e.getMessage(), e);
      }
      if (!(parsed instanceof HasMetadata object)) {
        throw new AssertionError(
            file
                + " holds a "
                + (parsed == null ? "null" : parsed.getClass().getSimpleName())
                + ", not a Kubernetes object");
      }
      objects.add(object);
    }
    return objects;
  }

  /** Collects fields the typed model did not recognise, anywhere in the object. */
  private static void unknownFields(
      Object node, String where, List<String> out, Map<Object, Boolean> seen) {
    if (node == null || seen.put(node, Boolean.TRUE) != null) {
      return;
    }
    if (node instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        unknownFields(item, where + "[" + i++ + "]", out, seen);
      }
      return;
    }
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        unknownFields(e.getValue(), where + "." + e.getKey(), out, seen);
      }
      return;
    }
    if (!(node instanceof KubernetesResource)) {
      return;
    }
    for (Method getter : node.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get")
          || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value;
      try {
        value = getter.invoke(node);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError("cannot read " + getter, e);
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          out.add(where + ": " + extra.keySet());
        }
      } else {
        unknownFields(value, where + "." + getter.getName().substring(3), out, seen);
      }
    }
  }

  private static List<Path> filesUnder(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).map(Path::normalize).sorted().toList();
    }
  }

  private static Map<String, Object> yamlMap(Path file) throws IOException {
    Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
    if (!(parsed instanceof Map<?, ?> map)) {
      throw new AssertionError(file + " is not a YAML mapping");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> typed = (Map<String, Object>) map;
    return typed;
  }

  /** {@code a: {b: 1}} -> {@code a.b = 1}, as BrokerConfig reads its files. */
  private static Map<String, String> flatten(Map<String, Object> tree) {
    Map<String, String> out = new LinkedHashMap<>();
    flatten("", tree, out);
    return out;
  }

  private static void flatten(String prefix, Object node, Map<String, String> out) {
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        flatten(
            prefix.isEmpty() ? e.getKey().toString() : prefix + "." + e.getKey(),
            e.getValue(),
            out);
      }
    } else {
      out.put(prefix, Objects.toString(node, ""));
    }
  }

  private static List<?> list(Object value) {
    return value instanceof List<?> l ? l : List.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> listOfMaps(
      Map<String, Object> kustomization, String... keys) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String key : keys) {
      for (Object item : list(kustomization.get(key))) {
        if (item instanceof Map<?, ?> m) {
          out.add((Map<String, Object>) m);
        }
      }
    }
    return out;
  }

  private static <T> List<T> nonNull(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static <T> List<T> concat(List<? extends T> a, List<? extends T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
