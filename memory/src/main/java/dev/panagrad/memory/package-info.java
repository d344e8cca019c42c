/**
 * Native memory, the lowest layer: {@code BufferPool} (64-byte aligned, size-classed, caching, with
 * an optional budget), {@code Storage} (a lease of the pool and its version counter),
 * {@code MemoryScope} (every lease made inside goes back at close), {@code MemoryStats},
 * {@code MemoryReport}, {@code AllocationLog}, and {@code DType}, the element types.
 *
 * <p>May import: the JDK only. Every other package of Panagrad may import this one.
 *
 * <p>{@code DType} stays here although the pool counts only bytes: every layer above uses it, the
 * kernels (the lowest layer of the autograd module) dispatch on it, so under the one-way rule it
 * must sit below {@code dev.panagrad.kernel}; this is the one package that is.
 * See docs/architecture.md.
 */
package dev.panagrad.memory;
