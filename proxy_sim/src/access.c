/*
 * access.c - country block-list / allow-list decisions (see access.h).
 */
#include <stdio.h>
#include <string.h>

#include "georace/access.h"

static int
code_index(gr_country c)
{
    if (!gr_country_valid(c))
        return -1;
    return ((c >> 8) - 'A') * 26 + ((c & 0xff) - 'A');
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t';
}

int
gr_access_parse(gr_access *a, gr_access_mode mode, const char *list, char *err, size_t errcap)
{
    memset(a, 0, sizeof *a);
    a->mode = mode;
    const char *p = list ? list : "";
    while (*p) {
        while (is_space(*p))
            p++;
        const char *start = p;
        while (*p && *p != ',' && !is_space(*p))
            p++;
        size_t len = (size_t)(p - start);
        while (is_space(*p))
            p++;
        if (*p == ',')
            p++;
        else if (*p) {
            snprintf(err, errcap, "expected ',' after '%.*s'", (int)len, start);
            return -1;
        }
        if (len == 0)
            continue;
        char code[3] = {0};
        if (len == 2)
            memcpy(code, start, 2);
        int idx = code_index(gr_country_from_str(code));
        if (idx < 0) {
            snprintf(err, errcap, "'%.*s' is not a two-letter country code", (int)len, start);
            return -1;
        }
        if (!a->listed[idx])
            a->count++;
        a->listed[idx] = 1;
    }
    return 0;
}

bool
gr_access_allows(const gr_access *a, const gr_answer *answer)
{
    switch (answer->kind) {
    case GR_ANSWER_ZONE:
        return true;
    case GR_ANSWER_COUNTRY: {
        int idx = code_index(answer->country);
        bool listed = idx >= 0 && a->listed[idx];
        return a->mode == GR_ACCESS_BLOCK ? !listed : listed;
    }
    case GR_ANSWER_UNKNOWN:
    case GR_ANSWER_ERROR:
    default:
        return a->mode == GR_ACCESS_BLOCK;
    }
}
