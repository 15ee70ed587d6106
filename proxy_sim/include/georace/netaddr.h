/*
 * netaddr.h - socket addresses for the proxy, the upstream and the load
 * generator: "ADDR:PORT" parsing, listening sockets that several event loops
 * share through SO_REUSEPORT, and the conversion of a peer to a gr_ip.
 *
 * Accepted forms: "127.0.0.1:8080", "[::1]:8080", ":8080" (all IPv4
 * interfaces), "localhost:8080" (127.0.0.1). Port 0 asks the kernel for an
 * ephemeral port; gr_net_local_port() tells which one it chose.
 */
#ifndef GEORACE_NETADDR_H
#define GEORACE_NETADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "georace/ip.h"

typedef struct gr_net_addr {
    struct sockaddr_storage ss;
    socklen_t len;
} gr_net_addr;

/* Parse "ADDR:PORT"; 0 or -1 (with a message in err). */
int gr_net_parse(const char *s, gr_net_addr *out, char *err, size_t errcap);
/* A non-blocking listening socket with SO_REUSEADDR and SO_REUSEPORT set;
 * -1 with a message in err. */
int gr_net_listen(const gr_net_addr *a, int backlog, char *err, size_t errcap);
/* The port a bound socket got (host order), 0 on error. */
uint16_t gr_net_local_port(int fd);
void gr_net_set_port(gr_net_addr *a, uint16_t port);
uint16_t gr_net_port(const gr_net_addr *a);
/* "127.0.0.1:80" / "[::1]:80" */
void gr_net_format(const gr_net_addr *a, char *buf, size_t cap);
/* The host part only, as a connect() target or Host header ("127.0.0.1", "::1"). */
void gr_net_host(const gr_net_addr *a, char *buf, size_t cap);
/* Set TCP_NODELAY on a client socket unless it is the one already done
 * (*done_fd); evhttp opens a new socket on every reconnect. */
void gr_net_nodelay_once(int fd, int *done_fd);
/* A peer's address in canonical form; -1 for non-IP families. */
int gr_net_to_ip(const struct sockaddr *sa, gr_ip *out);

#endif
