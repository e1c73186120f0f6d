package io.mqttgrid.access;

/**
 * Resource counts and sizes the namespace model accepts (Event Grid's documented limits and
 * namespace resource model); configurable under {@code namespace.limits.*}.
 */
public record NamespaceLimits(
    int maxClients,
    int maxClientGroups,
    int maxTopicSpaces,
    int maxTopicTemplates,
    int maxPermissionBindings,
    int maxCaCertificates,
    int maxRoleAssignments,
    int maxAttributeBytes) {

  /** Event Grid's numbers for one throughput unit. */
  public static final NamespaceLimits EVENT_GRID =
      new NamespaceLimits(10_000, 10, 10, 10, 100, 10, 1_000, 4_095);
}
