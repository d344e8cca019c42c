package dev.panagrad.examples.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where the train command's data comes from: a named data set ({@code --dataset fashion-mnist}, from
 * Debian's package or {@code --data-dir}), a file of the user's ({@code --data}), or the built-in
 * synthetic set; and the test split, when the data brings one ({@code --test-data}/{@code --test-labels},
 * or the data set's official test files).
 */
public final class DataSources {
    private DataSources() {}

    /** Where Debian's {@code dataset-fashion-mnist} package puts the four IDX files. */
    public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    /** The data sets --dataset knows. */
    public static final String[] NAMES = {"fashion-mnist"};

    /** The training data and, when there is one, the test set (null: hold out part of the training data). */
    public record Loaded(Dataset train, Dataset test) {}

    /** The data the options ask for; null when none is named (the synthetic set, made by the caller). */
    public static Loaded load(TrainOptions opt) throws IOException {
        if (opt.dataset() != null) return fashionMnist(opt.dataDir() != null ? opt.dataDir() : FASHION_MNIST, opt.classes());
        if (opt.data() == null) return null;
        Dataset train = file(opt.data(), opt.labels(), opt.labelColumn(), opt.classes(), "--data");
        Dataset test = opt.testData() == null ? null : file(opt.testData(), opt.testLabels(), opt.labelColumn(), opt.classes(), "--test-data");
        if (test != null && test.featureCount() != train.featureCount()) {
            throw new Dataset.DataException("--test-data " + opt.testData() + " has " + test.featureCount() + " features per row, --data " + opt.data() + " has "
                    + train.featureCount());
        }
        return new Loaded(train, test);
    }

    private static Dataset file(Path data, Path labels, int labelColumn, int classes, String option) throws IOException {
        if (labels != null) return Dataset.idx(data, labels, classes);
        String name = data.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".csv") && !name.endsWith(".csv.gz")) {
            throw new IllegalArgumentException(option + " " + data + ": give a .csv file, or an IDX images file together with "
                    + (option.equals("--data") ? "--labels" : "--test-labels"));
        }
        return Dataset.csv(data, labelColumn, classes);
    }

    /**
     * Fashion-MNIST from {@code dir}: train-images-idx3-ubyte, train-labels-idx1-ubyte and the t10k pair
     * (each gzipped or not): 60 000 training and 10 000 test images, 28×28, 10 classes.
     */
    public static Loaded fashionMnist(Path dir, int classes) throws IOException {
        Path[] f = new Path[4];
        String[] names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
        for (int i = 0; i < 4; i++) {
            Path gz = dir.resolve(names[i] + ".gz"), plain = dir.resolve(names[i]);
            f[i] = Files.isRegularFile(gz) ? gz : Files.isRegularFile(plain) ? plain : null;
            if (f[i] == null) {
                throw new Dataset.DataException("--dataset fashion-mnist: " + gz + " not found; install the data set with `apt-get install dataset-fashion-mnist`"
                        + " or give --data-dir DIR holding the four IDX files");
            }
        }
        Dataset train = Dataset.idx(f[0], f[1], classes), test = Dataset.idx(f[2], f[3], classes);
        return new Loaded(new Dataset(train.features(), train.labels(), "Fashion-MNIST " + dir + " (" + train.size() + " training images)"),
                new Dataset(test.features(), test.labels(), "Fashion-MNIST test set"));
    }
}
