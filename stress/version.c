/* version.c - keeps the library non-empty while it grows. */
const char gr_stress_version[] = "0.1.0";
