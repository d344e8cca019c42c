package dev.panagrad.examples.output;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PyTest {
    @Test
    void reprFollowsPython() {
        assertEquals("8.0", Py.repr(8));
        assertEquals("0.1", Py.repr(0.1));
        assertEquals("0.10000000149011612", Py.repr(0.1f));
        assertEquals("-2.5", Py.repr(-2.5));
        assertEquals("0.0001", Py.repr(1e-4));
        assertEquals("1e-05", Py.repr(1e-5));
        assertEquals("1234567890123456.0", Py.repr(1234567890123456.0));
        assertEquals("1e+16", Py.repr(1e16));
        assertEquals("1.5e+300", Py.repr(1.5e300));
        assertEquals("-0.0", Py.repr(-0.0));
        assertEquals("inf", Py.repr(Double.POSITIVE_INFINITY));
    }

    @Test
    void fixedRoundsTheExactBinaryValueHalfEven() {
        assertEquals("0.12", Py.fixed(0.125, 2));       // a true tie: Python rounds to even
        assertEquals("2.67", Py.fixed(2.675, 2));       // 2.675 is 2.67499999... in binary (Java's %.2f says 2.68)
        assertEquals("4.8620", Py.fixed(4.862041440056345, 4));
        assertEquals("-0.0000", Py.fixed(-1e-9, 4));
    }
}
