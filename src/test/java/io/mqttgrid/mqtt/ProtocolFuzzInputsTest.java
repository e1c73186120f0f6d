package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.mqtt.ProtocolFuzzInputs.Input;
import io.mqttgrid.mqtt.ProtocolFuzzInputs.Kind;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The fuzz inputs are a function of the seed and the batch number: what makes a ProtocolFuzzIT
 * failure reproduce.
 */
class ProtocolFuzzInputsTest {

  private static List<String> dump(List<Input> inputs) {
    return inputs.stream().map(Input::describe).toList();
  }

  @Test
  void sameSeedAndBatchGiveTheSameBytesWhateverWasDrawnBefore() {
    ProtocolFuzzInputs first = new ProtocolFuzzInputs(42, "x");
    first.batch(0, 50, false);
    List<Input> batch3 = first.batch(3, 50, false);
    List<Input> again = new ProtocolFuzzInputs(42, "x").batch(3, 50, false);
    assertThat(dump(again)).isEqualTo(dump(batch3));
    for (int i = 0; i < batch3.size(); i++) {
      assertThat(again.get(i).allBytes()).isEqualTo(batch3.get(i).allBytes());
    }
    assertThat(dump(new ProtocolFuzzInputs(43, "x").batch(3, 50, false)))
        .isNotEqualTo(dump(batch3));
  }

  @Test
  void everyKindOccursInAFewBatches() {
    ProtocolFuzzInputs inputs = new ProtocolFuzzInputs(7, "x");
    Set<Kind> seen = EnumSet.noneOf(Kind.class);
    for (int batch = 0; batch < 4; batch++) {
      inputs.batch(batch, 50, false).forEach(in -> seen.add(in.kind()));
      inputs.batch(batch, 40, true).forEach(in -> seen.add(in.kind()));
    }
    assertThat(seen).containsExactlyInAnyOrder(Kind.values());
  }
}
