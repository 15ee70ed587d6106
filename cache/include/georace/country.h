/*
 * country.h - a country code as a value type.
 *
 * A two-letter ISO 3166 code packed into a 16-bit integer ('U'<<8 | 'S'),
 * so it fits in any atomic word and copies for free. 0 means "no country":
 * the database has no range for the address.
 */
#ifndef GEORACE_COUNTRY_H
#define GEORACE_COUNTRY_H

#include <stdbool.h>
#include <stdint.h>

typedef uint16_t gr_country;

#define GR_COUNTRY_NONE ((gr_country)0)

/* "US" -> packed; returns GR_COUNTRY_NONE unless s is two ASCII letters (case folded up). */
gr_country gr_country_from_str(const char *s);
/* packed -> "US" in buf[3]; GR_COUNTRY_NONE formats as "". Returns buf. */
const char *gr_country_str(gr_country c, char buf[3]);
bool gr_country_valid(gr_country c);

#endif
