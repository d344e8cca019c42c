package dev.panagrad;

import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.MemoryStats;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs every autograd test inside a scope of its own pool and fails the test if, after the scope
 * closed, any byte is still leased or any scope was left open. Registered for every test class by
 * JUnit's extension auto-detection (src/test/resources/META-INF/services, junit-platform.properties).
 */
public final class PoolLeakCheck implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PoolLeakCheck.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        if (MemoryScope.current() != null) throw new IllegalStateException("a scope is open before " + context.getDisplayName() + ": " + MemoryScope.current());
        BufferPool pool = new BufferPool("test " + context.getDisplayName());
        context.getStore(NS).put("pool", pool);
        context.getStore(NS).put("scope", MemoryScope.open("test", pool));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        MemoryScope scope = context.getStore(NS).get("scope", MemoryScope.class);
        BufferPool pool = context.getStore(NS).get("pool", BufferPool.class);
        MemoryScope open = MemoryScope.current();
        if (open != scope) {
            throw new AssertionError(context.getDisplayName() + " left scope " + open + " open");
        }
        scope.close();
        MemoryStats s = pool.stats();
        if (s.bytesInUse() != 0 || s.liveLeases() != 0) {
            throw new AssertionError(context.getDisplayName() + " leaked pool memory: " + s + "; holders " + pool.largestHolders(5));
        }
        pool.trim();
    }
}
