/*
 * evloop.c - one event loop per thread, configured the same everywhere
 * (see evloop.h). Falls back to libevent's defaults if the configuration is
 * refused.
 */
#include <event2/event.h>

#include "evloop.h"

/* The change list applies an epoll_ctl(DEL) after the socket is closed; when
 * another thread's loop has meanwhile got the same descriptor number from
 * socket(), ThreadSanitizer sees one thread touch another's descriptor. The
 * kernel shrugs (the descriptor is not in this loop's epoll set), but a TSan
 * build must stay silent about everything but the cache, so it goes
 * without. */
#if defined(__SANITIZE_THREAD__)
#define GR_EVLOOP_CHANGELIST 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GR_EVLOOP_CHANGELIST 0
#endif
#endif
#ifndef GR_EVLOOP_CHANGELIST
#define GR_EVLOOP_CHANGELIST 1
#endif

struct event_base *
gr_evloop_new(bool precise_timer)
{
    struct event_base *base = NULL;
    struct event_config *cfg = event_config_new();
    if (cfg) {
        int flags = GR_EVLOOP_CHANGELIST ? EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST : 0;
        if (precise_timer)
            flags |= EVENT_BASE_FLAG_PRECISE_TIMER;
        event_config_set_flag(cfg, flags);
        base = event_base_new_with_config(cfg);
        event_config_free(cfg);
    }
    return base ? base : event_base_new();
}
