package dev.panagrad.examples.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.examples.output.Charts;
import org.junit.jupiter.api.Test;

/** What the train command puts in its chart: loss per step and held-out loss on the left, held-out accuracy in percent on the right. */
class TrainingChartTest {
    @Test
    void accuracyInPercentOnItsOwnAxisAndHeldOutLossBesideTheTrainingLoss() {
        TrainingChart c = new TrainingChart(1);
        c.step(0.5, 2.25);
        c.step(1.0, 2.0);
        c.heldOut(1.0, 1.75, 43.95);
        c.step(1.5, 1.5);
        c.step(2.0, 1.25);
        c.heldOut(2.0, 1.0, 69.34);
        Charts.Figure f = c.figure("Training 784-64-10");

        assertEquals("epoch", f.x().label());
        assertEquals(0, f.x().lower());
        assertEquals(2, f.x().upper());
        assertEquals("loss", f.left().label());
        assertEquals(2, f.left().series().size());
        Charts.Series steps = f.left().series().get(0), heldLoss = f.left().series().get(1);
        assertArrayEquals(new double[] {0.5, 1.0, 1.5, 2.0}, steps.x());
        assertArrayEquals(new double[] {2.25, 2.0, 1.5, 1.25}, steps.y());
        assertFalse(steps.markers());
        assertEquals("held-out loss (per epoch)", heldLoss.name());
        assertArrayEquals(new double[] {1.0, 2.0}, heldLoss.x());
        assertArrayEquals(new double[] {1.75, 1.0}, heldLoss.y());
        assertTrue(heldLoss.markers());

        assertEquals("held-out accuracy (%)", f.right().label());
        assertEquals(0, f.right().lower());
        assertEquals(100, f.right().upper());
        assertArrayEquals(new double[] {43.95, 69.34}, f.right().series().getFirst().y());
        assertTrue(f.right().series().getFirst().markers());
    }

    @Test
    void aResumedRunStartsAtItsEpochAndAPartialEpochShowsWhereItStopped() {
        TrainingChart c = new TrainingChart(3);   // resumed after epoch 2, stopped by --steps 3 of 8 into epoch 3
        c.step(2.125, 0.5);
        c.step(2.25, 0.4);
        c.step(2.375, 0.3);
        c.heldOut(2.375, 0.6, 80);
        Charts.Figure f = c.figure("t");
        assertEquals(2, f.x().lower());
        assertEquals(3, f.x().upper());
        assertArrayEquals(new double[] {2.375}, f.right().series().getFirst().x());
    }

    @Test
    void withoutHeldOutRowsOnlyTheLossAxis() {
        TrainingChart c = new TrainingChart(1);
        c.step(1, 0.7);
        Charts.Figure f = c.figure("t");
        assertNull(f.right());
        assertEquals(1, f.left().series().size());
    }
}
