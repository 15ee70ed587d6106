/*
 * cmd_upstream.c - 'georace upstream': the tiny HTTP upstream (upstream.h).
 * Prints the bound address on stdout, runs until SIGINT/SIGTERM.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "georace/signals.h"
#include "georace/upstream.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: georace upstream [--listen ADDR:PORT] [--delay MS] [--body-size N]\n"
               "                        [--workers N]\n\n"
               "A tiny HTTP upstream for 'georace proxy': answers every request 200 with a\n"
               "body of N bytes and echoes what the proxy sent (X-Echo-Forwarded-For,\n"
               "X-Echo-Body-Length). Paths starting with /chunked get a chunked body.\n\n"
               "  --listen ADDR:PORT  address to listen on (default 127.0.0.1:8081; port 0\n"
               "                      picks a free port; the bound address is printed)\n"
               "  --delay MS          wait MS milliseconds before each answer (a timer);\n"
               "                      a request for /delay/MS waits MS (at most 60000)\n"
               "                      whatever --delay says\n"
               "  (GET /bytes/N answers N zero bytes, streamed: any size, no memory)\n"
               "  --body-size N       body bytes per answer (default 64)\n"
               "  --workers N         event loops sharing the port (default 1)\n"
               "  --help              this text\n\n"
               "exit status: 0 after SIGINT/SIGTERM, 64 usage, 69 cannot listen.\n");
}

int
gr_cmd_upstream(int argc, char **argv)
{
    static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
                                             {"delay", required_argument, NULL, 'd'},
                                             {"body-size", required_argument, NULL, 'b'},
                                             {"workers", required_argument, NULL, 'w'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    gr_upstream_config cfg;
    uint64_t v;
    int c;

    gr_upstream_config_default(&cfg);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            cfg.listen = optarg;
            break;
        case 'd':
            if (gr_cli_parse_u64(optarg, &v) || v > 3600000) {
                gr_cli_error("upstream", "--delay: '%s' is not a number of milliseconds", optarg);
                return GR_EXIT_USAGE;
            }
            cfg.delay_ms = (unsigned)v;
            break;
        case 'b':
            if (gr_cli_parse_u64(optarg, &v) || v > (64u << 20)) {
                gr_cli_error("upstream", "--body-size: '%s' is not a size up to 64M", optarg);
                return GR_EXIT_USAGE;
            }
            cfg.body_size = (size_t)v;
            break;
        case 'w':
            if (gr_cli_opt_range("upstream", "workers", optarg, 1, 256, &v))
                return GR_EXIT_USAGE;
            cfg.workers = (unsigned)v;
            break;
        case 'h':
            usage(stdout);
            return GR_EXIT_OK;
        default:
            usage(stderr);
            return GR_EXIT_USAGE;
        }
    }
    if (gr_cli_no_operands("upstream", argc, argv))
        return GR_EXIT_USAGE;

    char err[256];
    gr_upstream *u;
    gr_signals_block();
    if (gr_upstream_start(&cfg, &u, err, sizeof err)) {
        gr_cli_error("upstream", "%s", err);
        return GR_EXIT_UNAVAIL;
    }
    printf("georace upstream: listening on %s\n", gr_upstream_address(u));
    fflush(stdout);
    gr_signals_wait();
    gr_upstream_stop(u);
    return GR_EXIT_OK;
}
