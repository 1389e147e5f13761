package org.harness.textkit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class TemperatureTest {
    @Test
    public void celsiusToFahrenheitRoundsToOneDecimal() {
        assertEquals(212.0, Temperature.celsiusToFahrenheit(100.0), 1e-9);
        assertEquals(98.6, Temperature.celsiusToFahrenheit(37.0), 1e-9);
    }

    @Test
    public void fahrenheitToCelsius() {
        assertEquals(0.0, Temperature.fahrenheitToCelsius(32.0), 1e-9);
        assertEquals(-17.8, Temperature.fahrenheitToCelsius(0.0), 1e-9);
    }

    @Test
    public void celsiusToKelvin() {
        assertEquals(273.2, Temperature.celsiusToKelvin(0.0), 1e-9);
    }

    @Test
    public void belowAbsoluteZeroIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Temperature.celsiusToKelvin(-300.0));
        assertThrows(IllegalArgumentException.class, () -> Temperature.fahrenheitToCelsius(-500.0));
    }
}
