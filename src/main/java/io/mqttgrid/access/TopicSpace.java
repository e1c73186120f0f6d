package io.mqttgrid.access;

import java.util.List;

/** A topic space (spec section 2.5): topic templates that permission bindings grant. */
public record TopicSpace(String name, String description, List<String> topicTemplates) {

  public TopicSpace {
    topicTemplates = List.copyOf(topicTemplates);
  }
}
