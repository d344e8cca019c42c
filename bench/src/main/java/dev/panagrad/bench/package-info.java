/**
 * Benchmarks, each checking its own result: JMH benchmarks of the kernels, matmul, the tiny-op
 * chain and the MLP step; {@code CompareBench} (the same work against PyTorch, as a child process:
 * bench/peers/pytorch/), {@code StepPartsBench}, {@code GemmBridgeReport}, and {@code MemoryBench}
 * with {@code MemoryProfile} (the memory of the train command's step). See docs/benchmarking.md.
 *
 * <p>May import: everything: the core modules and {@code dev.panagrad.examples.train} (the step the
 * memory measurements run). Nothing imports the benchmarks. See docs/architecture.md.
 */
package dev.panagrad.bench;
