/*
 * signals.h - SIGINT/SIGTERM as a synchronous event for the servers.
 *
 * gr_signals_block() is called before any thread starts, so every thread
 * inherits a mask with SIGINT, SIGTERM and SIGPIPE blocked; the main thread
 * then sleeps in gr_signals_wait() and starts the graceful shutdown. No
 * asynchronous handler ever runs, so there is nothing to make
 * async-signal-safe.
 */
#ifndef GEORACE_SIGNALS_H
#define GEORACE_SIGNALS_H

void gr_signals_block(void);
/* Blocks until SIGINT or SIGTERM arrives; returns the signal number. */
int gr_signals_wait(void);

#endif
