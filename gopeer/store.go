// store.go - the slow-resolve cache in the three shapes this peer runs.
//
// Zoraxy keeps two caches, one per address family, keyed by the address
// string, and a ticker goroutine that resets both every 15 minutes.
//
//	map            v3.1.4: plain map[string]string fields, read and written
//	               by every request goroutine without a lock, reset by
//	               assigning a new map to each field. Go's map detects some
//	               of the overlapping writes and reads and kills the process
//	               ("fatal error: concurrent map writes" / "concurrent map
//	               read and map write", exit status 2).
//	syncmap-reset  the shipped fix: sync.Map fields (safe for the requests
//	               among themselves), but the ticker still resets them by
//	               overwriting each sync.Map value in place while requests
//	               use it - its mutex, read snapshot and dirty map are
//	               zeroed under the feet of a Load or Store in progress.
//	rwmutex        a correct control: the maps behind one sync.RWMutex,
//	               reset under the write lock.
//
// The first two are wrong on purpose and must stay exactly as racy as
// Zoraxy's code: no lock, no atomic, no copy is added around them.

package main

import "sync"

type cache interface {
	get(v6 bool, key string) (string, bool)
	put(v6 bool, key, cc string)
	reset()
}

var storeNames = []string{"map", "syncmap-reset", "rwmutex"}

func newCache(store string) cache {
	switch store {
	case "map":
		return &mapCache{v4: make(map[string]string), v6: make(map[string]string)}
	case "syncmap-reset":
		return &syncMapResetCache{}
	case "rwmutex":
		return &rwMutexCache{v4: make(map[string]string), v6: make(map[string]string)}
	}
	return nil
}

// ---- map: Zoraxy v3.1.4 -------------------------------------------------

type mapCache struct {
	v4, v6 map[string]string
}

func (c *mapCache) get(v6 bool, key string) (string, bool) {
	if v6 {
		cc, ok := c.v6[key]
		return cc, ok
	}
	cc, ok := c.v4[key]
	return cc, ok
}

func (c *mapCache) put(v6 bool, key, cc string) {
	if v6 {
		c.v6[key] = cc
	} else {
		c.v4[key] = cc
	}
}

func (c *mapCache) reset() {
	c.v4 = make(map[string]string)
	c.v6 = make(map[string]string)
}

// ---- syncmap-reset: the shipped fix ---------------------------------------

type syncMapResetCache struct {
	v4, v6 sync.Map
}

func (c *syncMapResetCache) get(v6 bool, key string) (string, bool) {
	m := &c.v4
	if v6 {
		m = &c.v6
	}
	v, ok := m.Load(key)
	if !ok {
		return "", false
	}
	cc, _ := v.(string)
	return cc, true
}

func (c *syncMapResetCache) put(v6 bool, key, cc string) {
	if v6 {
		c.v6.Store(key, cc)
	} else {
		c.v4.Store(key, cc)
	}
}

// reset is the fix's ticker body: a whole new zero sync.Map written over
// the one in use (go vet's copylocks check names this line, rightly).
func (c *syncMapResetCache) reset() {
	c.v4 = sync.Map{}
	c.v6 = sync.Map{}
}

// ---- rwmutex: a correct control ---------------------------------------------

type rwMutexCache struct {
	mu     sync.RWMutex
	v4, v6 map[string]string
}

func (c *rwMutexCache) get(v6 bool, key string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	m := c.v4
	if v6 {
		m = c.v6
	}
	cc, ok := m[key]
	return cc, ok
}

func (c *rwMutexCache) put(v6 bool, key, cc string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v6 {
		c.v6[key] = cc
	} else {
		c.v4[key] = cc
	}
}

func (c *rwMutexCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.v4 = make(map[string]string)
	c.v6 = make(map[string]string)
}
