/*
 * merge.h - join the JSON lines of campaign parts (shards, seed ranges,
 * machines) into one file: job headers are all kept, trials are deduplicated
 * by (variant, profile, via, seed) with the first file winning, a trial's samples come from
 * the same file as the trial, other records are kept once.
 */
#ifndef GEORACE_MERGE_H
#define GEORACE_MERGE_H

#include <stddef.h>
#include <stdio.h>

typedef struct gr_merge_stats {
    size_t jobs, trials, duplicates, samples, other;
    size_t torn;         /* files whose torn last line was skipped */
    char torn_last[512]; /* the last such line, "FILE:LINE: ..." */
} gr_merge_stats;

/* 0 ok (torn last lines are skipped and counted in st); -1 a file is
 * unreadable; -2 a file is malformed (message in err). */
int gr_merge_files(const char *const *paths, size_t n, FILE *out, gr_merge_stats *st, char *err,
                   size_t errcap);

#endif
