package dev.panagrad.examples.train;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code ./panagrad train --model gpt} options, parsed by picocli as the MLP job's are. */
@Command(name = "./panagrad train --model gpt", sortOptions = false, usageHelpWidth = 100,
        synopsisHeading = "usage: ", customSynopsis = "./panagrad train --model gpt [options]",
        description = {"", "Trains a character-level GPT (decoder-only transformer: causal self-attention, GELU MLP, pre-norm)",
                "on the Chinese PyTorch autograd tutorial shipped with Panagrad, or on --text FILE. The last 10% of the",
                "text is held out. AdamW (no decay on biases and norms), linear warm-up then cosine decay, gradient",
                "clipping. At the end: a generated sample and the validation loss against the unigram baseline.", ""})
public final class GptOptions {
    @Option(names = "--text", paramLabel = "FILE", order = 1, description = "a UTF-8 text file to train on (default: the autograd tutorial)")
    Path text;

    @Option(names = "--layers", paramLabel = "N", converter = TrainOptions.PositiveInt.class, order = 2, description = "transformer blocks (default 4)")
    int layers = 4;

    @Option(names = "--heads", paramLabel = "N", converter = TrainOptions.PositiveInt.class, order = 3, description = "attention heads; must divide --width (default 4)")
    int heads = 4;

    @Option(names = "--width", paramLabel = "N", converter = TrainOptions.PositiveInt.class, order = 4, description = "model width (default 128)")
    int width = 128;

    @Option(names = "--context", paramLabel = "N", converter = TrainOptions.PositiveInt.class, order = 5, description = "characters per training sequence, the positional table's size (default 128)")
    int context = 128;

    @Option(names = "--batch", paramLabel = "N", converter = TrainOptions.PositiveInt.class, order = 6, description = "sequences per step (default 32)")
    int batch = 32;

    @Option(names = "--epochs", paramLabel = "N", converter = TrainOptions.PositiveInt.class, order = 7, description = "epochs (default 4: on the tutorial the validation loss is lowest about there; later epochs overfit)")
    int epochs = 4;

    @Option(names = "--steps-per-epoch", paramLabel = "N", converter = TrainOptions.PositiveInt.class, order = 8,
            description = "optimizer steps per epoch, each on --batch random windows of the training text (default 40)")
    int stepsPerEpoch = 40;

    @Option(names = "--lr", paramLabel = "X", converter = TrainOptions.PositiveNumber.class, order = 9, description = "peak learning rate (default 0.003)")
    double lr = 3e-3;

    @Option(names = "--warmup", paramLabel = "N", converter = TrainOptions.WholeInt.class, order = 10, description = "linear warm-up steps (default 20)")
    int warmup = 20;

    @Option(names = "--weight-decay", paramLabel = "X", converter = TrainOptions.Fraction.class, order = 11, description = "AdamW weight decay of the matrices (default 0.1)")
    double weightDecay = 0.1;

    @Option(names = "--clip", paramLabel = "X", converter = TrainOptions.PositiveNumber.class, order = 12, description = "clip the gradients' total norm to X (default 1.0)")
    double clip = 1.0;

    @Option(names = "--seed", paramLabel = "N", converter = TrainOptions.WholeNumber.class, order = 13, description = "seed for the weights, the batches and the sample (default 0)")
    long seed;

    @Option(names = "--temperature", paramLabel = "X", converter = TrainOptions.PositiveNumber.class, order = 14, description = "sampling temperature of the generated text (default 0.8)")
    double temperature = 0.8;

    @Option(names = "--sample", paramLabel = "N", converter = TrainOptions.WholeInt.class, order = 15, description = "characters to generate at the end (default 200; 0: none)")
    int sample = 200;

    @Option(names = "--threads", paramLabel = "N", converter = TrainOptions.PositiveInt.class, order = 16,
            description = "OpenBLAS threads (default 1: this model's products are small, and a second OpenBLAS thread cost more than it gave here)")
    int threads = 1;

    @Option(names = "--plot", paramLabel = "FILE", order = 17, description = "where the loss chart goes (default out/gpt.png)")
    Path plot = Path.of("out", "gpt.png");

    @Option(names = "--checkpoint-activations", order = 18,
            description = "keep only each block's input between forward and backward, and recompute the rest in backward (less memory, one more forward)")
    boolean checkpointActivations;

    @Option(names = "--no-progress", order = 19, description = "no progress bar (there is none when stderr is not a terminal)")
    boolean noProgress;

    @Option(names = {"-h", "--help"}, usageHelp = true, order = 30, description = "this text")
    boolean help;

    private GptOptions() {}

    public static GptOptions defaults() { return new GptOptions(); }

    public static String help() {
        CommandLine cl = command(new GptOptions());
        cl.setSeparator(" ");
        return cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    /** Returns null when {@code args} asks for help. */
    public static GptOptions parse(String[] args) {
        GptOptions o = new GptOptions();
        CommandLine cl = command(o);
        try {
            cl.parseArgs(args);
        } catch (ParameterException e) {
            throw new IllegalArgumentException(TrainOptions.message(e));
        }
        if (cl.isUsageHelpRequested()) return null;
        if (o.width % o.heads != 0) {
            throw new IllegalArgumentException("--heads " + o.heads + " does not divide --width " + o.width + " (each head gets width/heads channels)");
        }
        if (o.warmup < 0) throw new IllegalArgumentException("--warmup must be 0 or more, got '" + o.warmup + "'");
        if (o.sample < 0) throw new IllegalArgumentException("--sample must be 0 or more, got '" + o.sample + "'");
        return o;
    }

    private static CommandLine command(GptOptions o) {
        return new CommandLine(o).setOverwrittenOptionsAllowed(true).setUnmatchedOptionsArePositionalParams(false);
    }

    int totalSteps() { return epochs * stepsPerEpoch; }
}
