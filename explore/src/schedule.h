/*
 * schedule.h - the schedule string: "v1:VARIANT:SCENARIO:CHOICES".
 *
 * CHOICES lists the thread chosen at every scheduling point, run-length
 * coded: a letter per thread (a = T0, b = T1, c = T2), optionally followed
 * by a decimal repeat count ("a12b3a" = T0 12 times, T1 3 times, T0 once).
 */
#ifndef GEORACE_SCHEDULE_H
#define GEORACE_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct gr_sched_str {
    char variant[48];
    char scenario[32];
    uint32_t n;
    uint8_t *choices; /* caller's buffer of cap entries */
};

/* 0, or -1 with a message in err. */
int gr_schedule_parse(const char *s, struct gr_sched_str *out, size_t cap, char *err,
                      size_t errcap);
/* 0, or -1 when buf is too small. */
int gr_schedule_format(const char *variant, const char *scenario, const uint8_t *choices,
                       uint32_t n, char *buf, size_t cap);

#endif
