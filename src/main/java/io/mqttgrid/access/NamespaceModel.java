package io.mqttgrid.access;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One immutable version of the namespace model: every resource, keyed by resource name. Each node
 * holds the current version and swaps it whole when the model changes, so a reader never sees half
 * a change.
 */
public final class NamespaceModel {

  public static final NamespaceModel EMPTY =
      new NamespaceModel(
          NamespaceSettings.DEFAULTS,
          java.util.List.of(),
          java.util.List.of(),
          java.util.List.of(),
          java.util.List.of(),
          java.util.List.of(),
          java.util.List.of());

  private final NamespaceSettings settings;
  private final SortedMap<String, ClientResource> clients;
  private final Map<String, ClientResource> clientsByAuthenticationName;
  private final SortedMap<String, ClientGroup> clientGroups;
  private final SortedMap<String, TopicSpace> topicSpaces;
  private final SortedMap<String, PermissionBinding> permissionBindings;
  private final SortedMap<String, CaCertificate> caCertificates;
  private final SortedMap<String, RoleAssignment> roleAssignments;

  public NamespaceModel(
      NamespaceSettings settings,
      Collection<ClientResource> clients,
      Collection<ClientGroup> clientGroups,
      Collection<TopicSpace> topicSpaces,
      Collection<PermissionBinding> permissionBindings,
      Collection<CaCertificate> caCertificates,
      Collection<RoleAssignment> roleAssignments) {
    this.settings = settings;
    this.clients = byName(clients, ClientResource::name);
    Map<String, ClientResource> byAuth = new java.util.HashMap<>();
    for (ClientResource c : clients) {
      byAuth.put(foldCase(c.authenticationName()), c);
    }
    this.clientsByAuthenticationName = Map.copyOf(byAuth);
    this.clientGroups = byName(clientGroups, ClientGroup::name);
    this.topicSpaces = byName(topicSpaces, TopicSpace::name);
    this.permissionBindings = byName(permissionBindings, PermissionBinding::name);
    this.caCertificates = byName(caCertificates, CaCertificate::name);
    this.roleAssignments = byName(roleAssignments, RoleAssignment::name);
  }

  private static <T> SortedMap<String, T> byName(Collection<T> items, Function<T, String> name) {
    TreeMap<String, T> map = new TreeMap<>();
    for (T item : items) {
      map.put(name.apply(item), item);
    }
    return java.util.Collections.unmodifiableSortedMap(map);
  }

  /**
   * Authentication names are unique and compared case-insensitively (Event Grid's client resource).
   */
  public static String foldCase(String authenticationName) {
    return authenticationName.toLowerCase(Locale.ROOT);
  }

  public NamespaceSettings settings() {
    return settings;
  }

  /** The client resource with this authentication name (case-insensitive), or null. */
  public ClientResource clientByAuthenticationName(String authenticationName) {
    return authenticationName == null
        ? null
        : clientsByAuthenticationName.get(foldCase(authenticationName));
  }

  public SortedMap<String, ClientResource> clients() {
    return clients;
  }

  /** User-defined groups; {@link ClientGroup#ALL} is implicit and never listed here. */
  public SortedMap<String, ClientGroup> clientGroups() {
    return clientGroups;
  }

  public SortedMap<String, TopicSpace> topicSpaces() {
    return topicSpaces;
  }

  public SortedMap<String, PermissionBinding> permissionBindings() {
    return permissionBindings;
  }

  public SortedMap<String, CaCertificate> caCertificates() {
    return caCertificates;
  }

  public SortedMap<String, RoleAssignment> roleAssignments() {
    return roleAssignments;
  }
}
