package dev.panagrad.examples.train;

import dev.panagrad.examples.output.Charts;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code ./panagrad train} draws: the training loss of every step and, once per epoch, the
 * held-out loss (both against the left axis) and the held-out accuracy in percent (against a right
 * axis from 0 to 100). The x axis counts epochs; a step's x is the fraction of epochs done after it.
 */
final class TrainingChart {
    static final Color LOSS = new Color(31, 119, 180), HELD_OUT_LOSS = new Color(12, 46, 89), ACCURACY = new Color(230, 115, 0);

    private final List<Double> stepX = new ArrayList<>(), stepLoss = new ArrayList<>();
    private final List<Double> epochX = new ArrayList<>(), heldLoss = new ArrayList<>(), heldAccuracy = new ArrayList<>();
    private final int firstEpoch;

    /** A chart of epochs {@code firstEpoch} on (a resumed run starts after its checkpoint's epoch). */
    TrainingChart(int firstEpoch) {
        this.firstEpoch = firstEpoch;
    }

    /** After a step: {@code epochsDone} (say 1.25 after a quarter of the second epoch) and the step's loss. */
    void step(double epochsDone, double loss) {
        stepX.add(epochsDone);
        stepLoss.add(loss);
    }

    /** At the end of an epoch (or of the last, partial one): the held-out loss and accuracy in percent. */
    void heldOut(double epochsDone, double loss, double accuracyPercent) {
        epochX.add(epochsDone);
        heldLoss.add(loss);
        heldAccuracy.add(accuracyPercent);
    }

    boolean isEmpty() { return stepX.isEmpty(); }

    /** The x axis runs over the epochs trained, whole ones: a run stopped by --steps mid-epoch shows where. */
    Charts.Figure figure(String title) {
        double from = firstEpoch - 1, to = Math.max(from + 1, Math.ceil(stepX.getLast() - 1e-9));
        Charts.Series training = new Charts.Series("training loss (per step)", array(stepX), array(stepLoss)).drawn(LOSS, false);
        Charts.Axis x = Charts.Axis.fixed("epoch", from, to, null);
        if (epochX.isEmpty()) return new Charts.Figure(title, x, Charts.Axis.fitted("loss", null, training), null);
        Charts.Series heldOutLoss = new Charts.Series("held-out loss (per epoch)", array(epochX), array(heldLoss)).drawn(HELD_OUT_LOSS, true);
        Charts.Series accuracy = new Charts.Series("held-out accuracy, % (per epoch)", array(epochX), array(heldAccuracy)).drawn(ACCURACY, true);
        return new Charts.Figure(title, x, Charts.Axis.fitted("loss", HELD_OUT_LOSS, training, heldOutLoss),
                Charts.Axis.fixed("held-out accuracy (%)", 0, 100, ACCURACY, accuracy));
    }

    private static double[] array(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
