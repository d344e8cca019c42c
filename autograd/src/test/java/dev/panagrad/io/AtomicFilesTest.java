package dev.panagrad.io;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving through a temporary file: stale temporaries of a killed save go, modes follow the umask, errors name the target. */
class AtomicFilesTest {
    @TempDir Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSaveDeletesTheStaleTemporariesOfItsTargetAndNothingElse() throws IOException {
        long dead = Long.MAX_VALUE;   // no process has this id
        long self = ProcessHandle.current().pid();
        List<String> stale = List.of(
                ".ck.safetensors.8871264423897.tmp",                          // a killed save before temporaries carried the process id
                ".ck.safetensors." + dead + "-00c0ffee00c0ffee.tmp");         // a killed save of a process that is gone
        List<String> kept = List.of(
                ".ck.safetensors." + self + "-00c0ffee00c0ffee.tmp",          // a save running now (this process: another thread)
                ".ck.safetensors.old.8871264423897.tmp",                      // the temporary of another target, ck.safetensors.old
                ".other.safetensors.12.tmp", ".ck.safetensors.notes", "ck.safetensors.12.tmp", ".ck.safetensors.12.tmp.keep");
        for (String n : stale) Files.write(dir.resolve(n), new byte[1000]);
        for (String n : kept) Files.write(dir.resolve(n), new byte[10]);

        SafeTensors.save(dir.resolve("ck.safetensors"), Map.of("w", Tensor.ones(3)));

        List<String> expected = new java.util.ArrayList<>(kept);
        expected.add("ck.safetensors");
        assertEquals(expected.stream().sorted().toList(), names());
        assertArrayEquals(new float[] {1, 1, 1}, SafeTensors.load(dir.resolve("ck.safetensors")).tensors().get("w").toFloatArray());
    }

    /** The process umask from /proc/self/status ("Umask:\t0022"). */
    private static int umask() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Umask:")) return Integer.parseInt(line.substring(6).trim(), 8);
        }
        throw new AssertionError("no Umask line in /proc/self/status");
    }

    private static Set<PosixFilePermission> mode(int bits) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) if ((bits & (1 << i)) != 0) s.add(order[i]);
        return s;
    }

    @Test
    void savedFilesHaveTheModeOfAPlainNewFile() throws IOException {
        Set<PosixFilePermission> expected = mode(0666 & ~umask());
        Path plain = dir.resolve("plain");
        Files.write(plain, new byte[1]);
        assertEquals(PosixFilePermissions.toString(expected), PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)));

        Path f = dir.resolve("m.safetensors");
        SafeTensors.save(f, Map.of("w", Tensor.ones(2)));
        assertEquals(PosixFilePermissions.toString(expected), PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        Path g = dir.resolve("bytes.bin");
        AtomicFiles.write(g, ch -> ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3})));
        assertEquals(PosixFilePermissions.toString(expected), PosixFilePermissions.toString(Files.getPosixFilePermissions(g)));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(g));
    }

    @Test
    void errorsNameTheTargetAndTheReasonNeverTheTemporary() throws IOException {
        Path file = Files.write(dir.resolve("afile"), new byte[1]);
        Path under = file.resolve("ck.safetensors");
        IOException e = assertThrows(IOException.class, () -> SafeTensors.save(under, Map.of("w", Tensor.ones(2))));
        assertEquals("cannot write " + under + ": " + file + " is not a directory", e.getMessage());
        Path deeper = file.resolve("sub").resolve("ck.safetensors");
        e = assertThrows(IOException.class, () -> SafeTensors.save(deeper, Map.of("w", Tensor.ones(2))));
        assertEquals("cannot write " + deeper + ": " + file + " is not a directory", e.getMessage());
        Path aDir = Files.createDirectory(dir.resolve("adir"));
        e = assertThrows(IOException.class, () -> SafeTensors.save(aDir, Map.of("w", Tensor.ones(2))));
        assertEquals("cannot write " + aDir + ": it is a directory", e.getMessage());
        // checkWritable says the same before any work is done, and leaves nothing behind
        assertEquals("cannot write " + under + ": " + file + " is not a directory",
                assertThrows(IOException.class, () -> AtomicFiles.checkWritable(under)).getMessage());
        assertEquals("cannot write " + aDir + ": it is a directory", assertThrows(IOException.class, () -> AtomicFiles.checkWritable(aDir)).getMessage());
        Path fresh = dir.resolve("new").resolve("dirs").resolve("x.png");
        AtomicFiles.checkWritable(fresh);
        assertTrue(Files.isDirectory(fresh.getParent()));
        assertEquals(List.of(), Files.list(fresh.getParent()).toList());
    }
}
