package org.harness.textkit;

/** Temperature conversions; results are rounded to one decimal (half up). */
public class Temperature {
    public static final double ABSOLUTE_ZERO_C = -273.15;

    private Temperature() {
    }

    public static double celsiusToFahrenheit(double celsius) {
        checkCelsius(celsius);
        return round1(celsius * 9.0 / 5.0 + 32.0);
    }

    public static double fahrenheitToCelsius(double fahrenheit) {
        double celsius = (fahrenheit - 32.0) * 5.0 / 9.0;
        checkCelsius(celsius);
        return round1(celsius);
    }

    public static double celsiusToKelvin(double celsius) {
        checkCelsius(celsius);
        return round1(celsius - ABSOLUTE_ZERO_C);
    }

    private static void checkCelsius(double celsius) {
        if (celsius < ABSOLUTE_ZERO_C) {
            throw new IllegalArgumentException("below absolute zero: " + celsius);
        }
    }

    private static double round1(double x) {
        return Math.round(x * 10.0) / 10.0;
    }
}
