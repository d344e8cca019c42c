package dev.panagrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ring all-reduce alone: N threads in this JVM, each a rank, over loopback sockets. */
@Timeout(300)   // a hang guard for socket code (the class runs in ~3 s), not a speed check
class RingTest {
    /** Part sizes (floats) of one rank's gradient vector: uneven, so chunks straddle parts. */
    private static final int[] PARTS = {1000, 7, 1, 3333, 64};

    interface RankBody {
        Object run(Ring ring, Arena arena) throws Exception;
    }

    /** Runs {@code body} on N ranks joined into one ring; returns each rank's result or exception. */
    static List<Object> onRing(int n, long timeoutMillis, RankBody body) throws Exception {
        List<ServerSocketChannel> servers = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ServerSocketChannel s = Ring.listen("127.0.0.1");
            servers.add(s);
            addresses.add("127.0.0.1:" + ((InetSocketAddress) s.getLocalAddress()).getPort());
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Object>> futures = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    try (Arena arena = Arena.ofConfined(); Ring ring = Ring.connect(rank, addresses, servers.get(rank), 42, timeoutMillis)) {
                        return body.run(ring, arena);
                    } catch (Exception e) {
                        return e;
                    }
                }));
            }
            List<Object> out = new ArrayList<>();
            for (Future<Object> f : futures) out.add(f.get(240, TimeUnit.SECONDS));
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static List<MemorySegment> gradients(Arena arena, int rank) {
        SplittableRandom random = new SplittableRandom(1234 + rank);
        List<MemorySegment> parts = new ArrayList<>();
        for (int size : PARTS) {
            MemorySegment s = arena.allocate(size * 4L, 64);
            for (int i = 0; i < size; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
            parts.add(s);
        }
        return parts;
    }

    static float[] flat(List<MemorySegment> parts) {
        return parts.stream().map(p -> p.toArray(ValueLayout.JAVA_FLOAT)).reduce(new float[0], (a, b) -> {
            float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        });
    }

    @Test
    void sumsEveryRanksVectorAndAllRanksEndBitIdentical() throws Exception {
        for (int n : new int[] {1, 2, 3, 4}) {
            List<Object> results = onRing(n, 5000, (ring, arena) -> {
                List<MemorySegment> g = gradients(arena, ring.rank());
                for (int step = 0; step < 3; step++) {   // the scratch buffer and connections are reused
                    ring.step(step);
                    ring.allReduce(g, 1);
                }
                return flat(g);
            });
            // each step sums the vectors the step before summed: after 3 steps, n^2 * (the sum of the originals)
            double[] want = new double[results.get(0) instanceof float[] f ? f.length : 0];
            try (Arena a = Arena.ofConfined()) {
                for (int r = 0; r < n; r++) {
                    float[] g = flat(gradients(a, r));
                    for (int i = 0; i < g.length; i++) want[i] += g[i];
                }
            }
            for (Object r : results) assertTrue(r instanceof float[], () -> "rank failed: " + r);
            float[] first = (float[]) results.get(0);
            for (Object r : results) assertArrayEquals(first, (float[]) r, "ranks of a ring of " + n + " differ");
            for (int i = 0; i < want.length; i++) {
                double expected = want[i] * n * n;
                assertEquals(expected, first[i], 1e-4 * Math.max(1, Math.abs(expected)), "element " + i + " of a ring of " + n);
            }
        }
    }

    @Test
    void scaleAveragesTheSum() throws Exception {
        List<Object> results = onRing(2, 5000, (ring, arena) -> {
            List<MemorySegment> g = gradients(arena, ring.rank());
            ring.allReduce(g, 0.5f);
            return flat(g);
        });
        float[] a;
        float[] b;
        try (Arena arena = Arena.ofConfined()) {
            a = flat(gradients(arena, 0));
            b = flat(gradients(arena, 1));
        }
        float[] got = (float[]) results.get(0);
        for (int i = 0; i < a.length; i++) assertEquals((a[i] + b[i]) * 0.5f, got[i], 0f, "element " + i);   // one sum, exact halving
        assertArrayEquals(got, (float[]) results.get(1));
    }

    @Test
    void aDeadNeighbourFailsTheOthersAtOnceNamingItsRankAndTheStep() throws Exception {
        List<Object> results = onRing(3, 10_000, (ring, arena) -> {
            List<MemorySegment> g = gradients(arena, ring.rank());
            for (int step = 1; step <= 5; step++) {
                if (ring.rank() == 2 && step == 3) return "died";   // closing the ring (try-with-resources) = a dead process
                ring.step(step);
                ring.allReduce(g, 1);
            }
            return "finished";
        });
        String m0 = ((Exception) results.get(0)).getMessage();
        String m1 = ((Exception) results.get(1)).getMessage();
        // at once, not after the 10 s exchange timeout: the failures are the closed connection, not the timeout's message
        assertTrue(m0.contains("closed its connection"), m0);
        assertFalse(m0.contains("received nothing") || m1.contains("received nothing"), m0 + " / " + m1);
        // rank 0 receives from rank 2 (its predecessor); rank 1 sends to rank 2
        assertTrue(m0.contains("rank 2") && m0.contains("step 3"), m0);
        assertTrue(m1.contains("step 3"), m1);
        assertEquals("died", results.get(2));
    }

    @Test
    void aSilentNeighbourIsATimeoutNamingItsRankAndTheStep() throws Exception {
        List<Object> results = onRing(2, 500, (ring, arena) -> {
            List<MemorySegment> g = gradients(arena, ring.rank());
            ring.step(7);
            if (ring.rank() == 1) {
                Thread.sleep(3000);   // alive, connected, silent
                return "slept";
            }
            ring.allReduce(g, 1);
            return "finished";
        });
        Exception e = (Exception) results.get(0);
        assertTrue(e instanceof Ring.RingException, e.toString());
        assertEquals("rank 0 received nothing from rank 1 for 0.5 s at step 7 (reduce-scatter): rank 1 is stuck or unreachable", e.getMessage());
    }

    @Test
    void driftedReplicasAreReportedWithBothChecksums() throws Exception {
        List<Object> results = onRing(2, 5000, (ring, arena) -> {
            List<MemorySegment> params = gradients(arena, 0);
            ring.step(100);
            long same = ring.checkReplicas(params);
            if (ring.rank() == 1) params.get(3).setAtIndex(ValueLayout.JAVA_FLOAT, 5, Math.nextUp(params.get(3).getAtIndex(ValueLayout.JAVA_FLOAT, 5)));
            ring.step(200);
            ring.checkReplicas(params);
            return same;
        });
        // rank 0 compares with rank 1's changed parameters; rank 1 compares with rank 0's and sees the difference too
        for (Object r : results) {
            assertTrue(r instanceof Ring.RingException, String.valueOf(r));
            assertTrue(((Exception) r).getMessage().startsWith("replicas drifted apart at step 200: rank "), ((Exception) r).getMessage());
        }
    }

    @Test
    void aNeighbourThatNeverComesIsAClearError() throws Exception {
        ServerSocketChannel mine = Ring.listen("127.0.0.1");
        ServerSocketChannel closed = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        int port = ((InetSocketAddress) closed.getLocalAddress()).getPort();
        closed.close();
        List<String> addresses = List.of("127.0.0.1:" + ((InetSocketAddress) mine.getLocalAddress()).getPort(), "127.0.0.1:" + port);
        var e = assertThrows(Ring.RingException.class, () -> Ring.connect(0, addresses, mine, 1, 1000));
        assertTrue(e.getMessage().startsWith("rank 0 cannot connect to rank 1 at 127.0.0.1:" + port), e.getMessage());
    }
}
