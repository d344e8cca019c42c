package dev.panagrad.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * File errors in one line that names the path the user gave and the reason, in place of the JDK's
 * bare path ({@code NoSuchFileException: ck.safetensors}) or bare reason ("Is a directory").
 */
public final class FileErrors {
    private FileErrors() {}

    /** Why {@code e} happened, in a few words: "no such file", "permission denied", "no space left on device". */
    public static String reason(IOException e) {
        return switch (e) {
            case NoSuchFileException x -> "no such file";
            case AccessDeniedException x -> "permission denied";
            case NotDirectoryException x -> "not a directory";
            case FileAlreadyExistsException x -> "already exists";
            case FileSystemException x when x.getReason() != null -> lowerFirst(x.getReason());
            default -> e.getMessage() != null ? lowerFirst(e.getMessage()) : e.getClass().getSimpleName();
        };
    }

    /**
     * An IOException "cannot read FILE: reason" for a failure to open or read {@code file}; a
     * missing relative path also shows where it was looked for.
     */
    public static IOException cannotRead(Path file, IOException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("cannot read " + file + ": ")) return e;   // said already
        String where = e instanceof NoSuchFileException && !file.isAbsolute() ? " (" + file.toAbsolutePath() + ")" : "";
        return new IOException("cannot read " + file + ": " + reason(e) + where, e);
    }

    /** Fails unless {@code file} can be opened as a regular file: it exists and is not a directory. */
    public static void checkReadable(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new IOException("cannot read " + file + ": it is a directory, not a file");
        if (!Files.exists(file)) throw cannotRead(file, new NoSuchFileException(file.toString()));
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() || (s.length() > 1 && Character.isUpperCase(s.charAt(1))) ? s : s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
    }
}
