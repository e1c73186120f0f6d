package io.mqttgrid.access;

import io.mqttgrid.access.PermissionBinding.Permission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One namespace model compiled for authorization (spec section 4.2): every group query and topic
 * template parsed once, so that computing a session's permissions evaluates queries and fills in
 * templates only.
 *
 * <p>A resource that cannot be used (a query or template that does not parse, a binding or role
 * assignment naming a group or topic space that does not exist) is left out and listed in {@link
 * #problems()}; leaving it out can only take rights away, never add them. Compiling and evaluating
 * never throw for such input.
 */
public final class AccessPolicy {

  private record Group(String name, ClientGroupQuery query) {}

  private record Grant(String topicSpaceName, Permission permission) {}

  private final List<Group> groups;
  private final Map<String, List<TopicTemplate>> topicSpaces;

  /** Bindings that name an existing group and topic space, by group name. */
  private final Map<String, List<Grant>> grantsByGroup;

  private final List<RoleAssignment> roleAssignments;
  private final List<String> problems;

  private AccessPolicy(
      List<Group> groups,
      Map<String, List<TopicTemplate>> topicSpaces,
      Map<String, List<Grant>> grantsByGroup,
      List<RoleAssignment> roleAssignments,
      List<String> problems) {
    this.groups = groups;
    this.topicSpaces = topicSpaces;
    this.grantsByGroup = grantsByGroup;
    this.roleAssignments = roleAssignments;
    this.problems = problems;
  }

  /** Compiles a model whose queries follow the documented grammar ({@code not} refused). */
  public static AccessPolicy compile(NamespaceModel model) {
    return compile(model, false);
  }

  /**
   * @param allowNotInQueries whether group queries may use the {@code not} extension
   */
  public static AccessPolicy compile(NamespaceModel model, boolean allowNotInQueries) {
    List<String> problems = new ArrayList<>();

    List<Group> groups = new ArrayList<>();
    for (ClientGroup group : model.clientGroups().values()) {
      if (ClientGroup.ALL.equals(group.name())) {
        problems.add("client group '" + group.name() + "': the built-in group cannot be redefined");
        continue;
      }
      try {
        groups.add(
            new Group(group.name(), ClientGroupQuery.parse(group.query(), allowNotInQueries)));
      } catch (QueryException e) {
        problems.add("client group '" + group.name() + "': " + e.getMessage());
      }
    }

    Map<String, List<TopicTemplate>> topicSpaces = new LinkedHashMap<>();
    for (TopicSpace space : model.topicSpaces().values()) {
      List<TopicTemplate> templates = new ArrayList<>();
      for (String template : space.topicTemplates()) {
        try {
          templates.add(TopicTemplate.parse(template));
        } catch (TemplateException e) {
          problems.add("topic space '" + space.name() + "': " + e.getMessage());
        }
      }
      topicSpaces.put(space.name(), List.copyOf(templates));
    }

    Set<String> groupNames = new LinkedHashSet<>(model.clientGroups().keySet());
    groupNames.add(ClientGroup.ALL);
    Map<String, List<Grant>> grantsByGroup = new LinkedHashMap<>();
    for (PermissionBinding binding : model.permissionBindings().values()) {
      String problem =
          !groupNames.contains(binding.clientGroupName())
              ? "client group '" + binding.clientGroupName() + "' does not exist"
              : !topicSpaces.containsKey(binding.topicSpaceName())
                  ? "topic space '" + binding.topicSpaceName() + "' does not exist"
                  : binding.permission() == null ? "no permission" : null;
      if (problem != null) {
        problems.add("permission binding '" + binding.name() + "': " + problem);
        continue;
      }
      grantsByGroup
          .computeIfAbsent(binding.clientGroupName(), g -> new ArrayList<>())
          .add(new Grant(binding.topicSpaceName(), binding.permission()));
    }
    grantsByGroup.replaceAll((group, grants) -> List.copyOf(grants));

    List<RoleAssignment> roleAssignments = new ArrayList<>();
    for (RoleAssignment assignment : model.roleAssignments().values()) {
      String problem =
          assignment.principalId() == null
              ? "no principal"
              : assignment.role() == null
                  ? "no role"
                  : assignment.topicSpaceName() != null
                          && !topicSpaces.containsKey(assignment.topicSpaceName())
                      ? "topic space '" + assignment.topicSpaceName() + "' does not exist"
                      : null;
      if (problem != null) {
        problems.add("role assignment '" + assignment.name() + "': " + problem);
        continue;
      }
      roleAssignments.add(assignment);
    }

    return new AccessPolicy(
        List.copyOf(groups),
        Collections.unmodifiableMap(topicSpaces),
        Collections.unmodifiableMap(grantsByGroup),
        List.copyOf(roleAssignments),
        List.copyOf(problems));
  }

  /** What was left out when compiling, one line per resource problem; empty for a clean model. */
  public List<String> problems() {
    return problems;
  }

  /** {@code $all} and every group whose query the identity satisfies, sorted. */
  public SortedSet<String> groupsOf(ClientIdentity identity) {
    TreeSet<String> names = new TreeSet<>();
    names.add(ClientGroup.ALL);
    for (Group group : groups) {
      if (group.query.matches(identity)) {
        names.add(group.name);
      }
    }
    return Collections.unmodifiableSortedSet(names);
  }

  /**
   * The rights of an identity: anonymous clients of a development broker get everything but {@code
   * $} topics; everyone else gets the templates bound to their groups and, for {@code OAUTH2-JWT}
   * principals, those of their role assignments as well (spec section 3.5), instantiated for them.
   * Default deny.
   */
  public Permissions permissionsFor(ClientIdentity identity) {
    if (identity.authority() == ClientIdentity.Authority.ANONYMOUS) {
      return Permissions.ALL_BUT_RESERVED;
    }
    Set<String> publishSpaces = new LinkedHashSet<>();
    Set<String> subscribeSpaces = new LinkedHashSet<>();
    for (String group : groupsOf(identity)) {
      for (Grant grant : grantsByGroup.getOrDefault(group, List.of())) {
        (grant.permission == Permission.Publisher ? publishSpaces : subscribeSpaces)
            .add(grant.topicSpaceName);
      }
    }
    if (identity.authority() == ClientIdentity.Authority.ENTRA
        && identity.authenticationName() != null) {
      for (RoleAssignment assignment : roleAssignments) {
        // object ids are GUIDs, which compare case-insensitively
        if (assignment.principalId().equalsIgnoreCase(identity.authenticationName())) {
          Set<String> spaces =
              assignment.role() == Permission.Publisher ? publishSpaces : subscribeSpaces;
          if (assignment.topicSpaceName() == null) {
            spaces.addAll(topicSpaces.keySet());
          } else {
            spaces.add(assignment.topicSpaceName());
          }
        }
      }
    }
    if (publishSpaces.isEmpty() && subscribeSpaces.isEmpty()) {
      return GrantedPermissions.NONE;
    }
    return new GrantedPermissions(
        instantiate(publishSpaces, identity), instantiate(subscribeSpaces, identity));
  }

  private Set<String> instantiate(Set<String> spaceNames, ClientIdentity identity) {
    Set<String> filters = new LinkedHashSet<>();
    for (String name : spaceNames) {
      for (TopicTemplate template : topicSpaces.get(name)) {
        filters.addAll(template.instantiate(identity));
      }
    }
    return filters;
  }
}
