package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The surefire route: the flags come from argLine; the numbers must be PyTorch's. */
class TinyTrainingTest {
    @Test
    void trainsAsPyTorchWithTheFlagsFromArgLine() {
        assertEquals(List.of(), TinyTraining.run(new PrintStream(OutputStream.nullOutputStream())));
    }
}
