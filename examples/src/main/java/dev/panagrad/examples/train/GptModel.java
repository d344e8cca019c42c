package dev.panagrad.examples.train;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.array.Shape;
import dev.panagrad.memory.DType;
import dev.panagrad.nn.ActivationCheckpoint;
import dev.panagrad.nn.Embedding;
import dev.panagrad.nn.LayerNorm;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.Module;
import dev.panagrad.nn.TransformerBlock;

/**
 * A decoder-only transformer (GPT-2's layout): token and position embeddings, {@code layers} causal
 * pre-norm {@link TransformerBlock}s, a final LayerNorm and a Linear to the vocabulary's logits. No
 * dropout (the data is small, the runs short).
 */
public final class GptModel extends Module {
    private final int vocab, width, context, layers, heads;
    private final Embedding tokens, positions;
    private final TransformerBlock[] blocks;
    private final LayerNorm norm;
    private final Linear head;
    private boolean checkpointActivations;

    public GptModel(int vocab, int width, int layers, int heads, int context, Generator generator) {
        if (width % heads != 0) {
            throw new IllegalArgumentException("--heads " + heads + " does not divide --width " + width + " (embed_dim must be divisible by num_heads)");
        }
        this.vocab = vocab;
        this.width = width;
        this.context = context;
        this.layers = layers;
        this.heads = heads;
        this.tokens = registerModule("tok", new Embedding(vocab, width, null, DType.F32, generator));
        this.positions = registerModule("pos", new Embedding(context, width, null, DType.F32, generator));
        this.blocks = new TransformerBlock[layers];
        for (int i = 0; i < layers; i++) blocks[i] = registerModule("h" + i, new TransformerBlock(width, heads, true, DType.F32, generator));
        this.norm = registerModule("ln", new LayerNorm(new int[] {width}, 1e-5, true, DType.F32));
        this.head = registerModule("head", new Linear(width, vocab, true, DType.F32, generator));
        try (var off = dev.panagrad.Grad.disabled()) {   // GPT-2's small initial embeddings: N(0, 0.02)
            tokens.weight().mulInPlace(0.02);
            positions.weight().mulInPlace(0.02);
        }
    }

    /** Recompute each block's activations in backward instead of keeping them ({@link ActivationCheckpoint}). */
    public void setCheckpointActivations(boolean on) { this.checkpointActivations = on; }

    /** Logits [batch, T, vocab] for the int64 token ids [batch, T], T at most the context. */
    @Override
    public Tensor forward(Tensor idx) {
        if (idx.dim() != 2) throw new IllegalArgumentException("GPT: expected token ids [batch, T], got " + Shape.str(idx.shape()));
        int t = idx.size(1);
        if (t > context) {
            throw new IllegalArgumentException("GPT: a sequence of " + t + " tokens is longer than the context of " + context + " (the positional table has " + context + " rows)");
        }
        Tensor tok = tokens.forward(idx);
        Tensor pos = positions.forward(Tensor.arange(t));
        Tensor x = tok.add(pos);
        tok.dropWhenUnused();
        for (TransformerBlock b : blocks) {
            Tensor next = checkpointActivations ? ActivationCheckpoint.checkpoint(b, x) : b.forward(x);
            x.dropWhenUnused();
            x = next;
        }
        Tensor n = norm.forward(x);
        x.dropWhenUnused();
        Tensor logits = head.forward(n);
        n.dropWhenUnused();
        return logits;
    }

    public int context() { return context; }

    public String architecture() {
        return layers + " layers, " + heads + " heads, width " + width + ", context " + context + ", vocabulary " + vocab;
    }
}
