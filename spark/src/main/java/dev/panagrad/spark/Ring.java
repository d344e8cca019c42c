package dev.panagrad.spark;

import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;

/**
 * The workers as a ring over direct TCP connections: each rank sends to rank + 1 and receives from
 * rank − 1 (mod N). {@link #allReduce} sums float32 gradients in place with a ring all-reduce
 * (reduce-scatter, then all-gather): every rank sends and receives 2(N−1)/N of the gradient bytes
 * per step, whatever N is. Gradient bytes go from the tensors' native segments straight to the
 * socket and back ({@code MemorySegment.asByteBuffer()}, gathering writes and scattering reads):
 * no {@code byte[]}, no serialization; a received chunk lands in one chunk-sized native scratch
 * buffer and is added block by block as it arrives.
 *
 * <p>Every chunk is summed once, by the rank that owns it, and then copied to the others, so all
 * ranks end with the same bits. A neighbour that closes its connection (it failed, or its process
 * died) or sends nothing for {@code timeoutMillis} makes {@link #allReduce} throw a
 * {@link RingException} naming that rank and the step at once: no rank hangs.
 *
 * <p>Raw bytes are sent in the machine's order: all workers must share it (every platform
 * Panagrad runs on, x86-64 and AArch64 Linux, is little-endian).
 */
public final class Ring implements AutoCloseable {
    private static final int MAGIC = 0x50475247;   // "PGRG"
    /** Floats of a received chunk added at a time while the rest arrives (256 KiB). */
    private static final long ADD_BLOCK = 1 << 16;

    private final int rank;
    private final int size;
    private final long timeoutMillis;
    private final SocketChannel next;   // we send to rank + 1
    private final SocketChannel prev;   // we receive from rank - 1
    private final Selector selector;
    private final Arena arena = Arena.ofShared();
    private MemorySegment scratch = MemorySegment.NULL;
    private final ByteBuffer checksumOut = ByteBuffer.allocateDirect(8);
    private final ByteBuffer checksumIn = ByteBuffer.allocateDirect(8);
    private long step;
    private long exchangeNanos;
    private long exchanges;

    /** A ring failure: names this rank, the neighbour concerned and the step. */
    public static final class RingException extends IOException {
        RingException(String message) { super(message); }

        RingException(String message, Throwable cause) { super(message, cause); }
    }

    private Ring(int rank, int size, long timeoutMillis, SocketChannel next, SocketChannel prev) throws IOException {
        this.rank = rank;
        this.size = size;
        this.timeoutMillis = timeoutMillis;
        this.next = next;
        this.prev = prev;
        this.selector = size > 1 ? Selector.open() : null;
        if (size > 1) {
            next.configureBlocking(false);
            prev.configureBlocking(false);
        }
    }

    /**
     * Listens for rank − 1 on an ephemeral port of {@code bindHost} (publish {@code server.getLocalAddress()}'s
     * port before calling {@link #connect}).
     */
    public static ServerSocketChannel listen(String bindHost) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(bindHost, 0), 4);
        return server;
    }

    /**
     * Joins the ring: connects to rank + 1 at {@code addresses.get((rank + 1) % N)} ("host:port") and
     * accepts rank − 1 on {@code server}. Both ends check a handshake carrying the ranks and
     * {@code tag} (one per stage attempt), so a connection left from an earlier attempt is refused.
     * Closes {@code server}.
     */
    public static Ring connect(int rank, List<String> addresses, ServerSocketChannel server, long tag, long timeoutMillis) throws IOException {
        int n = addresses.size();
        if (rank < 0 || rank >= n) throw new IllegalArgumentException("rank " + rank + " outside a ring of " + n);
        if (n == 1) {
            server.close();
            return new Ring(rank, 1, timeoutMillis, null, null);
        }
        int to = (rank + 1) % n;
        int from = (rank + n - 1) % n;
        SocketChannel next = null;
        SocketChannel prev = null;
        try (server) {
            long deadline = System.currentTimeMillis() + timeoutMillis;
            String address = addresses.get(to);
            int colon = address.lastIndexOf(':');
            InetSocketAddress target = new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
            try {
                next = SocketChannel.open();
                tune(next);
                next.socket().connect(target, (int) Math.max(1, timeoutMillis));
                var out = new DataOutputStream(next.socket().getOutputStream());
                out.writeInt(MAGIC);
                out.writeInt(rank);
                out.writeLong(tag);
                out.flush();
            } catch (IOException e) {
                throw new RingException("rank " + rank + " cannot connect to rank " + to + " at " + address + " (" + e.getMessage() + ")", e);
            }
            while (prev == null) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) throw new RingException("rank " + rank + ": rank " + from + " did not connect within " + seconds(timeoutMillis));
                server.socket().setSoTimeout((int) left);
                Socket s;
                try {
                    s = server.socket().accept();
                } catch (SocketTimeoutException e) {
                    continue;
                }
                s.setSoTimeout((int) Math.max(1, left));
                try {
                    var in = new DataInputStream(s.getInputStream());
                    if (in.readInt() == MAGIC && in.readInt() == from && in.readLong() == tag) {
                        prev = s.getChannel();
                        tune(prev);
                        s.setSoTimeout(0);
                    } else {
                        s.close();   // a stranger, or a connection of an earlier attempt
                    }
                } catch (IOException e) {
                    s.close();
                }
            }
            return new Ring(rank, n, timeoutMillis, next, prev);
        } catch (IOException | RuntimeException e) {
            closeQuietly(next);
            closeQuietly(prev);
            throw e;
        }
    }

    private static void tune(SocketChannel c) throws IOException {
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
        c.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
        c.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
    }

    public int rank() { return rank; }

    public int size() { return size; }

    /** The training step the next exchanges belong to (named in errors). */
    public void step(long step) { this.step = step; }

    /** Total time spent in {@link #allReduce} so far, and how many calls. */
    public long exchangeNanos() { return exchangeNanos; }

    public long exchanges() { return exchanges; }

    /**
     * Sums the float32 vector made of {@code parts} (in order, each a whole number of floats) over
     * all ranks, then multiplies it by {@code scale}, in place. Every rank ends with the same bits.
     */
    public void allReduce(List<MemorySegment> parts, float scale) throws RingException {
        long t0 = System.nanoTime();
        try {
            if (size == 1) {
                if (scale != 1) for (MemorySegment p : parts) scaleRange(p, scale);
                return;
            }
            long total = 0;
            for (MemorySegment p : parts) {
                if (p.byteSize() % 4 != 0) throw new IllegalArgumentException("a part of " + p.byteSize() + " bytes is not float32");
                total += p.byteSize() / 4;
            }
            long chunkMax = (total + size - 1) / size;
            if (scratch.byteSize() < chunkMax * 4) scratch = arena.allocate(chunkMax * 4, 64);
            // reduce-scatter: after N-1 rounds this rank holds the full sum of chunk rank + 1
            for (int s = 0; s < size - 1; s++) {
                int send = Math.floorMod(rank - s, size);
                int recv = Math.floorMod(rank - s - 1, size);
                long from = start(recv, total);
                long floats = end(recv, total) - from;
                long[] added = {0};   // floats of the chunk already added: each block is added as soon as it has arrived
                exchange(buffers(parts, start(send, total), end(send, total)),
                        new ByteBuffer[] {scratch.asSlice(0, floats * 4).asByteBuffer()}, "reduce-scatter", received -> {
                            long ready = received == floats * 4 ? floats : received / 4 / ADD_BLOCK * ADD_BLOCK;
                            if (ready > added[0]) {
                                addInto(parts, from + added[0], from + ready, added[0]);
                                added[0] = ready;
                            }
                        });
            }
            int own = Math.floorMod(rank + 1, size);
            if (scale != 1) for (MemorySegment p : pieces(parts, start(own, total), end(own, total))) scaleRange(p, scale);
            // all-gather: each finished chunk goes round the ring, written straight into the parts
            for (int s = 0; s < size - 1; s++) {
                int send = Math.floorMod(rank + 1 - s, size);
                int recv = Math.floorMod(rank - s, size);
                exchange(buffers(parts, start(send, total), end(send, total)), buffers(parts, start(recv, total), end(recv, total)), "all-gather", null);
            }
        } finally {
            exchangeNanos += System.nanoTime() - t0;
            exchanges++;
        }
    }

    /**
     * Checks that every rank's parameters hash to the same value: each rank sends its checksum of
     * {@code parameters} to rank + 1 and compares it with rank − 1's. Any difference anywhere in the
     * ring shows up at some rank, which throws naming both ranks, both checksums and the step.
     */
    public long checkReplicas(List<MemorySegment> parameters) throws RingException {
        long sum = checksum(parameters);
        if (size == 1) return sum;
        checksumOut.clear();
        checksumOut.putLong(0, sum);
        checksumIn.clear();
        exchange(new ByteBuffer[] {checksumOut}, new ByteBuffer[] {checksumIn}, "replica check", null);
        long theirs = checksumIn.getLong(0);
        if (theirs != sum) {
            int from = Math.floorMod(rank - 1, size);
            throw new RingException("replicas drifted apart at step " + step + ": rank " + rank + "'s parameters have checksum "
                    + Long.toHexString(sum) + ", rank " + from + "'s " + Long.toHexString(theirs)
                    + " (every rank must apply the same update to the same parameters)");
        }
        return sum;
    }

    /** A checksum of the bytes of {@code segments} (CRC32C of each, folded with its length). */
    public static long checksum(List<MemorySegment> segments) {
        long h = 17;
        CRC32C crc = new CRC32C();
        for (MemorySegment s : segments) {
            crc.reset();
            crc.update(s.asByteBuffer());
            h = h * 1_000_003L + (crc.getValue() ^ (s.byteSize() << 32));
        }
        return h;
    }

    private long start(int chunk, long total) { return total * chunk / size; }

    private long end(int chunk, long total) { return total * (chunk + 1) / size; }

    /** The parts' bytes covering floats [from, to) of the concatenated vector, as segments. */
    private static List<MemorySegment> pieces(List<MemorySegment> parts, long from, long to) {
        List<MemorySegment> out = new ArrayList<>();
        long base = 0;
        for (MemorySegment p : parts) {
            long n = p.byteSize() / 4;
            long a = Math.max(from, base);
            long b = Math.min(to, base + n);
            if (a < b) out.add(p.asSlice((a - base) * 4, (b - a) * 4));
            base += n;
            if (base >= to) break;
        }
        return out;
    }

    private static ByteBuffer[] buffers(List<MemorySegment> parts, long from, long to) {
        return pieces(parts, from, to).stream().map(MemorySegment::asByteBuffer).toArray(ByteBuffer[]::new);
    }

    /** parts[from, to) += scratch[k0, k0 + to - from), with Panagrad's float32 kernel (the Vector API's when present). */
    private void addInto(List<MemorySegment> parts, long from, long to, long k0) {
        long k = k0;
        for (MemorySegment p : pieces(parts, from, to)) {
            long n = p.byteSize() / 4;
            Kernels.addScaled(DType.F32, p, 0, scratch, k, 1, n);   // on this thread: the other ranks' threads need the other cores
            k += n;
        }
    }

    private static void scaleRange(MemorySegment p, float scale) {
        long n = p.byteSize() / 4;
        for (long i = 0; i < n; i++) p.setAtIndex(ValueLayout.JAVA_FLOAT, i, p.getAtIndex(ValueLayout.JAVA_FLOAT, i) * scale);
    }

    /**
     * Sends {@code out} to rank + 1 while receiving {@code in} from rank − 1, both at once (so two
     * ranks sending large chunks to each other cannot both block), until both are done; after each
     * read, {@code received} (if not null) is told how many bytes have arrived so far, and may work
     * on them while the rest is in flight.
     */
    private void exchange(ByteBuffer[] out, ByteBuffer[] in, String phase, LongConsumer received) throws RingException {
        long recvTotal = remaining(in);
        int to = Math.floorMod(rank + 1, size);
        int from = Math.floorMod(rank - 1, size);
        long sendLeft = remaining(out);
        long recvLeft = remaining(in);
        try {
            SelectionKey wk = next.register(selector, sendLeft > 0 ? SelectionKey.OP_WRITE : 0);
            SelectionKey rk = prev.register(selector, recvLeft > 0 ? SelectionKey.OP_READ : 0);
            long lastProgress = System.nanoTime();
            while (sendLeft > 0 || recvLeft > 0) {
                selector.selectedKeys().clear();
                long waited = (System.nanoTime() - lastProgress) / 1_000_000;
                if (waited >= timeoutMillis) {
                    String who = recvLeft > 0 ? "received nothing from rank " + from : "could not send to rank " + to;
                    throw new RingException("rank " + rank + " " + who + " for " + seconds(timeoutMillis) + " at step " + step + " (" + phase
                            + "): rank " + (recvLeft > 0 ? from : to) + " is stuck or unreachable");
                }
                selector.select(Math.max(1, timeoutMillis - waited));
                if (Thread.interrupted()) throw new RingException("rank " + rank + " was interrupted at step " + step + " (" + phase + ")");
                if (sendLeft > 0 && wk.isValid() && wk.isWritable()) {
                    long n;
                    try {
                        n = next.write(out);
                    } catch (IOException e) {
                        throw new RingException("rank " + rank + " lost its connection to rank " + to + " at step " + step + " (" + phase
                                + ": " + e.getMessage() + "): rank " + to + " failed or its process died", e);
                    }
                    sendLeft -= n;
                    if (n > 0) lastProgress = System.nanoTime();
                    if (sendLeft == 0) wk.interestOps(0);
                }
                if (recvLeft > 0 && rk.isValid() && rk.isReadable()) {
                    long n;
                    try {
                        n = prev.read(in);
                    } catch (IOException e) {
                        throw new RingException("rank " + rank + " lost its connection to rank " + from + " at step " + step + " (" + phase
                                + ": " + e.getMessage() + "): rank " + from + " failed or its process died", e);
                    }
                    if (n < 0) {
                        throw new RingException("rank " + rank + ": rank " + from + " closed its connection at step " + step + " (" + phase
                                + "): rank " + from + " failed or its process died");
                    }
                    recvLeft -= n;
                    if (n > 0) lastProgress = System.nanoTime();
                    if (recvLeft == 0) rk.interestOps(0);
                    if (n > 0 && received != null) received.accept(recvTotal - recvLeft);
                }
            }
        } catch (RingException e) {
            throw e;
        } catch (IOException e) {
            throw new RingException("rank " + rank + " at step " + step + " (" + phase + "): " + e.getMessage(), e);
        }
    }

    private static long remaining(ByteBuffer[] buffers) {
        long n = 0;
        for (ByteBuffer b : buffers) n += b.remaining();
        return n;
    }

    private static String seconds(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis / 1000.0 + " s";
    }

    private static void closeQuietly(SocketChannel c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** Closes both connections (the neighbours see EOF at once) and frees the scratch buffer. */
    @Override
    public void close() {
        closeQuietly(next);
        closeQuietly(prev);
        if (selector != null) {
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        arena.close();
    }
}
