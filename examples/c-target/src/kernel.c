/* The rules of the groups caps, rights, ports and messages, each checking
 * its errors in the order OPERATIONS.md lists them before changing anything.
 */
#include "kernel_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ERROR_NAMES[] = {
    "Ok", "PortNotFound", "PortClosed", "PortFull", "InsufficientRights",
    "InvalidCapability", "MessageTooLarge", "InvalidMessage", "OutOfMemory",
    "WouldBlock", "Timeout", "TypeMismatch", "InvalidArgument", "NameInUse",
    "OutOfBounds", "Filtered", "RateLimited", "NoSuchProcess", "ProcessBlocked",
    "NotConnected", "AlreadyConnected",
};

const char *ipc_error_name(int code)
{
    if (code < 0 || (size_t)code >= sizeof ERROR_NAMES / sizeof ERROR_NAMES[0])
        return "Other";
    return ERROR_NAMES[code];
}

/* -- memory ------------------------------------------------------------------ */

void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 4;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * size);
    if (!q) {
        fputs("{\"type\": \"fatal\", \"message\": \"out of memory\"}\n", stdout);
        fflush(stdout);
        exit(2);
    }
    *cap = n;
    return q;
}

struct result ok_null(void) { return (struct result){.kind = RES_NULL}; }
struct result ok_int(int64_t v) { return (struct result){.kind = RES_INT, .value = v}; }
struct result err(int e) { return (struct result){.kind = RES_ERR, .error = e}; }
struct result other(const char *detail)
{
    return (struct result){.kind = RES_ERR, .error = E_OTHER, .detail = detail};
}

/* -- lookups ------------------------------------------------------------------- */

struct process *kernel_proc(struct kernel *k, int64_t pid)
{
    for (size_t i = 0; i < k->nprocs; i++)
        if (k->procs[i].pid == pid)
            return &k->procs[i];
    return NULL;
}

struct cap *cap_of(struct kernel *k, int64_t id) { return &k->caps[id - 1]; }
struct port *port_of(struct kernel *k, int64_t obj) { return &k->ports[obj - 1]; }

static struct handle_slot *find_handle(struct process *p, int64_t handle)
{
    for (size_t i = 0; i < p->nhandles; i++)
        if (p->handles[i].handle == handle)
            return &p->handles[i];
    return NULL;
}

/* CAP-HANDLE: the capability `handle` names in `pid`'s table, or NO_ID.
 * (Every object of these groups is a port, so no kind is ever wrong.) */
int64_t resolve(struct kernel *k, int64_t pid, int64_t handle)
{
    struct handle_slot *h = find_handle(kernel_proc(k, pid), handle);
    return h ? h->cap : NO_ID;
}

/* -- bookkeeping: create, move, destroy capabilities ------------------------------ */

int64_t new_cap(struct kernel *k, int64_t obj, int rights, int64_t parent)
{
    k->caps = grow(k->caps, &k->capcaps, k->ncaps + 1, sizeof *k->caps);
    k->caps[k->ncaps] = (struct cap){
        .live = true, .obj = obj, .rights = rights, .parent = parent, .at = AT_NOWHERE};
    return (int64_t)++k->ncaps;
}

bool handle_room(struct kernel *k, int64_t pid, int64_t n)
{
    return (int64_t)kernel_proc(k, pid)->nhandles + n <= k->config.max_handles;
}

/* The capabilities a delivery of `m` installs (those not revoked in flight). */
static int64_t carried(const struct qmsg *m)
{
    int64_t n = 0;
    for (int i = 0; i < m->ncaps; i++)
        n += m->caps[i] != NO_ID;
    return n;
}

/* The inline bytes of `pid`'s messages not yet collected: waiting in port
 * queues, or handed off to a woken receiver that keeps their slot (PORT-HANDOFF;
 * a hand-off from a reclaimed port keeps none). */
static int64_t queued_bytes(const struct kernel *k, int64_t pid)
{
    int64_t n = 0;
    for (size_t i = 0; i < k->nports; i++)
        for (size_t j = 0; j < k->ports[i].nqueue; j++)
            if (k->ports[i].queue[j].sender == pid)
                n += (int64_t)k->ports[i].queue[j].len;
    for (size_t i = 0; i < k->nprocs; i++) {
        const struct process *p = &k->procs[i];
        if (p->status == ST_WOKEN && p->handed != 0 && p->woken.kind == RES_DELIVERED &&
            p->woken.msg.sender == pid && !k->ports[p->handed - 1].reclaimed)
            n += (int64_t)p->woken.msg.len;
    }
    return n;
}

/* Put capability `id` (held nowhere) into `pid`'s table under a new handle. */
int64_t install(struct kernel *k, int64_t pid, int64_t id)
{
    struct process *p = kernel_proc(k, pid);
    p->handles = grow(p->handles, &p->caphandles, p->nhandles + 1, sizeof *p->handles);
    int64_t handle = p->next_handle++;
    p->handles[p->nhandles++] = (struct handle_slot){handle, id};
    struct cap *c = cap_of(k, id);
    c->at = AT_HANDLE;
    c->at_pid = pid;
    c->at_handle = handle;
    return handle;
}

static void remove_waiter(struct port *pt, int64_t pid)
{
    size_t j = 0;
    for (size_t i = 0; i < pt->nwaiters; i++)
        if (pt->waiters[i] != pid)
            pt->waiters[j++] = pt->waiters[i];
    pt->nwaiters = j;
}

/* Wake the waiting process `pid` with `r`, off its port's waiter queue. */
static void wake(struct kernel *k, int64_t pid, struct result r)
{
    struct process *p = kernel_proc(k, pid);
    remove_waiter(port_of(k, p->wait_port), pid);
    p->status = ST_WOKEN;
    p->woken = r;
    p->handed = 0;
}

/* Messages handed off from port `obj` and not yet collected: each keeps its
 * slot in the port's capacity until Resume (PORT-HANDOFF). */
static int64_t handed(const struct kernel *k, int64_t obj)
{
    int64_t n = 0;
    for (size_t i = 0; i < k->nprocs; i++)
        n += k->procs[i].status == ST_WOKEN && k->procs[i].handed == obj;
    return n;
}

/* Take capability `id` out of the place that holds it (the node stays): out of
 * a handle table (a receive waiting through it ends with InvalidCapability),
 * or out of a queued message (its slot becomes null). */
static void detach(struct kernel *k, int64_t id)
{
    struct cap *c = cap_of(k, id);
    if (c->at == AT_HANDLE) {
        int64_t pid = c->at_pid;
        struct process *p = kernel_proc(k, pid);
        size_t j = 0;
        for (size_t i = 0; i < p->nhandles; i++)
            if (p->handles[i].handle != c->at_handle)
                p->handles[j++] = p->handles[i];
        p->nhandles = j;
        if (p->status == ST_WAITING && p->wait_cap == id)
            wake(k, pid, err(E_INVALID_CAPABILITY));
    } else if (c->at == AT_BINDING) {
        unpublish(k, id);
    } else if (c->at == AT_FLIGHT) {
        struct port *pt = port_of(k, c->at_port);
        for (size_t i = 0; i < pt->nqueue; i++)
            for (int s = 0; s < pt->queue[i].ncaps; s++)
                if (pt->queue[i].caps[s] == id)
                    pt->queue[i].caps[s] = NO_ID;
    }
    c->at = AT_NOWHERE;
}

/* Detach `id` and remove its node; its children move up to its parent (CAP-DROP). */
void destroy(struct kernel *k, int64_t id)
{
    detach(k, id);
    struct cap *c = cap_of(k, id);
    for (size_t i = 0; i < k->ncaps; i++)
        if (k->caps[i].live && k->caps[i].parent == id)
            k->caps[i].parent = c->parent;
    c->live = false;
}

/* Every strict descendant of `id`, parents before children (caller frees). */
static int64_t *descendants(struct kernel *k, int64_t id, size_t *count)
{
    int64_t *out = NULL;
    size_t n = 0, cap = 0, next = 0;
    int64_t parent = id;
    for (;;) {
        for (size_t i = 0; i < k->ncaps; i++)
            if (k->caps[i].live && k->caps[i].parent == parent) {
                out = grow(out, &cap, n + 1, sizeof *out);
                out[n++] = (int64_t)i + 1;
            }
        if (next == n)
            break;
        parent = out[next++];
    }
    *count = n;
    return out;
}

/* -- processes (PROC-SPAWN, PROC-KILL) -------------------------------------------- */

static int64_t spawn(struct kernel *k, bool may_bind, bool may_lookup)
{
    k->procs = grow(k->procs, &k->capprocs, k->nprocs + 1, sizeof *k->procs);
    k->procs[k->nprocs++] = (struct process){
        .pid = k->next_pid, .next_handle = 1, .may_bind = may_bind, .may_lookup = may_lookup};
    return k->next_pid++;
}

static void hand_off(struct kernel *k, int64_t obj, const struct qmsg *m);

/* PORT-HANDOFF: `p` dies holding a hand-off it never collected. The message
 * goes back to its port as the oldest message (to the next waiter with room
 * for its capabilities, else to the queue head, in the slot it kept), its capabilities back in flight (a
 * handle `p` no longer holds becomes NO_ID). */
static void give_back(struct kernel *k, struct process *p)
{
    int64_t obj = p->handed;
    const struct delivered *d = &p->woken.msg;
    struct qmsg m = {.sender = d->sender, .msg_type = d->msg_type, .flags = d->flags,
                     .len = d->len, .ncaps = d->ncaps};
    memcpy(m.data, d->data, d->len);
    for (int i = 0; i < d->ncaps; i++) {
        struct handle_slot *slot = d->caps[i] == NO_ID ? NULL : find_handle(p, d->caps[i]);
        m.caps[i] = slot ? slot->cap : NO_ID;
    }
    p->status = ST_RUNNING;
    p->handed = 0;
    for (int i = 0; i < m.ncaps; i++)
        if (m.caps[i] != NO_ID) {
            detach(k, m.caps[i]);
            cap_of(k, m.caps[i])->at = AT_FLIGHT;
            cap_of(k, m.caps[i])->at_port = obj;
        }
    struct port *pt = port_of(k, obj);
    /* As at the send: a waiter with no room for the capabilities is woken
     * with OutOfMemory. */
    while (pt->nwaiters > 0 && !handle_room(k, pt->waiters[0], carried(&m)))
        wake(k, pt->waiters[0], err(E_OUT_OF_MEMORY));
    if (pt->nwaiters > 0) {
        hand_off(k, obj, &m);
        return;
    }
    pt->queue = grow(pt->queue, &pt->capqueue, pt->nqueue + 1, sizeof *pt->queue);
    memmove(pt->queue + 1, pt->queue, pt->nqueue * sizeof *pt->queue);
    pt->queue[0] = m;
    pt->nqueue++;
}

static struct result kill(struct kernel *k, int64_t target)
{
    struct process *p = kernel_proc(k, target);
    if (!p)
        return err(E_NO_SUCH_PROCESS);
    if (p->status == ST_WOKEN && p->handed != 0)
        give_back(k, p);
    if (p->status == ST_WAITING)
        remove_waiter(port_of(k, p->wait_port), target);
    p->status = ST_RUNNING;
    while (p->nhandles > 0)
        destroy(k, p->handles[0].cap); /* detach removes it from the table */
    free(p->handles);
    size_t index = (size_t)(p - k->procs);
    memmove(p, p + 1, (k->nprocs - index - 1) * sizeof *p);
    k->nprocs--;
    return ok_null();
}

/* -- capabilities (CAP-INSPECT, CAP-DROP, RIGHTS-DERIVE, RIGHTS-REVOKE) ------------- */

static struct result derive(struct kernel *k, int64_t pid, const struct op *op)
{
    int64_t parent = resolve(k, pid, op->handle);
    if (parent == NO_ID)
        return err(E_INVALID_CAPABILITY);
    if (op->rights < 0 || op->rights > R_ALL)
        return err(E_INVALID_ARGUMENT);
    int have = cap_of(k, parent)->rights;
    if ((op->rights & ~(int64_t)have) != 0)
        return err(E_INSUFFICIENT_RIGHTS);
    if (!handle_room(k, pid, 1))
        return err(E_OUT_OF_MEMORY); /* the handle quota */
    int rights = (int)op->rights;
#ifdef PLANT_BUG_DERIVE_KEEPS_GRANT
    rights |= have & R_GRANT; /* a planted bug: attenuation forgets GRANT */
#endif
    int64_t child = new_cap(k, cap_of(k, parent)->obj, rights, parent);
    return ok_int(install(k, pid, child));
}

static struct result revoke(struct kernel *k, int64_t pid, int64_t handle)
{
    int64_t id = resolve(k, pid, handle);
    if (id == NO_ID)
        return err(E_INVALID_CAPABILITY);
    size_t n;
    int64_t *doomed = descendants(k, id, &n);
    for (size_t i = n; i-- > 0;)
        destroy(k, doomed[i]);
    free(doomed);
    return ok_int((int64_t)n);
}

/* -- ports (PORT-CREATE, PORT-SEND, PORT-RECEIVE, PORT-RESUME, PORT-CLOSE) ----------- */

static struct result create_port(struct kernel *k, int64_t pid, int64_t capacity)
{
    if (capacity < 1)
        return err(E_INVALID_ARGUMENT);
    if (capacity > k->config.max_port_capacity)
        return err(E_OUT_OF_MEMORY);
    if ((int64_t)k->nports >= k->config.max_objects || !handle_room(k, pid, 1))
        return err(E_OUT_OF_MEMORY); /* the object and handle quotas */
    k->ports = grow(k->ports, &k->capports, k->nports + 1, sizeof *k->ports);
    int64_t obj = (int64_t)k->nports + 1;
    k->ports[k->nports++] = (struct port){.id = obj, .capacity = capacity};
    return ok_int(install(k, pid, new_cap(k, obj, R_PORT, NO_ID)));
}

/* MSG-INFLIGHT-REVOKE: the receiver gets new handles, in message order, for the
 * capabilities still in the message. */
static struct delivered take_delivery(struct kernel *k, int64_t receiver, const struct qmsg *m)
{
    struct delivered d = {.sender = m->sender, .msg_type = m->msg_type, .flags = m->flags,
                          .len = m->len, .ncaps = m->ncaps};
    memcpy(d.data, m->data, m->len);
    for (int i = 0; i < m->ncaps; i++)
        d.caps[i] = m->caps[i] == NO_ID ? NO_ID : install(k, receiver, m->caps[i]);
    return d;
}

/* MSG-LIMITS. */
static int check_limits(const struct op *op)
{
    if (op->data_len > MAX_INLINE_DATA)
        return E_MESSAGE_TOO_LARGE;
    if (op->msg_type < 0 || op->msg_type > MAX_U32 || op->flags < 0 || op->flags > MAX_FLAGS)
        return E_INVALID_MESSAGE;
    if (op->ncaps > MAX_MESSAGE_CAPS)
        return E_INVALID_MESSAGE;
    for (size_t i = 0; i < op->ncaps; i++) {
        if (op->caps[i] == op->handle)
            return E_INVALID_MESSAGE;
        for (size_t j = 0; j < i; j++)
            if (op->caps[i] == op->caps[j])
                return E_INVALID_MESSAGE;
    }
    return E_OK;
}

static struct result send(struct kernel *k, int64_t pid, const struct op *op)
{
    int64_t via = resolve(k, pid, op->handle);
    if (via == NO_ID)
        return err(E_INVALID_CAPABILITY);
    if (!(cap_of(k, via)->rights & R_SEND))
        return err(E_INSUFFICIENT_RIGHTS);
    int e = check_limits(op);
    if (e != E_OK)
        return err(e);
    /* MSG-TRANSFER: every carried handle live, then every one with GRANT. */
    int64_t moved[MAX_MESSAGE_CAPS];
    for (size_t i = 0; i < op->ncaps; i++)
        if ((moved[i] = resolve(k, pid, op->caps[i])) == NO_ID)
            return err(E_INVALID_CAPABILITY);
    for (size_t i = 0; i < op->ncaps; i++)
        if (!(cap_of(k, moved[i])->rights & R_GRANT))
            return err(E_INSUFFICIENT_RIGHTS);
    int64_t obj = cap_of(k, via)->obj;
    struct port *pt = port_of(k, obj);
    if (pt->closed)
        return err(E_PORT_CLOSED);
    if ((int64_t)pt->nqueue + handed(k, obj) >= pt->capacity)
        return err(E_PORT_FULL);
    if (op->data_len > 0 &&
        queued_bytes(k, pid) + (int64_t)op->data_len > k->config.max_queued_bytes)
        return err(E_OUT_OF_MEMORY); /* the queued-bytes quota */
    /* Commit: the capabilities move into the message (MSG-SENDER stamps it). */
    struct qmsg m = {.sender = pid, .msg_type = op->msg_type, .flags = op->flags,
                     .len = op->data_len, .ncaps = (int)op->ncaps};
    memcpy(m.data, op->data, op->data_len);
    for (size_t i = 0; i < op->ncaps; i++) {
        detach(k, moved[i]);
        cap_of(k, moved[i])->at = AT_FLIGHT;
        cap_of(k, moved[i])->at_port = obj;
        m.caps[i] = moved[i];
    }
    /* A waiter with no room for the capabilities is woken with OutOfMemory. */
    while (pt->nwaiters > 0 && !handle_room(k, pt->waiters[0], carried(&m)))
        wake(k, pt->waiters[0], err(E_OUT_OF_MEMORY));
    if (pt->nwaiters > 0) { /* PORT-HANDOFF: straight to the first waiter */
        hand_off(k, obj, &m);
    } else {
        pt->queue = grow(pt->queue, &pt->capqueue, pt->nqueue + 1, sizeof *pt->queue);
        pt->queue[pt->nqueue++] = m;
    }
    return ok_null();
}

/* PORT-HANDOFF: the first waiter gets `m`; it keeps its slot until Resume. */
static void hand_off(struct kernel *k, int64_t obj, const struct qmsg *m)
{
    int64_t receiver = port_of(k, obj)->waiters[0];
    struct result r = {.kind = RES_DELIVERED, .msg = take_delivery(k, receiver, m)};
    wake(k, receiver, r);
    kernel_proc(k, receiver)->handed = obj;
}

static struct result receive(struct kernel *k, int64_t pid, const struct op *op)
{
    int64_t id = resolve(k, pid, op->handle);
    if (id == NO_ID)
        return err(E_INVALID_CAPABILITY);
    if (!(cap_of(k, id)->rights & R_RECEIVE))
        return err(E_INSUFFICIENT_RIGHTS);
    if (!op->timeout_null && op->timeout < 0)
        return err(E_INVALID_ARGUMENT);
    int64_t obj = cap_of(k, id)->obj;
    struct port *pt = port_of(k, obj);
    if (pt->nqueue > 0) {
        if (!handle_room(k, pid, carried(&pt->queue[0])))
            return err(E_OUT_OF_MEMORY); /* it does not fit: it stays queued */
        struct qmsg m = pt->queue[0];
        memmove(pt->queue, pt->queue + 1, (pt->nqueue - 1) * sizeof *pt->queue);
        pt->nqueue--;
        return (struct result){.kind = RES_DELIVERED, .msg = take_delivery(k, pid, &m)};
    }
    if (pt->closed)
        return err(E_PORT_CLOSED);
    if (!op->timeout_null && op->timeout == 0)
        return err(E_WOULD_BLOCK);
    if (!op->timeout_null && op->timeout > INT64_MAX - k->clock)
        return other("a deadline beyond 2**63-1 ticks");
    pt->waiters = grow(pt->waiters, &pt->capwaiters, pt->nwaiters + 1, sizeof *pt->waiters);
    pt->waiters[pt->nwaiters++] = pid;
    struct process *p = kernel_proc(k, pid);
    p->status = ST_WAITING;
    p->wait_port = obj;
    p->wait_cap = id;
    p->has_deadline = !op->timeout_null;
    p->deadline = op->timeout_null ? 0 : k->clock + op->timeout;
    return (struct result){.kind = RES_BLOCKED};
}

static struct result resume(struct kernel *k, int64_t pid)
{
    struct process *p = kernel_proc(k, pid);
    if (p->status == ST_RUNNING)
        return err(E_INVALID_ARGUMENT);
    if (p->status == ST_WAITING)
        return err(E_WOULD_BLOCK);
    p->status = ST_RUNNING;
    p->handed = 0; /* a hand-off collected frees its slot */
    return p->woken;
}

static struct result close_port(struct kernel *k, int64_t pid, int64_t handle)
{
    int64_t id = resolve(k, pid, handle);
    if (id == NO_ID)
        return err(E_INVALID_CAPABILITY);
    if (!(cap_of(k, id)->rights & R_MANAGE))
        return err(E_INSUFFICIENT_RIGHTS);
    struct port *pt = port_of(k, cap_of(k, id)->obj);
    if (pt->closed)
        return err(E_PORT_CLOSED);
    while (pt->nwaiters > 0)
        wake(k, pt->waiters[0], err(E_PORT_CLOSED));
    unbind_port(k, cap_of(k, id)->obj); /* a binding dies with its port (NS-BIND) */
    pt->closed = true;
    return ok_int((int64_t)pt->nqueue);
}

/* -- ports nobody can receive from (PORT-CLOSE, implicit close) ---------------------- */

/* CAP-RECLAIM: a port is reachable while a capability to it is in a handle
 * table or a binding, or carried by a message queued on a reachable port (the
 * least fixpoint). Every other port is destroyed with the capabilities its
 * queue carries, and leaves the observation; its id is never reused. */
static void reclaim(struct kernel *k)
{
    size_t room = 0;
    bool *alive = grow(NULL, &room, k->nports + 1, sizeof *alive);
    memset(alive, 0, room * sizeof *alive);
    for (bool grown = true; grown;) {
        grown = false;
        for (size_t i = 0; i < k->ncaps; i++) {
            const struct cap *c = &k->caps[i];
            if (!c->live || alive[c->obj - 1])
                continue;
            if (c->at != AT_FLIGHT || alive[c->at_port - 1]) {
                alive[c->obj - 1] = true;
                grown = true;
            }
        }
    }
    for (size_t i = 0; i < k->nports; i++) {
        struct port *pt = &k->ports[i];
        if (alive[i] || pt->reclaimed)
            continue;
        pt->reclaimed = true;
        pt->closed = true;
        size_t n = pt->nqueue;
        pt->nqueue = 0; /* the slots stay readable below; detach finds none */
        for (size_t m = 0; m < n; m++)
            for (int s = 0; s < pt->queue[m].ncaps; s++)
                if (pt->queue[m].caps[s] != NO_ID)
                    destroy(k, pt->queue[m].caps[s]);
    }
    free(alive);
}

/* After a Drop, Kill, Send or Unbind that succeeded: a port is receivable while a
 * capability with RECEIVE to it is in a handle table, or carried by a message
 * queued on a receivable port (the least fixpoint; a binding does not count).
 * Every other port is abandoned: closed as by Close (waiters woken, bindings
 * removed) and its queued messages destroyed with the capabilities they carry,
 * since nobody can ever receive them. Then unreachable ports are reclaimed. */
static void reap(struct kernel *k)
{
    size_t room = 0;
    bool *alive = grow(NULL, &room, k->nports + 1, sizeof *alive);
    memset(alive, 0, room * sizeof *alive);
    for (bool grown = true; grown;) {
        grown = false;
        for (size_t i = 0; i < k->ncaps; i++) {
            const struct cap *c = &k->caps[i];
            if (!c->live || !(c->rights & R_RECEIVE) || alive[c->obj - 1])
                continue;
            if (c->at == AT_HANDLE || (c->at == AT_FLIGHT && alive[c->at_port - 1])) {
                alive[c->obj - 1] = true;
                grown = true;
            }
        }
    }
    for (size_t i = 0; i < k->nports; i++) {
        struct port *pt = &k->ports[i];
        if (alive[i] || (pt->closed && pt->nqueue == 0))
            continue;
        if (!pt->closed) {
            while (pt->nwaiters > 0)
                wake(k, pt->waiters[0], err(E_PORT_CLOSED));
            unbind_port(k, (int64_t)i + 1);
            pt->closed = true;
        }
        size_t n = pt->nqueue;
        pt->nqueue = 0; /* the slots stay readable below; detach finds none */
        for (size_t m = 0; m < n; m++)
            for (int s = 0; s < pt->queue[m].ncaps; s++)
                if (pt->queue[m].caps[s] != NO_ID)
                    destroy(k, pt->queue[m].caps[s]);
    }
    free(alive);
    reclaim(k);
}

/* -- timeouts (TIME-ADVANCE, TIME-DEADLINE) ------------------------------------------ */

static struct result advance_clock(struct kernel *k, int64_t ticks)
{
    if (ticks < 0)
        return err(E_INVALID_ARGUMENT);
    if (ticks > INT64_MAX - k->clock)
        return other("a clock beyond 2**63-1 ticks");
    k->clock += ticks;
    for (size_t i = 0; i < k->nprocs; i++) { /* in pid order */
        struct process *p = &k->procs[i];
        if (p->status == ST_WAITING && p->has_deadline && p->deadline <= k->clock)
            wake(k, p->pid, err(E_TIMEOUT));
    }
    return ok_int(k->clock);
}

/* -- dispatch (ERR-PRECEDENCE) ---------------------------------------------------- */

struct result kernel_apply(struct kernel *k, int64_t pid, const struct op *op)
{
    switch (op->name) { /* environment operations ignore pid */
    case OP_SPAWN:
        return ok_int(spawn(k, op->may_bind, op->may_lookup));
    case OP_KILL: {
        struct result r = kill(k, op->target);
        if (r.kind != RES_ERR)
            reap(k);
        return r;
    }
    case OP_ADVANCE_CLOCK:
        return advance_clock(k, op->ticks);
    default:
        break;
    }
    struct process *p = kernel_proc(k, pid); /* PROC-STATUS */
    if (!p)
        return err(E_NO_SUCH_PROCESS);
    if (p->status != ST_RUNNING && op->name != OP_RESUME)
        return err(E_PROCESS_BLOCKED);
    switch (op->name) {
    case OP_INSPECT: {
        int64_t id = resolve(k, pid, op->handle);
        if (id == NO_ID)
            return err(E_INVALID_CAPABILITY);
        return (struct result){.kind = RES_INSPECT, .value = cap_of(k, id)->rights};
    }
    case OP_DROP: {
        int64_t id = resolve(k, pid, op->handle);
        if (id == NO_ID)
            return err(E_INVALID_CAPABILITY);
        destroy(k, id);
        reap(k);
        return ok_null();
    }
    case OP_DERIVE:
        return derive(k, pid, op);
    case OP_REVOKE:
        return revoke(k, pid, op->handle);
    case OP_CREATE_PORT:
        return create_port(k, pid, op->capacity);
    case OP_SEND: {
        struct result r = send(k, pid, op);
        if (r.kind != RES_ERR)
            reap(k);
        return r;
    }
    case OP_RECEIVE:
        return receive(k, pid, op);
    case OP_RESUME:
        return resume(k, pid);
    case OP_CLOSE:
        return close_port(k, pid, op->handle);
    case OP_BIND:
        return ns_bind(k, pid, op);
    case OP_UNBIND: {
        struct result r = ns_unbind(k, pid, op);
        if (r.kind != RES_ERR)
            reap(k); /* the binding may have held the last capability */
        return r;
    }
    case OP_LOOKUP:
    case OP_CONNECT:
        return ns_lookup(k, pid, op);
    default:
        return err(E_INVALID_ARGUMENT);
    }
}

/* -- lifetime ---------------------------------------------------------------------- */

void kernel_free(struct kernel *k)
{
    for (size_t i = 0; i < k->nprocs; i++)
        free(k->procs[i].handles);
    for (size_t i = 0; i < k->nports; i++) {
        free(k->ports[i].queue);
        free(k->ports[i].waiters);
    }
    for (size_t i = 0; i < k->nbindings; i++)
        free(k->bindings[i].name);
    free(k->bindings);
    free(k->procs);
    free(k->caps);
    free(k->ports);
    memset(k, 0, sizeof *k);
}

void kernel_reset(struct kernel *k, int64_t processes, const struct config *cfg)
{
    kernel_free(k);
    k->config = *cfg;
    k->next_pid = 1;
    for (int64_t i = 0; i < processes; i++)
        spawn(k, true, true);
}
