/* Results and the observation, in the JSON of PROTOCOL.md ("Results",
 * "Observations"): integer keys become decimal strings. */
#include <inttypes.h>
#include <stdio.h>

#include "wire.h"

static json_t *hex(const uint8_t *data, size_t len)
{
    char buf[2 * MAX_INLINE_DATA + 1];
    for (size_t i = 0; i < len; i++)
        snprintf(buf + 2 * i, 3, "%02x", data[i]);
    buf[2 * len] = '\0';
    return json_string(buf);
}

static void set_int_key(json_t *obj, int64_t key, json_t *value)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, key);
    json_object_set_new(obj, buf, value);
}

json_t *encode_result(const struct result *r)
{
    json_t *v;
    switch (r->kind) {
    case RES_ERR:
        if (r->detail)
            return json_pack("{s:s, s:s}", "error", ipc_error_name(r->error), "detail", r->detail);
        return json_pack("{s:s}", "error", ipc_error_name(r->error));
    case RES_NULL:
        v = json_null();
        break;
    case RES_INT:
        v = json_integer(r->value);
        break;
    case RES_INSPECT:
        v = json_pack("{s:s, s:I}", "kind", "port", "rights", (json_int_t)r->value);
        break;
    case RES_BLOCKED:
        v = json_string("blocked");
        break;
    case RES_DELIVERED:
    default: {
        const struct delivered *d = &r->msg;
        json_t *caps = json_array();
        for (int i = 0; i < d->ncaps; i++)
            json_array_append_new(caps, d->caps[i] == NO_ID ? json_null() : json_integer(d->caps[i]));
        v = json_pack("{s:I, s:I, s:I, s:o, s:o}", "sender", (json_int_t)d->sender, "msg_type",
                      (json_int_t)d->msg_type, "flags", (json_int_t)d->flags, "data",
                      hex(d->data, d->len), "caps", caps);
    }
    }
    return json_pack("{s:o}", "ok", v);
}

static json_t *encode_cap(struct kernel *k, int64_t id)
{
    const struct cap *c = &k->caps[id - 1];
    return json_pack("{s:I, s:s, s:i}", "obj", (json_int_t)c->obj, "kind", "port", "rights",
                     c->rights);
}

static json_t *encode_status(const struct process *p)
{
    if (p->status == ST_RUNNING)
        return json_string("running");
    if (p->status == ST_WAITING)
        return json_pack("{s:I, s:o}", "waiting", (json_int_t)p->wait_port, "deadline",
                         p->has_deadline ? json_integer(p->deadline) : json_null());
    return json_pack("{s:o}", "woken", encode_result(&p->woken));
}

static json_t *encode_port(struct kernel *k, const struct port *pt)
{
    json_t *queue = json_array(), *waiters = json_array();
    for (size_t i = 0; i < pt->nqueue; i++) {
        const struct qmsg *m = &pt->queue[i];
        json_t *caps = json_array();
        for (int c = 0; c < m->ncaps; c++)
            json_array_append_new(caps, m->caps[c] == NO_ID ? json_null() : encode_cap(k, m->caps[c]));
        json_array_append_new(
            queue, json_pack("{s:I, s:I, s:I, s:o, s:o}", "sender", (json_int_t)m->sender,
                             "msg_type", (json_int_t)m->msg_type, "flags", (json_int_t)m->flags,
                             "data", hex(m->data, m->len), "caps", caps));
    }
    for (size_t i = 0; i < pt->nwaiters; i++)
        json_array_append_new(waiters, json_integer(pt->waiters[i]));
    return json_pack("{s:I, s:b, s:o, s:o, s:n}", "capacity", (json_int_t)pt->capacity, "closed",
                     pt->closed, "queue", queue, "waiters", waiters, "filter");
}

json_t *encode_observation(struct kernel *k)
{
    json_t *procs = json_object(), *ports = json_object();
    for (size_t i = 0; i < k->nprocs; i++) {
        const struct process *p = &k->procs[i];
        json_t *handles = json_object();
        for (size_t h = 0; h < p->nhandles; h++)
            set_int_key(handles, p->handles[h].handle, encode_cap(k, p->handles[h].cap));
        set_int_key(procs, p->pid,
                    json_pack("{s:o, s:o, s:{}, s:{}}", "status", encode_status(p), "handles",
                              handles, "mappings", "fds"));
    }
    for (size_t i = 0; i < k->nports; i++)
        if (!k->ports[i].reclaimed)
            set_int_key(ports, k->ports[i].id, encode_port(k, &k->ports[i]));
    json_t *names = json_object();
    for (size_t i = 0; i < k->nbindings; i++) {
        const struct binding *b = &k->bindings[i];
        const struct cap *c = &k->caps[b->cap - 1];
        json_object_setn_new(names, b->name, b->len,
                             json_pack("{s:I, s:i, s:I}", "obj", (json_int_t)c->obj, "rights",
                                       c->rights, "service_type", (json_int_t)b->service_type));
    }
    return json_pack("{s:I, s:o, s:o, s:{}, s:{}, s:o}", "clock", (json_int_t)k->clock,
                     "processes", procs, "ports", ports, "channels", "buffers", "namespace",
                     names);
}
