/* version.c - keeps the library non-empty while it grows. */
const char gr_proxy_version[] = "0.1.0";
