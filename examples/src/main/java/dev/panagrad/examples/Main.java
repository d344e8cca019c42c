package dev.panagrad.examples;

import dev.panagrad.examples.serve.ServeExample;
import dev.panagrad.examples.train.TrainCommand;
import dev.panagrad.examples.tutorial.Tutorial;
import java.util.Arrays;

/** The {@code ./panagrad} subcommands that run Java. The launcher handles {@code test} and {@code bench} itself. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: panagrad <train|tutorial|doctor|serve-demo> [args]");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        int status = switch (args[0]) {
            case "doctor" -> Doctor.run(rest);
            case "train" -> TrainCommand.main(rest, System.out, System.err);
            case "tutorial" -> Tutorial.main(rest, System.out, System.err);
            case "serve-demo" -> ServeExample.main(rest, System.out, System.err);
            default -> {
                System.err.println("panagrad: unknown command '" + args[0] + "'. Commands: train, tutorial, serve-demo, doctor, test, bench. See ./panagrad help.");
                yield 2;
            }
        };
        System.exit(status);
    }
}
