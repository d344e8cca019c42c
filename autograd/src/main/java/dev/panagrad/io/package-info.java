/**
 * Files: {@code SafeTensors} (save atomically, load with the format's checks), {@code Checkpoint}
 * (a model and its optimizer in one safetensors file), {@code AtomicFiles} (write to a temporary,
 * force, rename) and {@code FileErrors} (messages naming the file).
 *
 * <p>May import: {@code dev.panagrad.nn} and {@code dev.panagrad.optim} (a checkpoint holds a model
 * and its optimizer), {@code dev.panagrad.ops}, {@code dev.panagrad} ({@code Tensor}) and every
 * package below it, the JDK and Gson. See docs/architecture.md.
 */
package dev.panagrad.io;
