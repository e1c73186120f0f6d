package io.mqttgrid.hazelcast;

import com.hazelcast.map.IMap;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The route table's map, whose writes of routes can be held back: a write under way (as one that
 * Hazelcast retries while partitions migrate) while later operations go through at once.
 */
final class HeldRouteWrites implements InvocationHandler {
  private final IMap<String, String> target;
  private volatile boolean holding;
  private final List<Runnable> held = new CopyOnWriteArrayList<>();
  private final List<CompletableFuture<Object>> heldResults = new CopyOnWriteArrayList<>();
  private final AtomicInteger removalsDone = new AtomicInteger();
  private final List<TableOperation> operations = new CopyOnWriteArrayList<>();
  private final List<CompletableFuture<Object>> operationResults = new CopyOnWriteArrayList<>();

  HeldRouteWrites(IMap<String, String> target) {
    this.target = target;
  }

  @SuppressWarnings("unchecked")
  IMap<String, String> map() {
    return (IMap<String, String>)
        Proxy.newProxyInstance(IMap.class.getClassLoader(), new Class<?>[] {IMap.class}, this);
  }

  void holdNextWrites() {
    holding = true;
  }

  void passNextWrites() {
    holding = false;
  }

  int held() {
    return held.size();
  }

  int removalsDone() {
    return removalsDone.get();
  }

  /** The writes and removals of routes begun on the map, in the order they began. */
  List<TableOperation> operations() {
    return List.copyOf(operations);
  }

  /** Whether every write and removal begun on the map is done. */
  boolean allDone() {
    return operationResults.stream().allMatch(CompletableFuture::isDone);
  }

  boolean heldDone() {
    return heldResults.stream().allMatch(CompletableFuture::isDone);
  }

  void releaseHeld() {
    for (Runnable r : held) {
      held.remove(r);
      r.run();
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    TableOperation operation = TableOperation.of(name, args);
    if (operation != null) {
      operations.add(operation);
    }
    if (holding
        && (name.equals("setAsync") || name.equals("setAllAsync") || name.equals("putAllAsync"))) {
      CompletableFuture<Object> result = new CompletableFuture<>();
      heldResults.add(result);
      held.add(
          () ->
              ((CompletionStage<?>) call(method, args))
                  .whenComplete(
                      (v, e) -> {
                        if (e != null) {
                          result.completeExceptionally(e);
                        } else {
                          result.complete(v);
                        }
                      }));
      operationResults.add(result);
      return result;
    }
    Object answer = call(method, args);
    if (operation != null) {
      operationResults.add(((CompletionStage<Object>) answer).toCompletableFuture());
    }
    if (name.equals("deleteAsync") || name.equals("submitToKeys")) {
      ((CompletionStage<?>) answer).whenComplete((v, e) -> removalsDone.incrementAndGet());
    }
    return answer;
  }

  private Object call(Method method, Object[] args) {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A write or removal of routes on the table's map: the method and the keys it touches. */
  record TableOperation(String method, Set<?> keys) {

    /** The operation a call on the map is, or null for a read or a listener. */
    static TableOperation of(String method, Object[] args) {
      return switch (method) {
        case "setAsync", "deleteAsync" -> new TableOperation(method, Set.of(args[0]));
        case "setAllAsync", "putAllAsync" ->
            new TableOperation(method, Set.copyOf(((Map<?, ?>) args[0]).keySet()));
        case "submitToKeys" -> new TableOperation(method, Set.copyOf((Set<?>) args[0]));
        default -> null;
      };
    }
  }
}
