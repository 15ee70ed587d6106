/*
 * cmd_check_history.c - 'georace check-history FILE': is a history recorded
 * by 'georace sim --record-history' linearizable (explore's checker,
 * linear.h)?
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/history.h"
#include "georace/linear.h"

static void
check_history_usage(FILE *f)
{
    fprintf(f, "usage: georace check-history FILE [--json]\n"
               "\n"
               "Checks a history recorded by 'georace sim --record-history FILE' for\n"
               "linearizability against a map: key by key (P-compositionality), with clear\n"
               "acting on every key, by just-in-time linearization (linear in the length,\n"
               "exponential only in the operations pending at once). Operations that never\n"
               "returned (the recording process died) may or may not have taken effect.\n"
               "Every violation printed is a real one: no order of the operations, consistent\n"
               "with their real-time order, explains the results.\n"
               "\n"
               "  --json   print the verdict as JSON\n"
               "  --help   this text\n"
               "\n"
               "exit status: 0 linearizable and the recording ended normally; 1 not\n"
               "linearizable, or the recording ended abruptly (the recorded process died:\n"
               "its history is incomplete, which is a failure of the run by itself; the\n"
               "message says which); 64 usage, 65 not a history file or a malformed line,\n"
               "66 missing file, 70 internal error.\n");
}

int
gr_cmd_check_history(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h') {
            check_history_usage(stdout);
            return GR_EXIT_OK;
        }
        if (c != 'j') {
            gr_cli_error("check-history", "option '%s' is unknown (see --help)", argv[optind - 1]);
            return GR_EXIT_USAGE;
        }
        json = true;
    }
    if (optind != argc - 1) {
        gr_cli_error("check-history", "one history FILE expected (see --help)");
        return GR_EXIT_USAGE;
    }
    const char *path = argv[optind];
    char err[512] = "";
    gr_lin_op *ops;
    size_t n;
    gr_history_info info;
    int rc = gr_history_load(path, &ops, &n, &info, err, sizeof err);
    if (rc) {
        gr_cli_error("check-history", "%s", err);
        return rc == GR_HISTORY_ENOENT    ? GR_EXIT_NOINPUT
               : rc == GR_HISTORY_EFORMAT ? GR_EXIT_DATAERR
                                          : GR_EXIT_SOFTWARE;
    }
    gr_lin_report rep;
    rc = gr_lin_check(ops, n, &rep);
    free(ops);
    if (rc) {
        gr_cli_error("check-history", "%s",
                     rc == GR_LIN_ETOOMANY ? "more than 64 operations pending at once on one key"
                                           : "out of memory");
        return GR_EXIT_SOFTWARE;
    }
    double span = info.last_ns > info.first_ns ? (info.last_ns - info.first_ns) / 1e9 : 0;
    if (json) {
        json_t *j = json_object();
        json_object_set_new(j, "file", json_string(path));
        json_object_set_new(j, "variant", json_string(info.variant));
        json_object_set_new(j, "operations", json_integer((json_int_t)info.ops));
        json_object_set_new(j, "keys", json_integer((json_int_t)rep.keys));
        json_object_set_new(j, "threads", json_integer((json_int_t)info.threads));
        json_object_set_new(j, "pending", json_integer((json_int_t)info.pending));
        json_object_set_new(j, "span_s", json_real(span));
        json_object_set_new(j, "complete", json_boolean(info.complete));
        json_object_set_new(j, "truncated", json_boolean(info.cut));
        json_object_set_new(j, "linearizable", json_boolean(rep.ok));
        if (!rep.ok)
            json_object_set_new(j, "violation", json_string(rep.msg));
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(j);
    } else {
        printf("%s: variant %s, %zu operations on %zu keys by %zu threads over %.2f s, %zu "
               "pending%s%s\n",
               path, info.variant, info.ops, rep.keys, info.threads, span, info.pending,
               info.complete ? "" : ", recording ended abruptly (the process died)",
               info.cut ? ", file filled up (later operations not recorded)" : "");
        if (rep.ok)
            printf("linearizable (per key, clear on every key)\n");
        else
            printf("NOT linearizable: %s\n", rep.msg);
    }
    return rep.ok && info.complete ? GR_EXIT_OK : GR_EXIT_FAIL;
}
