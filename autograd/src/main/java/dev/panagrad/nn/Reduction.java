package dev.panagrad.nn;

/** How a loss reduces over the batch, as PyTorch's {@code reduction=}. */
public enum Reduction { MEAN, SUM, NONE }
