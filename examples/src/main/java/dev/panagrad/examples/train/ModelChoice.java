package dev.panagrad.examples.train;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code --model NAME} of {@code ./panagrad train} (the last one given wins): {@code mlp} (the default)
 * {@code cnn} (both with the options of {@code TrainOptions}) or {@code gpt} (its own options); for gpt the arguments
 * without it go to that job's own options.
 */
record ModelChoice(String model, String[] rest) {
    static final List<String> MODELS = List.of("mlp", "cnn", "gpt");

    static ModelChoice of(String[] args) {
        String model = "mlp";
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--model")) {
                if (i + 1 >= args.length) throw new IllegalArgumentException("--model needs a value (one of " + String.join(", ", MODELS) + ")");
                model = args[++i];
            } else if (a.startsWith("--model=")) {
                model = a.substring("--model=".length());
            } else {
                rest.add(a);
            }
        }
        if (!MODELS.contains(model)) throw new IllegalArgumentException("--model must be one of " + String.join(", ", MODELS) + ", got '" + model + "'");
        return new ModelChoice(model, rest.toArray(String[]::new));
    }
}
