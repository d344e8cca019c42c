package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Tensors of one thread's scope used on another: nothing half-owned, nothing leaked. */
class CrossThreadLifetimeTest {

    @Test
    void aGradientMadeByBackwardOnAnotherThreadGoesBackWithTheLeafsScope() throws Exception {
        BufferPool pool = new BufferPool("cross-thread backward");
        Tensor leaf;
        try (var scope = MemoryScope.open("leaf", pool)) {
            leaf = Tensor.full(DType.F64, 3, 1000).requiresGrad(true);
            Tensor x = leaf;
            CompletableFuture.runAsync(() -> x.mul(x).sum().backward()).get();   // the other thread has no scope
            assertEquals(6.0, leaf.grad().toDoubleArray()[999]);
            assertSame(scope, leaf.grad().storage().scope());
        }
        assertEquals(0, pool.stats().bytesInUse(), "a gradient lease made on the other thread was left behind: " + pool.largestHolders(3));
    }

    @Test
    void keepFromAnotherThreadMovesTheTensorOut() throws Exception {
        BufferPool pool = new BufferPool("cross-thread keep");
        Tensor kept;
        try (var outer = MemoryScope.open("outer", pool)) {
            try (var inner = MemoryScope.open("inner", pool)) {
                Tensor t = Tensor.full(DType.F64, 5, 10);
                kept = CompletableFuture.supplyAsync(t::keep).get();
            }
            assertEquals(50.0, kept.sum().item());
        }
        assertTrue(kept.storage().isReleased());
        assertEquals(0, pool.stats().bytesInUse());
    }
}
