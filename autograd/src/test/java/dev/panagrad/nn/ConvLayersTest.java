package dev.panagrad.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.io.Checkpoint;
import dev.panagrad.memory.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layers of issue 13 as modules: PyTorch's state-dict names and order, reprs, train/eval, messages. */
class ConvLayersTest {
    @TempDir Path dir;

    private static Sequential smallCnn(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(new Conv2d(1, 2, 3, 1, g), new BatchNorm2d(2), new ReLU(), new MaxPool2d(2), new Flatten(), new Dropout(0.25, g),
                new Linear(8, 3, true, DType.F32, g), new LeakyReLU(), new Softmax(1));
    }

    /** x = torch.arange(24.).reshape(3, 2, 2, 2) / 4 - 1 */
    private static Tensor ramp() {
        double[] v = new double[24];
        for (int i = 0; i < 24; i++) v[i] = i / 4.0 - 1;
        return Tensor.fromArray(DType.F32, v, 3, 2, 2, 2);
    }

    @Test
    void batchNormKeepsPyTorchsRunningStatisticsAndUsesThemInEval() {
        // bn = nn.BatchNorm2d(2); bn(x); bn(x * 2); bn.running_mean, bn.running_var, bn.num_batches_tracked
        //   -> [0.39875, 0.68875], [2.2772157, 2.2772157], 2;   bn.eval(); bn(x)[0].flatten()
        BatchNorm2d bn = new BatchNorm2d(2);
        Tensor x = ramp();
        bn.forward(x);
        bn.forward(x.mul(2));
        assertArrayEquals(new float[] {0.3987500072f, 0.6887499690f}, bn.runningMean().toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {2.2772157192f, 2.2772157192f}, bn.runningVar().toFloatArray(), 1e-6f);
        assertEquals(2, bn.numBatchesTracked().toLongArray()[0]);
        bn.eval();
        assertArrayEquals(new float[] {-0.9269089699f, -0.7612415552f, -0.5955742002f, -0.4299068451f, -0.4564135969f, -0.2907462120f, -0.1250788569f, 0.0405885130f},
                bn.forward(x).index("0").flatten().toFloatArray(), 1e-6f);
        assertEquals(2, bn.numBatchesTracked().toLongArray()[0], "eval does not count batches");
        assertEquals(List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"), List.copyOf(bn.stateDict().keySet()));
    }

    @Test
    void aCnnsStateDictHasPyTorchsKeysInPyTorchsOrderAndRoundTripsThroughACheckpoint() throws Exception {
        // list(nn.Sequential(Conv2d(1,2,3,padding=1), BatchNorm2d(2), ReLU(), MaxPool2d(2), Flatten(), Dropout(0.25), Linear(8,3), LeakyReLU(), Softmax(1)).state_dict())
        Sequential m = smallCnn(1);
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "6.weight", "6.bias"),
                List.copyOf(m.stateDict().keySet()));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "6.weight", "6.bias"), List.copyOf(m.namedParameters().keySet()), "buffers are not parameters");
        Tensor x = new Generator(3).randn(DType.F32, 4, 1, 4, 4);
        m.forward(x);   // moves the running statistics, counts a batch
        Path file = dir.resolve("cnn.safetensors");
        Checkpoint.save(file, m, null, Map.of());
        Sequential back = smallCnn(2);
        Checkpoint.load(file, back, null);
        m.eval();
        back.eval();
        assertArrayEquals(m.forward(x).toFloatArray(), back.forward(x).toFloatArray(), 0f);
        assertEquals(1, back.namedBuffers().get("1.num_batches_tracked").toLongArray()[0]);
        assertArrayEquals(m.namedBuffers().get("1.running_var").toFloatArray(), back.namedBuffers().get("1.running_var").toFloatArray(), 0f);
    }

    @Test
    void reprsArePyTorchs() {
        assertEquals("""
                Sequential(
                  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                  (1): BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
                  (2): ReLU()
                  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
                  (4): Flatten(start_dim=1, end_dim=-1)
                  (5): Dropout(p=0.25, inplace=False)
                  (6): Linear(in_features=8, out_features=3, bias=True)
                  (7): LeakyReLU(negative_slope=0.01)
                  (8): Softmax(dim=1)
                )""", smallCnn(1).toString());
        assertEquals("Conv2d(4, 8, kernel_size=(3, 2), stride=(2, 2), groups=2, bias=False)",
                new Conv2d(4, 8, new int[] {3, 2}, new int[] {2}, new int[] {0}, new int[] {1}, 2, false, DType.F32, new Generator(0)).toString());
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0) AdaptiveAvgPool2d(output_size=(3, 2)) BatchNorm1d(5, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True) LogSoftmax(dim=1) SiLU() Tanh() Sigmoid()",
                String.join(" ", new AvgPool2d(2).toString(), new AdaptiveAvgPool2d(3, 2).toString(), new BatchNorm1d(5).toString(), new LogSoftmax(1).toString(),
                        new SiLU().toString(), new Tanh().toString(), new Sigmoid().toString()));
    }

    @Test
    void dropoutIsSeededInTrainingAndTheIdentityInEval() {
        Tensor x = Tensor.ones(DType.F32, 1000).requiresGrad(true);
        Tensor a = new Dropout(0.25, new Generator(5)).forward(x), b = new Dropout(0.25, new Generator(5)).forward(x);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray(), "same seed, same mask");
        long zeros = 0;
        for (float v : a.toFloatArray()) {
            if (v == 0) zeros++;
            else assertEquals(1 / 0.75f, v, 1e-6f, "kept values are scaled by 1/(1 - p)");
        }
        assertTrue(zeros > 200 && zeros < 300, zeros + " of 1000 dropped at p = 0.25");
        a.sum().backward();
        assertArrayEquals(a.detach().toFloatArray(), x.grad().toFloatArray(), "the gradient is the saved mask");
        Dropout d = new Dropout(0.25);
        d.eval();
        assertSame(x, d.forward(x));
    }

    /**
     * Inputs big enough that pooling and batch norm split their planes across the cores (the golden
     * cases are small): the results equal the same math composed of plain ops (reshape + amax, mean and
     * variance), and max pooling's gradient lands on each window's maximum.
     */
    @Test
    void poolingAndBatchNormOnBigInputsEqualTheirCompositions() {
        Tensor x = new Generator(11).randn(DType.F32, 8, 16, 32, 32).requiresGrad(true);
        Tensor pooled = x.maxPool2d(new int[] {2}, null, new int[] {0}, new int[] {1});
        Tensor reference = x.detach().reshape(8, 16, 16, 2, 16, 2).amax(new int[] {3, 5}, false);
        assertArrayEquals(reference.toFloatArray(), pooled.toFloatArray(), 0f);
        pooled.sum().backward();
        Tensor hits = x.detach().eq(pooled.detach().reshape(8, 16, 16, 1, 16, 1).expand(8, 16, 16, 2, 16, 2).reshape(8, 16, 32, 32));
        assertArrayEquals(hits.to(DType.F32).toFloatArray(), x.grad().toFloatArray(), 0f, "gradient 1 at each window's maximum, 0 elsewhere");

        Tensor y = Tensor.batchNorm(x.detach(), null, null, null, null, true, 0.1, 1e-5);
        Tensor mean = x.detach().mean(new int[] {0, 2, 3}, true);
        Tensor var = x.detach().sub(mean).pow(2).mean(new int[] {0, 2, 3}, true);
        Tensor want = x.detach().sub(mean).div(var.add(1e-5).sqrt());
        assertArrayEquals(want.toFloatArray(), y.toFloatArray(), 2e-5f);
    }

    @Test
    void trainAndEvalReachEveryLayer() {
        Sequential m = smallCnn(1);
        m.eval();
        for (Module c : m.children().values()) assertFalse(c.isTraining());
        m.train();
        for (Module c : m.children().values()) assertTrue(c.isTraining());
    }

    @Test
    void badInputGetsPyTorchsMessages() {
        // nn.Conv2d(3, 6, 3, groups=2) -> ValueError: in_channels must be divisible by groups
        var e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 6, new int[] {3}, new int[] {1}, new int[] {0}, new int[] {1}, 2, true, DType.F32, new Generator(0)));
        assertEquals("in_channels must be divisible by groups", e.getMessage());
        // nn.BatchNorm2d(3)(torch.randn(2, 3, 4)) -> ValueError: expected 4D input (got 3D input)
        e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3).forward(Tensor.zeros(2, 3, 4)));
        assertEquals("expected 4D input (got 3D input)", e.getMessage());
        // nn.BatchNorm1d(3)(torch.randn(1, 3)) -> ValueError: Expected more than 1 value per channel when training, got input size torch.Size([1, 3])
        e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3).forward(Tensor.zeros(1, 3)));
        assertEquals("Expected more than 1 value per channel when training, got input size torch.Size([1, 3])", e.getMessage());
        // nn.Conv2d(3, 4, 3)(torch.randn(5, 5)) -> Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 5]
        e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, 3).forward(Tensor.zeros(5, 5)));
        assertEquals("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 5]", e.getMessage());
        // a 3-D input is one unbatched image in PyTorch 1.13: nn.Conv2d(3, 4, 3)(torch.zeros(3, 5, 5)).shape == (4, 3, 3)
        assertArrayEquals(new int[] {4, 3, 3}, new Conv2d(3, 4, 3).forward(Tensor.zeros(3, 5, 5)).shape());
    }
}
