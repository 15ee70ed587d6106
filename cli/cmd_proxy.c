/*
 * cmd_proxy.c - 'georace proxy': the HTTP reverse proxy with country
 * blocking (proxy.h). Parses options, opens the database, starts the proxy,
 * prints its address and waits for SIGINT/SIGTERM to stop gracefully.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "georace/proxy.h"
#include "georace/signals.h"

#define CMD "proxy"

static void
usage(FILE *f)
{
    char dbh[1024], caph[256];
    fprintf(f,
            "usage: georace proxy [--listen ADDR:PORT] [--upstream ADDR:PORT] [--workers N]\n"
            "                     [--variant V] [--no-detector] [--window-ns N] [--stripes N]\n"
            "                     [--cache-capacity N]\n"
            "                     [--backend B] [--db FILE | --csv FILE]\n"
            "                     [--block CC,... | --allow CC,...]\n"
            "                     [--trusted-proxies CIDR,... | --trust-all]\n"
            "                     [--requester-ip realip|zoraxy] [--real-ip-header NAME]\n"
            "                     [--cache-clear DURATION] [--access-log FILE|-]\n"
            "                     [--max-header-size N] [--max-body-size N]\n"
            "                     [--read-timeout D] [--write-timeout D] [--idle-timeout D]\n"
            "                     [--upstream-timeout D] [--shutdown-timeout D]\n"
            "                     [--max-connections N] [--upstream-connections N]\n"
            "                     [--upstream-queue N] [--upstream-queue-timeout D]\n"
            "                     [--metrics-listen ADDR:PORT]\n\n"
            "An HTTP/1.1 reverse proxy that resolves each requester's country through\n"
            "one cache shared by all worker threads, refuses blocked countries with 403\n"
            "and forwards the rest to the upstream. Every response carries X-Geo-Country\n"
            "(country code, reserved zone name, or '-'); so does every request the\n"
            "upstream receives. Prometheus metrics are served on their own listener\n"
            "(--metrics-listen), never on the proxy's port.\n\n"
            "  --listen ADDR:PORT     listen address (default 127.0.0.1:8080; port 0 picks\n"
            "                         a free port; the bound address is printed)\n"
            "  --upstream ADDR:PORT   where allowed requests go (default 127.0.0.1:8081)\n"
            "  --workers N            event-loop threads sharing the port (default 2)\n"
            "  --variant V            cache variant: gomap, syncmap+naive-reset, syncmap,\n"
            "                         mutex, rwlock, sharded, bounded, none (default\n"
            "                         sharded: its table grows a stripe at a time, so\n"
            "                         no request waits on a whole-table copy; syncmap,\n"
            "                         Go's sync.Map algorithm, copies every entry into\n"
            "                         a new dirty map after each promotion, and one\n"
            "                         request on an event loop then stalls the rest)\n"
            "  --no-detector          gomap: no Go-style concurrent-write detector\n"
            "  --window-ns N          gomap: widen the write critical section by N ns\n"
            "  --stripes N            sharded, bounded: stripes (power of two, default 64)\n"
            "%s%s"
            "  --block CC,...         refuse these countries (block-list mode)\n"
            "  --allow CC,...         refuse every country but these (allow-list mode)\n"
            "  --trusted-proxies L    peers (and forwarding hops) whose requester header\n"
            "                         counts (default 127.0.0.0/8,::1/128)\n"
            "  --trust-all            trust that header from anyone (Zoraxy's behaviour)\n"
            "  --requester-ip M       realip (default): like nginx real_ip_header +\n"
            "                         set_real_ip_from + real_ip_recursive on: all lines of\n"
            "                         --real-ip-header from a trusted peer, walked right to\n"
            "                         left, trusted hops skipped; the first untrusted entry\n"
            "                         is the requester (all trusted: the leftmost); an empty\n"
            "                         or malformed entry is a 400. zoraxy: Zoraxy's order,\n"
            "                         X-Real-Ip > CF-Connecting-IP > Fastly-Client-IP >\n"
            "                         leftmost X-Forwarded-For; SPOOFABLE by any client\n"
            "                         behind a trusted proxy (kept to reproduce Zoraxy)\n"
            "  --real-ip-header NAME  realip's header (default X-Forwarded-For)\n"
            "  --cache-clear D        clear the cache every D (default 15m; 0 = never)\n"
            "  --access-log FILE|-    one line per request (default: none)\n"
            "  --max-header-size N    request line + headers as received, bytes (default\n"
            "                         16k; 431 above); also each chunk line and the\n"
            "                         trailer section\n"
            "  --max-body-size N      request body, bytes (default 10M; 413 above)\n"
            "  --read-timeout D       from a request's first byte to its last (default 30s)\n"
            "  --write-timeout D      for writing an answer (default 30s)\n"
            "  --idle-timeout D       between requests on a keep-alive connection (default 60s)\n"
            "  --upstream-timeout D   answer 504 when the upstream is silent for D (default\n"
            "                         30s; while an answer streams, each read restarts it)\n"
            "  --shutdown-timeout D   on SIGTERM/SIGINT, stop accepting and finish every\n"
            "                         request whose first byte had arrived, for up to D\n"
            "                         (default 10s); idle connections close at once\n"
            "  --max-connections N    client connections at once, all workers (default:\n"
            "                         what the descriptor limit leaves room for; the soft\n"
            "                         RLIMIT_NOFILE is raised to the hard one at start).\n"
            "                         At the limit the proxy sheds its longest-idle\n"
            "                         keep-alive connection and stops accepting (new\n"
            "                         clients wait in the listen backlog, never refused)\n"
            "                         until a connection closes\n"
            "  --upstream-connections N  keep-alive connections to the upstream per worker\n"
            "                         (default 256)\n"
            "  --upstream-queue N     requests per worker that may wait for a free upstream\n"
            "                         connection (default 1024; beyond it: 503)\n"
            "  --upstream-queue-timeout D  longest such wait (default 5s; then 504)\n"
            "  --metrics-listen A:P   serve GET /metrics (and /-/metrics) on this address,\n"
            "                         and nothing else there (default: off). Bind it to\n"
            "                         loopback or an admin network: anyone who reaches\n"
            "                         it reads the counters\n"
            "  --help                 this text\n\n"
            "Status codes: 400 malformed request (framing, header names, Host) or garbage\n"
            "requester address, 403 blocked country, 404 anything but /metrics on the\n"
            "metrics listener, 405 CONNECT, 413 body too large, 431 headers too large, 500\n"
            "geo backend error, 501 unknown method or upgrade, 502 upstream unreachable,\n"
            "503 upstream queue full, 504 upstream or queue timeout, 505 HTTP version. Every\n"
            "400 closes the connection.\n\n"
            "Requests are held to RFC 9112 framing although the parser is lenient: lines\n"
            "end in CRLF (no bare LF or CR), no obs-fold, no whitespace before a colon,\n"
            "header names are tokens, chunk data ends in CRLF; an HTTP/1.1 request has\n"
            "exactly one Host, and an absolute-form target must name that Host. The\n"
            "upstream gets the request rebuilt: hop-by-hop headers, headers named in\n"
            "Connection and identity headers (X-Forwarded-For, X-Real-Ip,\n"
            "CF-Connecting-IP, Fastly-Client-IP, True-Client-IP, X-Client-IP,\n"
            "X-Cluster-Client-IP, Forwarded) are removed; X-Forwarded-For is the client's\n"
            "chain (trusted peers only) plus the peer; X-Geo-Country is the decision. A\n"
            "non-idempotent request is never sent twice. The access log escapes '\"', '\\'\n"
            "and bytes outside printable ASCII as \\xHH.\n\n"
            "Answers are streamed: the upstream's head is forwarded as soon as it is read,\n"
            "its body as it comes, with at most 64 KiB (plus one 16 KiB read) held per\n"
            "connection - a slow client stops the proxy reading the upstream - and its\n"
            "length kept, or re-chunked when unknown (HTTP/1.0 clients: closed after it).\n"
            "The upstream timeout is then one of inactivity. An upstream that fails after\n"
            "the head has gone out cuts the connection.\n\n"
            "A request body that ends within 64 KiB is read whole and forwarded with a\n"
            "Content-Length (a chunked one decoded). A larger one streams: decided on by\n"
            "its head, then forwarded as it comes (the client's Content-Length, or\n"
            "re-chunked), at most 64 KiB of it held, never sent twice. Trailer fields of\n"
            "a chunked body are dropped: never taken as headers, never used for the\n"
            "requester address or any decision, never forwarded; the trailer section is\n"
            "held to --max-header-size. Header names that extend Transfer-Encoding or\n"
            "Content-Length (\"Transfer-Encodingx\") are refused with 400: http-parser 2.9\n"
            "frames a body by the first kind.\n\n"
            "exit status: 0 after a graceful stop, 2 the gomap detector fired, 64 usage,\n"
            "65/66 bad or missing database, 69 cannot listen, 70 internal error.\n",
            gr_cli_cache_capacity_help(caph, sizeof caph, 25), gr_cli_db_help(dbh, sizeof dbh, 25));
}

struct proxy_opts {
    gr_proxy_config cfg; /* everything but the database and the access log */
    gr_cli_db db;
    const char *block, *allow, *trusted, *logpath;
    bool trust_all;
    gr_cidr cidrs[GR_PROXY_MAX_TRUSTED]; /* cfg.policy.trusted points here */
};

/* An RFC 9110 field name: one or more tchars. */
static bool
gr_cli_header_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
            return false;
    return true;
}

static int
parse_size(const char *opt, const char *v, size_t *out)
{
    uint64_t n;
    if (gr_cli_parse_u64(v, &n) || n == 0 || n > (1ull << 32)) {
        gr_cli_error(CMD, "--%s: '%s' is not a size (1..4G, k/M suffixes)", opt, v);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

static int
parse_dur(const char *opt, const char *v, uint64_t *out, bool zero_ok)
{
    if (gr_cli_parse_duration(v, out) || (!zero_ok && *out < 1000000)) {
        gr_cli_error(CMD, "--%s: '%s' is not a duration (e.g. 500ms, 10s, 15m)%s", opt, v,
                     zero_ok ? "" : " of at least 1ms");
        return -1;
    }
    return 0;
}

/* GR_CLI_RUN, or the exit status (help printed, bad usage). */
static int
parse_proxy_options(int argc, char **argv, struct proxy_opts *o)
{
    enum {
        O_LISTEN = 256,
        O_UPSTREAM,
        O_WORKERS,
        O_VARIANT,
        O_NODET,
        O_WINDOW,
        O_STRIPES,
        O_BACKEND,
        O_DB,
        O_CSV,
        O_BLOCK,
        O_ALLOW,
        O_TRUSTED,
        O_TRUSTALL,
        O_REQIP,
        O_RIPHDR,
        O_CLEAR,
        O_LOG,
        O_MAXHDR,
        O_MAXBODY,
        O_RTO,
        O_WTO,
        O_ITO,
        O_UTO,
        O_STO,
        O_MAXCONN,
        O_UQUEUE,
        O_UQTO,
        O_METRICS,
        O_UCONN,
        O_CAPACITY
    };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"upstream", required_argument, NULL, O_UPSTREAM},
        {"workers", required_argument, NULL, O_WORKERS},
        {"variant", required_argument, NULL, O_VARIANT},
        {"no-detector", no_argument, NULL, O_NODET},
        {"window-ns", required_argument, NULL, O_WINDOW},
        {"stripes", required_argument, NULL, O_STRIPES},
        {"backend", required_argument, NULL, O_BACKEND},
        {"db", required_argument, NULL, O_DB},
        {"csv", required_argument, NULL, O_CSV},
        {"block", required_argument, NULL, O_BLOCK},
        {"allow", required_argument, NULL, O_ALLOW},
        {"trusted-proxies", required_argument, NULL, O_TRUSTED},
        {"trust-all", no_argument, NULL, O_TRUSTALL},
        {"requester-ip", required_argument, NULL, O_REQIP},
        {"real-ip-header", required_argument, NULL, O_RIPHDR},
        {"cache-clear", required_argument, NULL, O_CLEAR},
        {"access-log", required_argument, NULL, O_LOG},
        {"max-header-size", required_argument, NULL, O_MAXHDR},
        {"max-body-size", required_argument, NULL, O_MAXBODY},
        {"read-timeout", required_argument, NULL, O_RTO},
        {"write-timeout", required_argument, NULL, O_WTO},
        {"idle-timeout", required_argument, NULL, O_ITO},
        {"upstream-timeout", required_argument, NULL, O_UTO},
        {"shutdown-timeout", required_argument, NULL, O_STO},
        {"max-connections", required_argument, NULL, O_MAXCONN},
        {"upstream-queue", required_argument, NULL, O_UQUEUE},
        {"upstream-queue-timeout", required_argument, NULL, O_UQTO},
        {"metrics-listen", required_argument, NULL, O_METRICS},
        {"upstream-connections", required_argument, NULL, O_UCONN},
        {"cache-capacity", required_argument, NULL, O_CAPACITY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    uint64_t v;
    int c;

    memset(o, 0, sizeof *o);
    gr_proxy_config_default(&o->cfg);
    gr_cli_db_init(&o->db);
    o->trusted = "127.0.0.0/8,::1/128";
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN:
            o->cfg.listen = optarg;
            break;
        case O_UPSTREAM:
            o->cfg.upstream = optarg;
            break;
        case O_WORKERS:
            if (gr_cli_opt_range(CMD, "workers", optarg, 1, 256, &v))
                return GR_EXIT_USAGE;
            o->cfg.workers = (unsigned)v;
            break;
        case O_VARIANT:
            o->cfg.variant = optarg;
            break;
        case O_NODET:
            o->cfg.cache.detector = false;
            break;
        case O_WINDOW:
            if (gr_cli_parse_u64(optarg, &o->cfg.cache.window_ns)) {
                gr_cli_error(CMD, "--window-ns: '%s' is not a number", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case O_STRIPES:
            if (gr_cli_parse_u64(optarg, &v) || v < 1 || v > 65536 || (v & (v - 1))) {
                gr_cli_error(CMD, "--stripes: '%s' is not a power of two up to 65536", optarg);
                return GR_EXIT_USAGE;
            }
            o->cfg.cache.stripes = (unsigned)v;
            break;
        case O_CAPACITY:
            if (gr_cli_cache_capacity(CMD, optarg, &o->cfg.cache))
                return GR_EXIT_USAGE;
            break;
        case O_BACKEND:
        case O_DB:
        case O_CSV:
            if (gr_cli_db_arg(CMD, &o->db, longopts[c - O_LISTEN].name, optarg))
                return GR_EXIT_USAGE;
            break;
        case O_BLOCK:
            o->block = optarg;
            break;
        case O_ALLOW:
            o->allow = optarg;
            break;
        case O_TRUSTED:
            o->trusted = optarg;
            break;
        case O_TRUSTALL:
            o->trust_all = true;
            break;
        case O_REQIP:
            if (gr_req_mode_parse(optarg, &o->cfg.policy.mode)) {
                gr_cli_error(CMD, "--requester-ip: '%s': expected realip or zoraxy", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case O_RIPHDR:
            if (!gr_cli_header_name_ok(optarg)) {
                gr_cli_error(CMD, "--real-ip-header: '%s' is not a header name", optarg);
                return GR_EXIT_USAGE;
            }
            o->cfg.policy.real_ip_header = optarg;
            break;
        case O_CLEAR:
            if (parse_dur("cache-clear", optarg, &o->cfg.cache_clear_ns, true))
                return GR_EXIT_USAGE;
            break;
        case O_LOG:
            o->logpath = optarg;
            break;
        case O_MAXHDR:
            if (parse_size("max-header-size", optarg, &o->cfg.max_header_size))
                return GR_EXIT_USAGE;
            break;
        case O_MAXBODY:
            if (parse_size("max-body-size", optarg, &o->cfg.max_body_size))
                return GR_EXIT_USAGE;
            break;
        case O_RTO:
            if (parse_dur("read-timeout", optarg, &o->cfg.read_timeout_ns, false))
                return GR_EXIT_USAGE;
            break;
        case O_WTO:
            if (parse_dur("write-timeout", optarg, &o->cfg.write_timeout_ns, false))
                return GR_EXIT_USAGE;
            break;
        case O_ITO:
            if (parse_dur("idle-timeout", optarg, &o->cfg.idle_timeout_ns, false))
                return GR_EXIT_USAGE;
            break;
        case O_UTO:
            if (parse_dur("upstream-timeout", optarg, &o->cfg.upstream_timeout_ns, false))
                return GR_EXIT_USAGE;
            break;
        case O_STO:
            if (parse_dur("shutdown-timeout", optarg, &o->cfg.shutdown_timeout_ns, false))
                return GR_EXIT_USAGE;
            break;
        case O_MAXCONN:
            if (gr_cli_opt_range(CMD, "max-connections", optarg, 1, 1u << 20, &v))
                return GR_EXIT_USAGE;
            o->cfg.max_connections = (unsigned)v;
            break;
        case O_UQUEUE:
            if (gr_cli_opt_range(CMD, "upstream-queue", optarg, 0, 1u << 20, &v))
                return GR_EXIT_USAGE;
            o->cfg.upstream_queue = (unsigned)v;
            break;
        case O_UCONN:
            if (gr_cli_opt_range(CMD, "upstream-connections", optarg, 1, 65536, &v))
                return GR_EXIT_USAGE;
            o->cfg.upstream_pool = (unsigned)v;
            break;
        case O_METRICS:
            o->cfg.metrics_listen = optarg;
            break;
        case O_UQTO:
            if (parse_dur("upstream-queue-timeout", optarg, &o->cfg.upstream_queue_timeout_ns,
                          false))
                return GR_EXIT_USAGE;
            break;
        case 'h':
            usage(stdout);
            return GR_EXIT_OK;
        default:
            usage(stderr);
            return GR_EXIT_USAGE;
        }
    }
    if (gr_cli_no_operands(CMD, argc, argv))
        return GR_EXIT_USAGE;
    if (gr_cli_block_or_allow(CMD, o->block, o->allow))
        return GR_EXIT_USAGE;
    char err[512];
    if (gr_access_parse(&o->cfg.access, o->allow ? GR_ACCESS_ALLOW : GR_ACCESS_BLOCK,
                        o->allow ? o->allow : o->block, err, sizeof err)) {
        gr_cli_error(CMD, "--%s: %s", o->allow ? "allow" : "block", err);
        return GR_EXIT_USAGE;
    }
    int n = gr_cidr_list_parse(o->trusted, o->cidrs, GR_PROXY_MAX_TRUSTED);
    if (n < 0) {
        gr_cli_error(CMD, "--trusted-proxies: '%s': %s", o->trusted, gr_ip_strerror(n));
        return GR_EXIT_USAGE;
    }
    o->cfg.policy.trust = o->trust_all ? GR_REQ_TRUST_ALL : GR_REQ_TRUST_LIST;
    o->cfg.policy.trusted = o->cidrs;
    o->cfg.policy.n_trusted = (size_t)n;

    return GR_CLI_RUN;
}

/* The access log of --access-log ('-': stdout), line-buffered so that it
 * is readable while the proxy runs; NULL without the option. 0, or -1 with
 * a message. */
static int
open_access_log(const char *path, FILE **out)
{
    *out = NULL;
    if (!path)
        return 0;
    FILE *log = strcmp(path, "-") ? fopen(path, "a") : stdout;
    if (!log) {
        gr_cli_error(CMD, "--access-log: cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    setvbuf(log, NULL, _IOLBF, 0);
    *out = log;
    return 0;
}

/* Start, print the bound address, serve until SIGINT/SIGTERM, stop. */
static int
serve(const gr_proxy_config *cfg)
{
    gr_proxy *p;
    char err[512];
    gr_signals_block();
    if (gr_proxy_start(cfg, &p, err, sizeof err)) {
        gr_cli_error(CMD, "%s", err);
        return strstr(err, "listen") ? GR_EXIT_UNAVAIL : GR_EXIT_USAGE;
    }
    printf("georace proxy: listening on %s (variant %s, %u workers, upstream %s, "
           "max %u connections)\n",
           gr_proxy_address(p), cfg->variant, cfg->workers, cfg->upstream,
           gr_proxy_max_connections(p));
    if (gr_proxy_metrics_address(p))
        printf("georace proxy: metrics on %s\n", gr_proxy_metrics_address(p));
    fflush(stdout);
    int sig = gr_signals_wait();
    fprintf(stderr, "georace proxy: signal %d, finishing requests in flight\n", sig);
    unsigned left = gr_proxy_stop(p);
    if (left)
        fprintf(stderr, "georace proxy: %u requests still in flight at the deadline\n", left);
    return GR_EXIT_OK;
}

static int
run_proxy(const struct proxy_opts *o)
{
    gr_proxy_config cfg = o->cfg;
    int rc = gr_cli_db_open(&o->db, &cfg.db);
    if (rc != GR_EXIT_OK)
        return rc;
    if (open_access_log(o->logpath, &cfg.access_log)) {
        gr_geodb_close(cfg.db);
        return GR_EXIT_FAIL;
    }
    rc = serve(&cfg);
    if (cfg.access_log && cfg.access_log != stdout)
        fclose(cfg.access_log);
    gr_geodb_close(cfg.db);
    return rc;
}

int
gr_cmd_proxy(int argc, char **argv)
{
    struct proxy_opts o;
    int rc = parse_proxy_options(argc, argv, &o);
    return rc == GR_CLI_RUN ? run_proxy(&o) : rc;
}
