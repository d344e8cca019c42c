package dev.panagrad.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writing a file so that readers see the old file or the new one, never half of one: the bytes go to
 * a temporary {@code .NAME.PID-RANDOM.tmp} beside the target, are forced to disk, and the temporary is
 * renamed over the target. The temporary is created like any new file, so the result has the mode a
 * plain new file gets ({@code 0666 & ~umask}). A save killed half-way leaves its temporary behind; the
 * next save of the same target deletes those whose process is gone (and those of the older
 * {@code .NAME.DIGITS.tmp} naming), never a temporary of another target or of a save still running.
 * Errors name the target and the reason, never the temporary.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** What goes into the file. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel channel) throws IOException;
    }

    /** Writes {@code target} atomically with what {@code body} writes; creates missing parent directories. */
    public static void write(Path target, Body body) throws IOException {
        Path dir = prepareDirectory(target);
        deleteStaleTemporaries(dir, target.getFileName().toString());
        Temporary tmp = null;
        try {
            tmp = createTemporary(target, dir);
            try (FileChannel ch = tmp.channel()) {
                body.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp.path(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp.path(), target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw cannotWrite(target, e);
        } finally {
            if (tmp != null) Files.deleteIfExists(tmp.path());
        }
    }

    /**
     * Fails, before any work is done, if {@link #write} could not write {@code target}: it is a
     * directory, a parent is not a directory or cannot be created, or the directory takes no new file.
     * Creates missing parent directories; leaves no file behind.
     */
    public static void checkWritable(Path target) throws IOException {
        Path dir = prepareDirectory(target);
        try {
            Temporary tmp = createTemporary(target, dir);
            tmp.channel().close();
            Files.delete(tmp.path());
        } catch (IOException e) {
            throw cannotWrite(target, e);
        }
    }

    private static Path prepareDirectory(Path target) throws IOException {
        if (Files.isDirectory(target)) throw new IOException("cannot write " + target + ": it is a directory");
        Path dir = target.toAbsolutePath().getParent();
        for (Path p = dir; p != null; p = p.getParent()) {   // the nearest existing ancestor must be a directory
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) throw new IOException("cannot write " + target + ": " + shown(target, p) + " is not a directory");
                break;
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot write " + target + ": cannot create the directory " + shown(target, dir) + ": " + FileErrors.reason(e), e);
        }
        return dir;
    }

    /** {@code p} as the user would recognise it: relative when the target was given relative. */
    private static String shown(Path target, Path p) {
        if (target.isAbsolute()) return p.toString();
        Path cwd = Path.of("").toAbsolutePath();
        return p.startsWith(cwd) && !p.equals(cwd) ? cwd.relativize(p).toString() : p.toString();
    }

    private static IOException cannotWrite(Path target, IOException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("cannot write " + target + ":")) return e;
        return new IOException("cannot write " + target + ": " + FileErrors.reason(e) + " (in " + target.toAbsolutePath().getParent() + ")", e);
    }

    // ------------------------------------------------------------------ temporaries

    private record Temporary(Path path, FileChannel channel) {}

    /** A new, empty temporary beside the target, opened for writing, mode as for any new file. */
    private static Temporary createTemporary(Path target, Path dir) throws IOException {
        String prefix = "." + target.getFileName() + "." + ProcessHandle.current().pid() + "-";
        while (true) {
            Path tmp = dir.resolve(prefix + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                return new Temporary(tmp, FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
            } catch (FileAlreadyExistsException e) {
                // another writer drew the same name: draw again
            }
        }
    }

    /**
     * Deletes {@code .NAME.PID-HEX.tmp} files whose process is gone, and {@code .NAME.DIGITS.tmp} (the
     * naming of temporaries before the process id was in it). Best effort: a file that cannot be
     * deleted stays.
     */
    private static void deleteStaleTemporaries(Path dir, String name) {
        Pattern ours = Pattern.compile(Pattern.quote("." + name + ".") + "(?:(\\d+)-[0-9a-f]{16}|\\d+)" + Pattern.quote(".tmp"));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "." + globQuote(name) + ".*.tmp")) {
            for (Path f : files) {
                Matcher m = ours.matcher(f.getFileName().toString());
                if (!m.matches()) continue;
                if (m.group(1) != null && alive(m.group(1))) continue;
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    // not ours to fight over: the save goes on
                }
            }
        } catch (IOException e) {
            // an unreadable directory fails the save itself, with a clear message
        }
    }

    private static boolean alive(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;   // more digits than a long: no process has that id
        }
    }

    private static String globQuote(String s) {
        return s.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
    }
}
