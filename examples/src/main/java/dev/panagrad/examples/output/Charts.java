package dev.panagrad.examples.output;

import dev.panagrad.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Line charts as PNG files (JFreeChart, headless), written atomically ({@link AtomicFiles}). */
public final class Charts {
    private Charts() {}

    /** One named series of (x, y) points. */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) throw new IllegalArgumentException("series '" + name + "': " + x.length + " x values but " + y.length + " y values");
        }

        /** y against 1, 2, 3, ... */
        public static Series of(String name, double[] y) {
            double[] x = new double[y.length];
            for (int i = 0; i < x.length; i++) x[i] = i + 1;
            return new Series(name, x, y);
        }
    }

    public static void linePng(Path file, String title, String xLabel, String yLabel, Series... series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) xy.add(s.x()[i], s.y()[i]);
            data.addSeries(xy);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL, series.length > 1, false, false);
        chart.getXYPlot().setBackgroundPaint(Color.WHITE);
        chart.getXYPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
        chart.getXYPlot().setDomainGridlinePaint(Color.LIGHT_GRAY);
        for (int i = 0; i < series.length; i++) chart.getXYPlot().getRenderer().setSeriesStroke(i, new BasicStroke(2f));
        AtomicFiles.write(file, ch -> {
            OutputStream png = new BufferedOutputStream(Channels.newOutputStream(ch));
            ChartUtils.writeChartAsPNG(png, chart, 800, 500);
            png.flush();   // not close: AtomicFiles forces the channel to disk, then closes it
        });
    }
}
