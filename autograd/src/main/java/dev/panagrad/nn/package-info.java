/**
 * Neural-network modules and functions, as {@code torch.nn}: {@code Module} (parameters and
 * children in registration order, state dicts named as PyTorch names them), {@code Parameter},
 * {@code Linear}, {@code ReLU}, {@code Sequential}, the losses {@code MSELoss} and
 * {@code CrossEntropyLoss}, {@code Functional}, {@code ClipGrad}.
 *
 * <p>May import: {@code dev.panagrad.ops}, {@code dev.panagrad.autograd}, {@code dev.panagrad}
 * ({@code Tensor}) and every package below it, the JDK. Not {@code optim} or {@code io}.
 * See docs/architecture.md.
 */
package dev.panagrad.nn;
