package dev.panagrad.examples.tutorial;

import static dev.panagrad.examples.output.Py.fixed;
import static dev.panagrad.examples.output.Py.size;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.panagrad.Generator;
import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.examples.output.Charts;
import dev.panagrad.memory.DType;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.MSELoss;
import dev.panagrad.optim.SGD;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** The tutorial's three worked cases. */
final class Cases {
    private Cases() {}

    /**
     * Case 1 on the data PyTorch trained on when the golden case was recorded (torch.randn's stream is
     * not reproduced here, so the data is read rather than drawn): float64, 100 epochs, lr 0.01.
     */
    static void linearRegression(PrintStream out, Path outDir) throws IOException {
        JsonObject data = readJson("linear_regression.json");
        Tensor x = tensor(data, "X", 100, 1);
        Tensor yTrue = tensor(data, "y_true", 100, 1);
        Tensor w = tensor(data, "w", 1, 1).requiresGrad(true);
        Tensor b = tensor(data, "b", 1).requiresGrad(true);

        double learningRate = 0.01;
        int epochs = 100;
        double[] losses = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++) {
            Tensor yPred = x.matmul(w).add(b);                 // forward
            Tensor loss = yPred.sub(yTrue).pow(2).mean();      // MSE
            losses[epoch] = loss.item();
            loss.backward();
            try (var off = Grad.disabled()) {                  // manual gradient descent
                w.subInPlace(w.grad().mul(learningRate));
                b.subInPlace(b.grad().mul(learningRate));
            }
            w.grad().zeroInPlace();
            b.grad().zeroInPlace();
            if ((epoch + 1) % 20 == 0) {
                out.println("Epoch " + (epoch + 1) + ": Loss = " + fixed(loss.item(), 4) + ", w = " + fixed(w.item(), 4) + ", b = " + fixed(b.item(), 4));
            }
        }
        out.println();
        out.println("final: w = " + fixed(w.item(), 4) + ", b = " + fixed(b.item(), 4));
        out.println("true:  w = 3.0, b = 2.0");
        Path png = outDir.resolve("linear_regression_loss.png");
        Charts.linePng(png, "Linear regression: training loss", "epoch", "MSE loss", Charts.Series.of("loss", losses));
        out.println("loss curve written to " + png);
    }

    /** Case 2's data and parameters, after its backward (the tests check the gradients' values). */
    record MlpRun(Tensor x, Tensor y, List<Tensor> parameters) {}

    /** Case 2: a hand-built MLP (parameters as plain tensors), one forward and backward. */
    static MlpRun mlp(PrintStream out) {
        Generator g = new Generator(0);
        int inputSize = 10, hiddenSize = 20, outputSize = 1;
        Tensor w1 = g.randn(DType.F32, inputSize, hiddenSize).requiresGrad(true);
        Tensor b1 = Tensor.zeros(hiddenSize).requiresGrad(true);
        Tensor w2 = g.randn(DType.F32, hiddenSize, outputSize).requiresGrad(true);
        Tensor b2 = Tensor.zeros(outputSize).requiresGrad(true);
        List<Tensor> parameters = List.of(w1, b1, w2, b2);

        Tensor x = g.randn(DType.F32, 32, 10);
        Tensor y = g.randn(DType.F32, 32, 1);
        Tensor h = x.matmul(w1).add(b1).relu();
        Tensor yPred = h.matmul(w2).add(b2);
        Tensor loss = yPred.sub(y).pow(2).mean();
        loss.backward();
        for (int i = 0; i < parameters.size(); i++) {
            out.println("parameter " + i + " gradient shape: " + size(parameters.get(i).grad().shape()));
        }
        return new MlpRun(x, y, parameters);
    }

    /** Case 3: a batch of 128 as 4 micro-batches of 32, with Linear + SGD + MSELoss. */
    static void accumulation(PrintStream out) {
        Generator g = new Generator(0);
        Linear model = new Linear(10, 1, true, DType.F32, g);
        SGD optimizer = new SGD(model.parameters(), 0.01);
        MSELoss criterion = new MSELoss();
        Tensor largeBatch = g.randn(DType.F32, 128, 10);
        Tensor targets = g.randn(DType.F32, 128, 1);

        int accumulationSteps = 4;
        int miniBatchSize = 128 / accumulationSteps;
        optimizer.zeroGrad();
        for (int i = 0; i < accumulationSteps; i++) {
            int start = i * miniBatchSize, end = start + miniBatchSize;
            Tensor miniX = largeBatch.slice(0, start, end);
            Tensor miniY = targets.slice(0, start, end);
            Tensor output = model.forward(miniX);
            Tensor loss = criterion.forward(output, miniY).div(accumulationSteps);   // scale the loss
            loss.backward();                                                          // gradients accumulate
        }
        Tensor accumulated = model.weight().grad().clone();

        // what the accumulated gradient stands for: one backward over all 128 (method 1 in the tutorial)
        model.zeroGrad();
        criterion.forward(model.forward(largeBatch), targets).backward();
        double diff = accumulated.sub(model.weight().grad()).abs().max().item();
        model.weight().grad().copyFrom(accumulated);
        optimizer.step();
        out.println("max |accumulated - full-batch| weight gradient: " + (diff < 1e-6 ? "< 1e-6" : Double.toString(diff)));
        out.println("gradient accumulation done");
    }

    private static JsonObject readJson(String resource) throws IOException {
        try (InputStream in = Cases.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("missing resource " + resource + " next to " + Cases.class.getName());
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
        }
    }

    private static Tensor tensor(JsonObject data, String key, int... shape) {
        var arr = data.getAsJsonArray(key);
        double[] v = new double[arr.size()];
        for (int i = 0; i < v.length; i++) v[i] = arr.get(i).getAsDouble();
        return Tensor.fromArray(DType.F64, v, shape);
    }
}
