package dev.panagrad.spark;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code ./panagrad bench ring [--workers N] [--rounds R]}: the ring all-reduce of the MLP's
 * gradients (784-1024-1024-10: 1,863,690 float32, 7.45 MB, in its six tensors) between N threads
 * of this JVM over loopback, against copying the same bytes through one loopback connection
 * twice (there and back). Medians over R rounds, after warm-up rounds.
 */
public final class RingBench {
    private static final int[] MLP = {784 * 1024, 1024, 1024 * 1024, 1024, 1024 * 10, 10};

    private RingBench() {}

    public static void main(String[] args) throws Exception {
        int workers = 2;
        int rounds = 30;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--workers" -> workers = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: bench ring [--workers N] [--rounds R]");
                    System.exit(2);
                }
            }
        }
        long bytes = Arrays.stream(MLP).asLongStream().sum() * 4;
        double[] copy = loopbackTwice(bytes, rounds);
        double[] ring = allReduce(workers, rounds);
        System.out.printf(Locale.ROOT, "gradients          %,d bytes (MLP 784-1024-1024-10, %d tensors)%n", bytes, MLP.length);
        System.out.printf(Locale.ROOT, "loopback copy x2   %s, median (range) of %d: the bytes through one TCP connection, there and back%n", summary(copy), rounds);
        System.out.printf(Locale.ROOT, "ring all-reduce    %s, median (range) of %d, %d workers as threads of one JVM%n", summary(ring), rounds, workers);
        System.out.printf(Locale.ROOT, "ratio              %.2f of the medians, %.2f of the fastest rounds (aim: at most 2)%n", median(ring) / median(copy),
                Arrays.stream(ring).min().orElse(0) / Arrays.stream(copy).min().orElse(1));
    }

    /** Median ms to send {@code bytes} from one socket to another and back, direct buffers both ways. */
    static double[] loopbackTwice(long bytes, int rounds) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel a = SocketChannel.open(server.getLocalAddress());
             SocketChannel b = server.accept();
             Arena arena = Arena.ofShared()) {
            ByteBuffer bufA = arena.allocate(bytes, 64).asByteBuffer();
            ByteBuffer bufB = arena.allocate(bytes, 64).asByteBuffer();
            ExecutorService echo = Executors.newSingleThreadExecutor();
            try {
                double[] ms = new double[rounds];
                for (int r = -5; r < rounds; r++) {
                    Future<?> f = echo.submit(() -> {
                        readFully(b, bufB.clear());
                        writeFully(b, bufB.flip());
                        return null;
                    });
                    long t0 = System.nanoTime();
                    writeFully(a, bufA.clear());
                    readFully(a, bufA.clear());
                    f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                    if (r >= 0) ms[r] = (System.nanoTime() - t0) / 1e6;
                }
                return ms;
            } finally {
                echo.shutdownNow();
            }
        }
    }

    /** Median ms of rank 0's all-reduce calls, all ranks starting each round together. */
    static double[] allReduce(int workers, int rounds) throws Exception {
        List<ServerSocketChannel> servers = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        for (int r = 0; r < workers; r++) {
            ServerSocketChannel s = Ring.listen("127.0.0.1");
            servers.add(s);
            addresses.add("127.0.0.1:" + ((InetSocketAddress) s.getLocalAddress()).getPort());
        }
        CyclicBarrier start = new CyclicBarrier(workers);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<double[]>> futures = new ArrayList<>();
            for (int r = 0; r < workers; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    try (Arena arena = Arena.ofConfined(); Ring ring = Ring.connect(rank, addresses, servers.get(rank), 7, 60_000)) {
                        List<MemorySegment> grads = new ArrayList<>();
                        for (int n : MLP) grads.add(arena.allocate(n * 4L, 64).fill((byte) 1));
                        double[] ms = new double[rounds];
                        for (int i = -5; i < rounds; i++) {
                            start.await();
                            long t0 = System.nanoTime();
                            ring.step(i);
                            ring.allReduce(grads, 1f / workers);
                            if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
                        }
                        return ms;
                    }
                }));
            }
            double[] rank0 = futures.getFirst().get();
            for (Future<double[]> f : futures) f.get();
            return rank0;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void readFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) if (c.read(b) < 0) throw new IOException("closed");
    }

    private static void writeFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) c.write(b);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** "4.10 ms (2.91-8.80)": the median and the range. */
    static String summary(double[] v) {
        return String.format(Locale.ROOT, "%.2f ms (%.2f-%.2f)", median(v), Arrays.stream(v).min().orElse(0), Arrays.stream(v).max().orElse(0));
    }
}
