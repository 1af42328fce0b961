/* The bookkeeping the rules share (kernel.c), for the chapters in other
 * files (namespace.c). */
#ifndef VCT_KERNEL_INTERNAL_H
#define VCT_KERNEL_INTERNAL_H

#include "kernel.h"

void *grow(void *p, size_t *cap, size_t need, size_t size);
struct result ok_null(void);
struct result ok_int(int64_t v);
struct result err(int e);
struct result other(const char *detail);
struct cap *cap_of(struct kernel *k, int64_t id);
struct port *port_of(struct kernel *k, int64_t obj);
/* CAP-HANDLE: the capability `handle` names in `pid`'s table, or NO_ID. */
int64_t resolve(struct kernel *k, int64_t pid, int64_t handle);
/* A new capability node (a child of `parent`, or a root), held nowhere yet. */
int64_t new_cap(struct kernel *k, int64_t obj, int rights, int64_t parent);
/* Put capability `id` into `pid`'s table under a new handle. */
int64_t install(struct kernel *k, int64_t pid, int64_t id);
/* Detach `id` from where it is held and remove it; children move up (CAP-DROP). */
void destroy(struct kernel *k, int64_t id);

/* namespace.c */
void unpublish(struct kernel *k, int64_t cap);
void unbind_port(struct kernel *k, int64_t obj);
struct result ns_bind(struct kernel *k, int64_t pid, const struct op *op);
struct result ns_unbind(struct kernel *k, int64_t pid, const struct op *op);
struct result ns_lookup(struct kernel *k, int64_t pid, const struct op *op);

#endif
