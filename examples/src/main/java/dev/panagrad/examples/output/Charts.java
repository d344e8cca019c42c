package dev.panagrad.examples.output;

import dev.panagrad.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Line charts as PNG files (JFreeChart, headless), written atomically ({@link AtomicFiles}). */
public final class Charts {
    private Charts() {}

    /** The size of every PNG written here, in pixels. */
    public static final int WIDTH = 800, HEIGHT = 500;

    /**
     * One named series of (x, y) points; {@code color} null for the chart's own, {@code markers} to
     * mark every point (for series with few points, such as one per epoch).
     */
    public record Series(String name, double[] x, double[] y, Color color, boolean markers) {
        public Series {
            if (x.length != y.length) throw new IllegalArgumentException("series '" + name + "': " + x.length + " x values but " + y.length + " y values");
        }

        public Series(String name, double[] x, double[] y) {
            this(name, x, y, null, false);
        }

        /** y against 1, 2, 3, ... */
        public static Series of(String name, double[] y) {
            double[] x = new double[y.length];
            for (int i = 0; i < x.length; i++) x[i] = i + 1;
            return new Series(name, x, y);
        }

        /** This series drawn in {@code color}, with every point marked or not. */
        public Series drawn(Color color, boolean markers) {
            return new Series(name, x, y, color, markers);
        }
    }

    /**
     * An axis: its label, its range ({@code NaN} bounds: fitted to the data, from zero for a value
     * axis; a fixed value axis ticks tenths of its range), a colour for its label and numbers (null: the default), and the series drawn against it
     * (none for the x axis).
     */
    public record Axis(String label, double lower, double upper, Color color, List<Series> series) {
        public static Axis fitted(String label, Color color, Series... series) {
            return new Axis(label, Double.NaN, Double.NaN, color, List.of(series));
        }

        public static Axis fixed(String label, double lower, double upper, Color color, Series... series) {
            if (!(lower < upper)) throw new IllegalArgumentException("axis '" + label + "': the range [" + lower + ", " + upper + "] is empty");
            return new Axis(label, lower, upper, color, List.of(series));
        }

        boolean isFixed() { return !Double.isNaN(lower); }
    }

    /** A chart over one x axis with whole-number ticks (epochs), a value axis on the left, and optionally one on the right. */
    public record Figure(String title, Axis x, Axis left, Axis right) {}

    public static void linePng(Path file, String title, String xLabel, String yLabel, Series... series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, collection(List.of(series)), PlotOrientation.VERTICAL,
                series.length > 1, false, false);
        styleBackground(chart.getXYPlot());
        for (int i = 0; i < series.length; i++) chart.getXYPlot().getRenderer().setSeriesStroke(i, new BasicStroke(2f));
        writePng(file, chart);
    }

    /** {@code figure} as a PNG of {@link #WIDTH} x {@link #HEIGHT} pixels. */
    public static void png(Path file, Figure figure) throws IOException {
        System.setProperty("java.awt.headless", "true");
        writePng(file, chart(figure));
    }

    /** The JFreeChart of {@code figure}: dataset and renderer i hold the series of value axis i (0 left, 1 right). */
    public static JFreeChart chart(Figure figure) {
        XYPlot plot = new XYPlot();
        NumberAxis x = new NumberAxis(figure.x().label());
        plot.setDomainAxis(x);
        List<Axis> axes = figure.right() == null ? List.of(figure.left()) : List.of(figure.left(), figure.right());
        for (int i = 0; i < axes.size(); i++) {
            plot.setRangeAxis(i, new NumberAxis(axes.get(i).label()));
            plot.setDataset(i, collection(axes.get(i).series()));
            plot.setRenderer(i, new XYLineAndShapeRenderer(true, false));
            plot.mapDatasetToRangeAxis(i, i);
            plot.setRangeAxisLocation(i, i == 0 ? AxisLocation.BOTTOM_OR_LEFT : AxisLocation.BOTTOM_OR_RIGHT);
        }
        JFreeChart chart = new JFreeChart(figure.title(), JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        ChartFactory.getChartTheme().apply(chart);   // fonts and the rest of createXYLineChart's look; it resets series paints, so they come after
        styleBackground(plot);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        if (figure.x().isFixed()) x.setRange(figure.x().lower(), figure.x().upper());
        else x.setAutoRangeIncludesZero(false);
        for (int i = 0; i < axes.size(); i++) {
            Axis a = axes.get(i);
            NumberAxis axis = (NumberAxis) plot.getRangeAxis(i);
            if (a.isFixed()) {
                axis.setRange(a.lower(), a.upper());
                axis.setTickUnit(new NumberTickUnit((a.upper() - a.lower()) / 10));
            } else {
                axis.setAutoRangeIncludesZero(true);
            }
            if (a.color() != null) {
                axis.setLabelPaint(a.color());
                axis.setTickLabelPaint(a.color());
            }
            XYLineAndShapeRenderer renderer = (XYLineAndShapeRenderer) plot.getRenderer(i);
            for (int s = 0; s < a.series().size(); s++) {
                Series series = a.series().get(s);
                renderer.setSeriesShapesVisible(s, series.markers());
                renderer.setSeriesStroke(s, new BasicStroke(series.markers() ? 2f : 1.5f));
                if (series.color() != null) renderer.setSeriesPaint(s, series.color());
            }
        }
        return chart;
    }

    private static XYSeriesCollection collection(List<Series> series) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) xy.add(s.x()[i], s.y()[i]);
            data.addSeries(xy);
        }
        return data;
    }

    private static void styleBackground(XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    }

    private static void writePng(Path file, JFreeChart chart) throws IOException {
        AtomicFiles.write(file, ch -> {
            OutputStream png = new BufferedOutputStream(Channels.newOutputStream(ch));
            ChartUtils.writeChartAsPNG(png, chart, WIDTH, HEIGHT);
            png.flush();   // not close: AtomicFiles forces the channel to disk, then closes it
        });
    }
}
