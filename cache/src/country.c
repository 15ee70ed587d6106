/*
 * country.c - packing two-letter country codes into 16 bits.
 */
#include "georace/country.h"

static bool
is_ascii_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char
upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

gr_country
gr_country_from_str(const char *s)
{
    if (!s || !is_ascii_letter(s[0]) || !is_ascii_letter(s[1]) || s[2] != '\0')
        return GR_COUNTRY_NONE;
    return (gr_country)((unsigned)upper(s[0]) << 8 | (unsigned)upper(s[1]));
}

bool
gr_country_valid(gr_country c)
{
    char hi = (char)(c >> 8), lo = (char)(c & 0xff);
    return hi >= 'A' && hi <= 'Z' && lo >= 'A' && lo <= 'Z';
}

const char *
gr_country_str(gr_country c, char buf[3])
{
    if (!gr_country_valid(c)) {
        buf[0] = '\0';
        return buf;
    }
    buf[0] = (char)(c >> 8);
    buf[1] = (char)(c & 0xff);
    buf[2] = '\0';
    return buf;
}
