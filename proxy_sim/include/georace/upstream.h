/*
 * upstream.h - the tiny HTTP upstream behind the proxy.
 *
 * Answers every request 200 with a body of body_size bytes, after delay_ms
 * (a timer on the event loop, never a sleep), and echoes what the proxy
 * added: X-Echo-Forwarded-For (the X-Forwarded-For it received),
 * X-Echo-Body-Length (request body bytes), X-Echo-Method. A path starting
 * with /chunked is answered with a chunked body, to exercise the proxy's
 * handling of Transfer-Encoding: chunked.
 */
#ifndef GEORACE_UPSTREAM_H
#define GEORACE_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct gr_upstream gr_upstream;

typedef struct gr_upstream_config {
    const char *listen; /* "ADDR:PORT", port 0 = ephemeral */
    unsigned delay_ms;  /* before every answer */
    size_t body_size;   /* bytes of every answer's body */
    unsigned workers;   /* event loops, >= 1 */
} gr_upstream_config;

void gr_upstream_config_default(gr_upstream_config *cfg);
/* Bind and start the workers; -1 with a message in err. */
int gr_upstream_start(const gr_upstream_config *cfg, gr_upstream **out, char *err, size_t errcap);
/* "127.0.0.1:41234": the address actually bound. */
const char *gr_upstream_address(const gr_upstream *u);
uint64_t gr_upstream_requests(const gr_upstream *u);
/* Stop the workers, join and free. */
void gr_upstream_stop(gr_upstream *u);

#endif
