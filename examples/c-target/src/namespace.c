/* The namespace (group "namespace"): names bound to port capabilities
 * (NS-BIND, NS-UNBIND, NS-LOOKUP, NS-CONNECT). Binding needs the caller's
 * may_bind, looking up its may_lookup (given at Spawn). A binding holds its
 * own capability, a child of the binder's with the published rights; a lookup
 * gets a child of the binding's with those rights, so revoking the binder's
 * capability reaches both. */
#include <stdlib.h>
#include <string.h>

#include "kernel_internal.h"

/* A name is 1..max_name_length UTF-8 bytes without NUL. */
static bool valid_name(struct kernel *k, const struct op *op)
{
    return op->ns_no_nul && op->ns_len > 0 && (int64_t)op->ns_len <= k->config.max_name_length;
}

static struct binding *find_binding(struct kernel *k, const struct op *op)
{
    for (size_t i = 0; i < k->nbindings; i++)
        if (k->bindings[i].len == op->ns_len &&
            !memcmp(k->bindings[i].name, op->ns_name, op->ns_len))
            return &k->bindings[i];
    return NULL;
}

/* Remove every binding of port `obj`, which is closing (NS-BIND, PORT-CLOSE):
 * each binding's capability is destroyed as by Unbind. */
void unbind_port(struct kernel *k, int64_t obj)
{
    size_t i = 0;
    while (i < k->nbindings)
        if (cap_of(k, k->bindings[i].cap)->obj == obj)
            destroy(k, k->bindings[i].cap); /* detaching it removes binding i */
        else
            i++;
}

/* Remove the binding that holds capability `cap` (the node stays). */
void unpublish(struct kernel *k, int64_t cap)
{
    for (size_t i = 0; i < k->nbindings; i++)
        if (k->bindings[i].cap == cap) {
            free(k->bindings[i].name);
            memmove(&k->bindings[i], &k->bindings[i + 1],
                    (k->nbindings - i - 1) * sizeof *k->bindings);
            k->nbindings--;
            return;
        }
}

struct result ns_bind(struct kernel *k, int64_t pid, const struct op *op)
{
    if (!kernel_proc(k, pid)->may_bind) /* the caller's authority first */
        return err(E_INSUFFICIENT_RIGHTS);
    int64_t id = resolve(k, pid, op->handle);
    if (id == NO_ID)
        return err(E_INVALID_CAPABILITY);
    if (!(cap_of(k, id)->rights & R_GRANT))
        return err(E_INSUFFICIENT_RIGHTS);
    if (!valid_name(k, op) || op->service_type < 0 || op->service_type > MAX_U32 ||
        op->rights < 0 || op->rights > R_ALL)
        return err(E_INVALID_ARGUMENT);
    if (op->rights & ~cap_of(k, id)->rights) /* never more than the binder holds */
        return err(E_INSUFFICIENT_RIGHTS);
    if (find_binding(k, op))
        return err(E_NAME_IN_USE);
    if (port_of(k, cap_of(k, id)->obj)->closed) /* a binding dies with its port */
        return err(E_PORT_CLOSED);
    char *name = malloc(op->ns_len + 1);
    if (!name)
        return other("out of memory"); /* before any change (ERR-ATOMIC) */
    int64_t child = new_cap(k, cap_of(k, id)->obj, op->rights, id);
    cap_of(k, child)->at = AT_BINDING;
    memcpy(name, op->ns_name, op->ns_len);
    name[op->ns_len] = '\0';
    k->bindings = grow(k->bindings, &k->capbindings, k->nbindings + 1, sizeof *k->bindings);
    k->bindings[k->nbindings++] = (struct binding){name, op->ns_len, child, op->service_type};
    return ok_null();
}

struct result ns_unbind(struct kernel *k, int64_t pid, const struct op *op)
{
    int64_t id = resolve(k, pid, op->handle);
    if (id == NO_ID)
        return err(E_INVALID_CAPABILITY);
    if (!(cap_of(k, id)->rights & R_MANAGE)) /* rights before the name (RIGHTS-REQUIRED) */
        return err(E_INSUFFICIENT_RIGHTS);
    struct binding *b = find_binding(k, op);
    if (!b)
        return err(E_PORT_NOT_FOUND);
    if (cap_of(k, b->cap)->obj != cap_of(k, id)->obj)
        return err(E_INSUFFICIENT_RIGHTS);
    destroy(k, b->cap); /* detaching it removes the binding */
    return ok_null();
}

/* Lookup, and Connect (which also checks the service type). */
struct result ns_lookup(struct kernel *k, int64_t pid, const struct op *op)
{
    bool typed = op->name == OP_CONNECT;
    if (!kernel_proc(k, pid)->may_lookup) /* the caller's authority first */
        return err(E_INSUFFICIENT_RIGHTS);
    if (!valid_name(k, op) || (typed && (op->service_type < 0 || op->service_type > MAX_U32)))
        return err(E_INVALID_ARGUMENT);
    struct binding *b = find_binding(k, op);
    if (!b)
        return err(E_PORT_NOT_FOUND);
    if (typed && b->service_type != op->service_type)
        return err(E_TYPE_MISMATCH);
    if (!handle_room(k, pid, 1))
        return err(E_OUT_OF_MEMORY); /* the handle quota */
    int64_t child = new_cap(k, cap_of(k, b->cap)->obj, cap_of(k, b->cap)->rights, b->cap);
    return ok_int(install(k, pid, child));
}
