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
 * One namespace model compiled for authorization (Event Grid's authorization rules): every group
 * query and topic template parsed once, so that computing a session's permissions evaluates queries
 * and fills in templates only.
 *
 * <p>A resource that cannot be used (a query or template that does not parse, a binding or role
 * assignment naming a group or topic space that does not exist) is left out and listed in {@link
 * #problems()}; leaving it out can only take rights away, never add them. Compiling and evaluating
 * never throw for such input.
 */
public final class AccessPolicy {

  private record Group(String name, ClientGroupQuery query) {}

  private record Grant(String bindingName, String topicSpaceName, Permission permission) {}

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
          .add(new Grant(binding.name(), binding.topicSpaceName(), binding.permission()));
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
   * principals, those of their role assignments as well (Event Grid's Microsoft Entra ID JWT
   * authentication), instantiated for them. Default deny.
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

  /**
   * Why an identity may or may not publish to a topic or subscribe to a filter (the access
   * explainer of the management API): the decision is {@link #permissionsFor}'s own, and the
   * groups, bindings, role assignments and topic spaces it was made from are listed with each
   * template as instantiated for the identity and whether that instantiation grants the request.
   */
  public Explanation explain(ClientIdentity identity, Permission action, String topicOrFilter) {
    Permissions decided = permissionsFor(identity);
    boolean allowed =
        action == Permission.Publisher
            ? decided.canPublish(topicOrFilter)
            : decided.canSubscribe(topicOrFilter);
    if (identity.authority() == ClientIdentity.Authority.ANONYMOUS) {
      return new Explanation(allowed, List.of(ClientGroup.ALL), List.of(), List.of(), List.of());
    }
    List<String> groupNames = List.copyOf(groupsOf(identity));
    List<ConsideredBinding> bindings = new ArrayList<>();
    Set<String> spaces = new LinkedHashSet<>();
    for (String group : groupNames) {
      for (Grant grant : grantsByGroup.getOrDefault(group, List.of())) {
        if (grant.permission == action) {
          bindings.add(new ConsideredBinding(grant.bindingName, group, grant.topicSpaceName));
          spaces.add(grant.topicSpaceName);
        }
      }
    }
    List<String> assignments = new ArrayList<>();
    if (identity.authority() == ClientIdentity.Authority.ENTRA
        && identity.authenticationName() != null) {
      for (RoleAssignment assignment : roleAssignments) {
        if (assignment.role() == action
            && assignment.principalId().equalsIgnoreCase(identity.authenticationName())) {
          assignments.add(assignment.name());
          if (assignment.topicSpaceName() == null) {
            spaces.addAll(topicSpaces.keySet());
          } else {
            spaces.add(assignment.topicSpaceName());
          }
        }
      }
    }
    List<ConsideredTopicSpace> considered = new ArrayList<>();
    for (String space : spaces) {
      List<ConsideredTemplate> templates = new ArrayList<>();
      for (TopicTemplate template : topicSpaces.get(space)) {
        List<String> filters = template.instantiate(identity);
        List<String> granting = new ArrayList<>();
        for (String filter : filters) {
          // the check of a session's rights, on this one filter
          GrantedPermissions one =
              action == Permission.Publisher
                  ? new GrantedPermissions(List.of(filter), List.of())
                  : new GrantedPermissions(List.of(), List.of(filter));
          if (action == Permission.Publisher
              ? one.canPublish(topicOrFilter)
              : one.canSubscribe(topicOrFilter)) {
            granting.add(filter);
          }
        }
        templates.add(
            new ConsideredTemplate(template.source(), List.copyOf(filters), List.copyOf(granting)));
      }
      considered.add(new ConsideredTopicSpace(space, List.copyOf(templates)));
    }
    return new Explanation(
        allowed,
        groupNames,
        List.copyOf(bindings),
        List.copyOf(assignments),
        List.copyOf(considered));
  }

  /**
   * The answer of {@link #explain}.
   *
   * @param groups {@code $all} and the groups whose query the identity satisfies
   * @param bindings the permission bindings of those groups for the action
   * @param roleAssignments the names of the role assignments of an Entra principal for the action
   * @param topicSpaces the topic spaces those bindings and assignments name
   */
  public record Explanation(
      boolean allowed,
      List<String> groups,
      List<ConsideredBinding> bindings,
      List<String> roleAssignments,
      List<ConsideredTopicSpace> topicSpaces) {}

  /** A permission binding that applies to the identity. */
  public record ConsideredBinding(String name, String clientGroupName, String topicSpaceName) {}

  /** A topic space a binding or role assignment gives the identity, template by template. */
  public record ConsideredTopicSpace(String name, List<ConsideredTemplate> templates) {}

  /**
   * @param instantiated the filters the template stands for after variable substitution (none when
   *     a variable has no value for the identity)
   * @param granting those of them that allow the request
   */
  public record ConsideredTemplate(
      String template, List<String> instantiated, List<String> granting) {}

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
