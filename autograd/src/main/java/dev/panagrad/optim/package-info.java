/**
 * Optimizers, as {@code torch.optim}: {@code Optimizer} (zeroing gradients, state dicts named as
 * PyTorch names them), {@code SGD} (momentum, dampening, weight decay, Nesterov), {@code Adam},
 * {@code AdamW}. A step records no graph and leases nothing once its state exists.
 *
 * <p>May import: {@code dev.panagrad.ops}, {@code dev.panagrad.autograd}, {@code dev.panagrad}
 * ({@code Tensor}) and every package below it, the JDK. Not {@code nn} or {@code io}.
 * See docs/architecture.md.
 */
package dev.panagrad.optim;
