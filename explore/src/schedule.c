/*
 * schedule.c - encode and decode schedule strings (schedule.h).
 */
#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "schedule.h"

int
gr_schedule_format(const char *variant, const char *scenario, const uint8_t *choices, uint32_t n,
                   char *buf, size_t cap)
{
    int len = snprintf(buf, cap, "v1:%s:%s:", variant, scenario);
    if (len < 0 || (size_t)len >= cap)
        return -1;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && choices[j] == choices[i])
            j++;
        int w = j - i > 1 ? snprintf(buf + len, cap - (size_t)len, "%c%u", 'a' + choices[i], j - i)
                          : snprintf(buf + len, cap - (size_t)len, "%c", 'a' + choices[i]);
        if (w < 0 || (size_t)(len + w) >= cap)
            return -1;
        len += w;
        i = j;
    }
    return 0;
}

static int
gr_schedule_field(const char **s, char *out, size_t cap)
{
    const char *c = strchr(*s, ':');
    if (!c || c == *s || (size_t)(c - *s) >= cap)
        return -1;
    memcpy(out, *s, (size_t)(c - *s));
    out[c - *s] = '\0';
    *s = c + 1;
    return 0;
}

int
gr_schedule_parse(const char *s, struct gr_sched_str *out, size_t cap, char *err, size_t errcap)
{
    out->n = 0;
    if (strncmp(s, "v1:", 3)) {
        snprintf(err, errcap, "a schedule starts with 'v1:' (v1:VARIANT:SCENARIO:CHOICES)");
        return -1;
    }
    s += 3;
    if (gr_schedule_field(&s, out->variant, sizeof out->variant) ||
        gr_schedule_field(&s, out->scenario, sizeof out->scenario)) {
        snprintf(err, errcap, "a schedule is v1:VARIANT:SCENARIO:CHOICES");
        return -1;
    }
    while (*s) {
        if (*s < 'a' || *s >= 'a' + GR_SCN_MAXT) {
            snprintf(err, errcap, "bad character '%c' in the schedule's choices (a..%c, counts)",
                     *s, 'a' + GR_SCN_MAXT - 1);
            return -1;
        }
        uint8_t t = (uint8_t)(*s++ - 'a');
        unsigned long count = 1;
        if (*s >= '0' && *s <= '9') {
            count = 0;
            while (*s >= '0' && *s <= '9' && count <= cap)
                count = count * 10 + (unsigned long)(*s++ - '0');
            if (count == 0) {
                snprintf(err, errcap, "a repeat count of 0 in the schedule");
                return -1;
            }
        }
        if (count > cap - out->n) {
            snprintf(err, errcap, "the schedule is longer than %zu steps", cap);
            return -1;
        }
        while (count--)
            out->choices[out->n++] = t;
    }
    return 0;
}
