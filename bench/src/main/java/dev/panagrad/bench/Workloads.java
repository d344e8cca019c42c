package dev.panagrad.bench;

import dev.panagrad.Autocast;
import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.examples.train.GptTrainer;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.Functional;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.ReLU;
import dev.panagrad.nn.Sequential;
import dev.panagrad.optim.SGD;

/**
 * The work the PyTorch peer ({@code bench/peers/pytorch/peer.py}) also does, written as a user would:
 * the MLP training step, the tiny-op chain, the GPT training step and causal attention. Each checks its own result.
 */
public final class Workloads {
    private Workloads() {}

    /** MLP 784-1024-1024-10, ReLU, cross-entropy, SGD momentum 0.9, on one fixed batch. */
    public static final class MlpStep implements AutoCloseable {
        private final MemoryScope lifetime = MemoryScope.open("mlp-step model");
        final Sequential model;   // package-private: StepPartsBench times the same step by part
        final SGD optimizer;
        final Tensor x, y;
        private final boolean autocast;

        public MlpStep(int batch) { this(batch, false); }

        /** With {@code autocast}, the forward pass and the loss run in {@link Autocast#bf16()} (the GEMMs of backward too). */
        public MlpStep(int batch, boolean autocast) {
            this.autocast = autocast;
            Generator g = new Generator(0);
            model = new Sequential(new Linear(784, 1024, true, DType.F32, g), new ReLU(), new Linear(1024, 1024, true, DType.F32, g),
                    new ReLU(), new Linear(1024, 10, true, DType.F32, g));
            optimizer = new SGD(model.parameters(), 0.01, 0.9, 0, 0, false);
            x = g.randn(DType.F32, batch, 784);
            y = g.randint(0, 10, batch);
        }

        /** One step, in its own MemoryScope; returns the loss (finite and positive, or it throws). */
        public double step() {
            try (var step = MemoryScope.open("mlp-step")) {
                optimizer.zeroGrad();
                Tensor loss;
                try (var amp = autocast ? Autocast.bf16() : null) {
                    loss = Functional.crossEntropy(model.forward(x), y);
                }
                loss.backward();
                optimizer.step();
                double l = loss.item();
                if (!(l > 0) || Double.isInfinite(l)) throw new IllegalStateException("MLP step loss " + l);
                return l;
            }
        }

        @Override
        public void close() { lifetime.close(); }
    }

    /**
     * One training step of the character-level GPT of {@code ./panagrad train --model gpt} (4 layers, 4 heads,
     * width 128, context 128, vocabulary 384, AdamW, clipping) on one fixed batch of random tokens.
     */
    public static final class GptStep implements AutoCloseable {
        static final int VOCAB = 384, CONTEXT = 128;
        private final MemoryScope lifetime = MemoryScope.open("gpt-step model");
        final GptTrainer trainer;
        final long[] text;
        final int[] starts;

        public GptStep(int batch) {
            trainer = new GptTrainer(VOCAB, 128, 4, 4, CONTEXT, 1e-3, 0.1, 10, 1_000_000, 1.0, 0);
            java.util.Random r = new java.util.Random(0);
            text = new long[batch * (CONTEXT + 1)];
            for (int i = 0; i < text.length; i++) text[i] = r.nextInt(VOCAB);
            starts = new int[batch];
            for (int i = 0; i < batch; i++) starts[i] = i * (CONTEXT + 1);
        }

        /** One step; returns the loss (finite and positive, or it throws). */
        public double step() {
            double l = trainer.step(text, starts);
            if (!(l > 0) || Double.isInfinite(l)) throw new IllegalStateException("GPT step loss " + l);
            return l;
        }

        @Override
        public void close() { lifetime.close(); }
    }

    /** Causal scaled dot-product attention over q, k, v [32, 4, 128, 32] (batch, heads, T, head width), forward and backward of the sum. */
    public static final class Attention implements AutoCloseable {
        private final MemoryScope lifetime = MemoryScope.open("attention inputs");
        final Tensor q, k, v;

        public Attention() {
            Generator g = new Generator(0);
            q = g.randn(DType.F32, 32, 4, 128, 32).requiresGrad(true);
            k = g.randn(DType.F32, 32, 4, 128, 32).requiresGrad(true);
            v = g.randn(DType.F32, 32, 4, 128, 32).requiresGrad(true);
        }

        public double run() {
            try (var scope = MemoryScope.open("attention")) {
                for (Tensor t : new Tensor[] {q, k, v}) if (t.grad() != null) t.grad().zeroInPlace();
                Tensor out = Tensor.scaledDotProductAttention(q, k, v, null, true, 0);
                Tensor s = out.sum();
                s.backward();
                double value = s.item();
                if (!Double.isFinite(value)) throw new IllegalStateException("attention sum " + value);
                return value;
            }
        }

        @Override
        public void close() { lifetime.close(); }
    }

    /**
     * The train command's {@code --model cnn} (conv32-BN-ReLU-pool, conv64-BN-ReLU-pool, dropout 0.25,
     * linear 128, linear 10, Adam) on one fixed batch of 1×28×28 images.
     */
    public static final class CnnStep implements AutoCloseable {
        private final MemoryScope lifetime = MemoryScope.open("cnn-step model");
        final dev.panagrad.examples.train.CnnTrainer trainer;
        final Tensor x, y;
        final long[] rows;
        final int batch;

        public CnnStep(int batch) {
            Generator g = new Generator(0);
            this.batch = batch;
            trainer = new dev.panagrad.examples.train.CnnTrainer(784, 10, 1e-3, 0);
            x = g.rand(DType.F32, batch, 784);
            y = g.randint(0, 10, batch);
            rows = new long[batch];
            for (int i = 0; i < batch; i++) rows[i] = i;
        }

        /** One training step (the job's own), in its own MemoryScope; returns the loss. */
        public double step() {
            try (var step = MemoryScope.open("cnn-step")) {
                double l = trainer.step(x, y, rows, 0, batch, batch).loss();
                if (!(l > 0) || Double.isInfinite(l)) throw new IllegalStateException("CNN step loss " + l);
                return l;
            }
        }

        @Override
        public void close() { lifetime.close(); }
    }

    /** One 3×3 convolution, 64 → 64 channels, padding 1, on [256, 64, 28, 28]: forward, then backward of (y·g).sum(). */
    public static final class Conv2dFwdBwd implements AutoCloseable {
        private final MemoryScope lifetime = MemoryScope.open("conv2d layer");
        final dev.panagrad.nn.Conv2d conv;
        final Tensor x, g;

        public Conv2dFwdBwd() {
            Generator gen = new Generator(0);
            conv = new dev.panagrad.nn.Conv2d(64, 64, 3, 1, gen);
            x = gen.randn(DType.F32, 256, 64, 28, 28).requiresGrad(true);
            g = gen.randn(DType.F32, 256, 64, 28, 28);
        }

        public double step() {
            try (var step = MemoryScope.open("conv2d")) {
                conv.zeroGrad();
                x.setGrad(null);
                conv.forward(x).backward(g);
                if (x.grad() == null || conv.weight().grad() == null) throw new IllegalStateException("conv2d: no gradient");
                return 1;
            }
        }

        @Override
        public void close() { lifetime.close(); }
    }

    public static final int CHAIN = 1000;
    static final double CHAIN_GRAD = Math.pow(1.0001, CHAIN);

    /** 1000 × (x = x·1.0001 + 0.0001) on one float32 element, forward and backward: 2000 ops. */
    public static double tinyOpChain() {
        try (var scope = MemoryScope.open("chain")) {
            Tensor x0 = Tensor.of(DType.F32, 1.0).requiresGrad(true);
            Tensor x = x0;
            for (int i = 0; i < CHAIN; i++) x = x.mul(1.0001).add(0.0001);
            x.backward();
            double g = x0.grad().item();
            if (Math.abs(g - CHAIN_GRAD) > 1e-3) throw new IllegalStateException("chain gradient " + g + ", expected " + CHAIN_GRAD);
            return g;
        }
    }
}
