package io.mqttgrid.access;

import java.util.List;

/** A topic space (as in Event Grid): topic templates that permission bindings grant. */
public record TopicSpace(String name, String description, List<String> topicTemplates) {

  public TopicSpace {
    topicTemplates = List.copyOf(topicTemplates);
  }
}
