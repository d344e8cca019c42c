package dev.panagrad.examples.output;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two value axes, their series, ranges, colours and markers, as JFreeChart builds them; the PNG's size. */
class ChartsTest {
    @TempDir Path dir;

    private static Charts.Figure figure() {
        Charts.Series perStep = new Charts.Series("loss", new double[] {0.5, 1, 1.5, 2}, new double[] {2.3, 1.9, 1.2, 0.8}).drawn(Color.BLUE, false);
        Charts.Series perEpoch = new Charts.Series("held-out loss", new double[] {1, 2}, new double[] {2.0, 1.1}).drawn(Color.BLACK, true);
        Charts.Series percent = new Charts.Series("accuracy", new double[] {1, 2}, new double[] {41.5, 77.25}).drawn(Color.ORANGE, true);
        return new Charts.Figure("t", Charts.Axis.fixed("epoch", 0, 2, null), Charts.Axis.fitted("loss", Color.BLACK, perStep, perEpoch),
                Charts.Axis.fixed("accuracy (%)", 0, 100, Color.ORANGE, percent));
    }

    @Test
    void aSecondAxisOnTheRightCarriesItsOwnSeriesAndRange() {
        XYPlot plot = Charts.chart(figure()).getXYPlot();
        assertEquals(2, plot.getDatasetCount());
        assertEquals(2, plot.getRangeAxisCount());
        assertEquals("loss", plot.getRangeAxis(0).getLabel());
        assertEquals("accuracy (%)", plot.getRangeAxis(1).getLabel());
        assertSame(plot.getRangeAxis(1), plot.getRangeAxisForDataset(1));
        assertSame(plot.getRangeAxis(0), plot.getRangeAxisForDataset(0));
        assertEquals(AxisLocation.BOTTOM_OR_RIGHT, plot.getRangeAxisLocation(1));
        assertEquals(0, plot.getRangeAxis(1).getLowerBound());
        assertEquals(100, plot.getRangeAxis(1).getUpperBound());
        assertEquals(10, ((NumberAxis) plot.getRangeAxis(1)).getTickUnit().getSize());
        assertTrue(((NumberAxis) plot.getRangeAxis(0)).getAutoRangeIncludesZero());
        assertEquals(0, plot.getDomainAxis().getLowerBound());
        assertEquals(2, plot.getDomainAxis().getUpperBound());
        assertEquals(Color.ORANGE, plot.getRangeAxis(1).getLabelPaint());

        XYDataset left = plot.getDataset(0), right = plot.getDataset(1);
        assertEquals(2, left.getSeriesCount());
        assertEquals("held-out loss", left.getSeriesKey(1));
        assertEquals(4, left.getItemCount(0));
        assertEquals(1.1, left.getYValue(1, 1));
        assertEquals(1, right.getSeriesCount());
        assertEquals(77.25, right.getYValue(0, 1));

        XYLineAndShapeRenderer l = (XYLineAndShapeRenderer) plot.getRenderer(0), r = (XYLineAndShapeRenderer) plot.getRenderer(1);
        assertFalse(l.getSeriesShapesVisible(0), "per-step points unmarked");
        assertTrue(l.getSeriesShapesVisible(1), "per-epoch points marked");
        assertTrue(r.getSeriesShapesVisible(0));
        assertEquals(Color.BLUE, l.getSeriesPaint(0));
        assertEquals(Color.ORANGE, r.getSeriesPaint(0));
        assertEquals(2f, ((BasicStroke) r.getSeriesStroke(0)).getLineWidth());
    }

    @Test
    void oneAxisWhenThereIsNoSecond() {
        Charts.Figure f = figure();
        JFreeChart chart = Charts.chart(new Charts.Figure("t", f.x(), f.left(), null));
        assertEquals(1, chart.getXYPlot().getDatasetCount());
        assertEquals(1, chart.getXYPlot().getRangeAxisCount());
    }

    @Test
    void thePngHasTheChartsSize() throws IOException {
        Path png = dir.resolve("sub").resolve("c.png");
        Charts.png(png, figure());
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(Charts.WIDTH, image.getWidth());
        assertEquals(Charts.HEIGHT, image.getHeight());
        assertEquals(800, Charts.WIDTH);
        assertEquals(500, Charts.HEIGHT);
    }

    @Test
    void anEmptyRangeIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Charts.Axis.fixed("epoch", 1, 1, null));
        assertEquals("axis 'epoch': the range [1.0, 1.0] is empty", e.getMessage());
    }
}
