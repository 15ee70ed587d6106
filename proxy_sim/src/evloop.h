/*
 * evloop.h - how georace's servers and load generator create their libevent
 * loops: epoll with the change list (several enable/disable calls on one
 * socket within a loop iteration collapse into at most one epoll_ctl, which
 * evhttp otherwise issues a few times per request), and optionally precise
 * timers (timerfd) for the load generator's send schedule.
 */
#ifndef GEORACE_EVLOOP_H
#define GEORACE_EVLOOP_H

#include <stdbool.h>

struct event_base;

struct event_base *gr_evloop_new(bool precise_timer);

#endif
