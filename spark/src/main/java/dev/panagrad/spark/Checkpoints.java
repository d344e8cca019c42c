package dev.panagrad.spark;

import dev.panagrad.examples.train.TrainOptions;
import dev.panagrad.examples.train.Trainer;
import dev.panagrad.io.AtomicFiles;
import dev.panagrad.io.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A job's checkpoints in a directory every worker can read: {@code panagrad-JOB-step-000000123.safetensors},
 * each the existing safetensors {@link Checkpoint} (model, optimizer, metadata with the step), written
 * atomically (a temporary renamed over the name), so a reader never sees half a file. Only the
 * newest {@value #KEEP} of a job are kept; other jobs' files are left alone.
 */
final class Checkpoints {
    static final int KEEP = 2;
    private final Path dir;
    private final String job;
    private final Pattern name;

    Checkpoints(Path dir, String job) {
        this.dir = dir;
        this.job = job;
        this.name = Pattern.compile(Pattern.quote("panagrad-" + job + "-step-") + "(\\d+)\\.safetensors");
    }

    /** Makes the directory if needed and checks that a file can be written there; the error names it. */
    static void checkWritable(Path dir) {
        try {
            if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IOException("cannot write " + dir + ": it is not a directory");
            AtomicFiles.checkWritable(dir.resolve("panagrad-write-check"));
        } catch (IOException e) {
            throw new IllegalArgumentException("--checkpoint " + dir + ": " + e.getMessage());
        }
    }

    Path file(long step) {
        return dir.resolve(String.format("panagrad-%s-step-%09d.safetensors", job, step));
    }

    /** The newest checkpoint of this job, or null. */
    Path newest() throws IOException {
        List<Path> all = ofJob();
        return all.isEmpty() ? null : all.getLast();
    }

    /** Writes the checkpoint of {@code step} and deletes the job's older ones beyond {@value #KEEP}. */
    Path save(Trainer t, long step, int epoch, TrainOptions opt, int workers) throws IOException {
        Path f = file(step);
        Checkpoint.save(f, t.model(), t.optimizer(), Worker.metadata(t, step, epoch, opt, workers, job));
        List<Path> all = ofJob();
        for (int i = 0; i + KEEP < all.size(); i++) Files.deleteIfExists(all.get(i));
        return f;
    }

    /** This job's checkpoints, oldest first. */
    private List<Path> ofJob() throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> name.matcher(p.getFileName().toString()).matches())
                    .sorted((a, b) -> Long.compare(step(a), step(b))).toList();
        }
    }

    private long step(Path p) {
        Matcher m = name.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }
}
