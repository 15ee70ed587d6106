/*
 * evloop.c - one event loop per thread, configured the same everywhere
 * (see evloop.h). Falls back to libevent's defaults if the configuration is
 * refused.
 */
#include <event2/event.h>

#include "evloop.h"

struct event_base *
gr_evloop_new(bool precise_timer)
{
    struct event_base *base = NULL;
    struct event_config *cfg = event_config_new();
    if (cfg) {
        int flags = EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST;
        if (precise_timer)
            flags |= EVENT_BASE_FLAG_PRECISE_TIMER;
        event_config_set_flag(cfg, flags);
        base = event_base_new_with_config(cfg);
        event_config_free(cfg);
    }
    return base ? base : event_base_new();
}
