/* The kernel state and its rules: processes, capabilities (a derivation
 * tree), ports and the messages they queue.
 *
 * Written from conformance/OPERATIONS.md and conformance/PROTOCOL.md: the
 * groups caps, rights, ports, messages, namespace, timeouts and errors. Every operation checks
 * all its errors, in the documented precedence order, before it changes
 * anything (ERR-ATOMIC).
 */
#ifndef VCT_KERNEL_H
#define VCT_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IpcError codes (OPERATIONS.md, "Errors"); 0 is "no error". */
enum ipc_error {
    E_OK = 0,
    E_PORT_NOT_FOUND = 1,
    E_PORT_CLOSED = 2,
    E_PORT_FULL = 3,
    E_INSUFFICIENT_RIGHTS = 4,
    E_INVALID_CAPABILITY = 5,
    E_MESSAGE_TOO_LARGE = 6,
    E_INVALID_MESSAGE = 7,
    E_OUT_OF_MEMORY = 8,
    E_WOULD_BLOCK = 9,
    E_TIMEOUT = 10,
    E_TYPE_MISMATCH = 11,
    E_INVALID_ARGUMENT = 12,
    E_NAME_IN_USE = 13,
    E_OUT_OF_BOUNDS = 14,
    E_FILTERED = 15,
    E_RATE_LIMITED = 16,
    E_NO_SUCH_PROCESS = 17,
    E_PROCESS_BLOCKED = 18,
    E_NOT_CONNECTED = 19,
    E_ALREADY_CONNECTED = 20,
};

const char *ipc_error_name(int code);

/* Rights bits (RIGHTS-BITS). */
#define R_SEND 0x01
#define R_RECEIVE 0x02
#define R_MANAGE 0x04
#define R_GRANT 0x08
#define R_READ 0x10
#define R_WRITE 0x20
#define R_ALL 0x3f
#define R_PORT (R_SEND | R_RECEIVE | R_MANAGE | R_GRANT)

#define MAX_INLINE_DATA 64 /* MSG-LIMITS */
#define MAX_MESSAGE_CAPS 4 /* MSG-LIMITS */
#define MAX_U32 4294967295LL
#define MAX_FLAGS 65535LL
#define NO_ID (-1)
/* An error outside the IpcError enum (answered as "Other" with a detail). */
#define E_OTHER 100

/* A received message, as the receiver sees it (handles, or NO_ID for a
 * capability revoked in flight: null on the wire). */
struct delivered {
    int64_t sender, msg_type, flags;
    uint8_t data[MAX_INLINE_DATA];
    size_t len;
    int ncaps;
    int64_t caps[MAX_MESSAGE_CAPS];
};

enum result_kind { RES_ERR, RES_NULL, RES_INT, RES_INSPECT, RES_DELIVERED, RES_BLOCKED };

struct result {
    enum result_kind kind;
    int error;     /* RES_ERR */
    const char *detail; /* E_OTHER: what this target cannot do */
    int64_t value; /* RES_INT; RES_INSPECT: the rights */
    struct delivered msg;
};

/* A message queued on a port: its capabilities are in flight (cap ids, or
 * NO_ID once revoked). */
struct qmsg {
    int64_t sender, msg_type, flags;
    uint8_t data[MAX_INLINE_DATA];
    size_t len;
    int ncaps;
    int64_t caps[MAX_MESSAGE_CAPS];
};

struct port {
    int64_t id;
    int64_t capacity;
    bool closed;
    bool reclaimed; /* destroyed: nothing reached it any more (CAP-RECLAIM) */
    struct qmsg *queue; /* oldest first */
    size_t nqueue, capqueue;
    int64_t *waiters; /* pids, in arrival order */
    size_t nwaiters, capwaiters;
};

enum cap_at { AT_NOWHERE, AT_HANDLE, AT_FLIGHT, AT_BINDING };

/* One capability: a node of the derivation tree, held in one place. */
struct cap {
    bool live;
    int64_t obj;
    int rights;
    int64_t parent; /* cap id, or NO_ID for a root */
    enum cap_at at;
    int64_t at_pid, at_handle; /* AT_HANDLE */
    int64_t at_port;           /* AT_FLIGHT */
};

/* A namespace binding: a name (UTF-8 bytes, no NUL), the capability it
 * holds (AT_BINDING) and its service type. */
struct binding {
    char *name;
    size_t len;
    int64_t cap;
    int64_t service_type;
};

struct handle_slot {
    int64_t handle, cap;
};

enum status_kind { ST_RUNNING, ST_WAITING, ST_WOKEN };

struct process {
    int64_t pid;
    struct handle_slot *handles; /* ascending handle order */
    size_t nhandles, caphandles;
    int64_t next_handle;
    enum status_kind status;
    int64_t wait_port, wait_cap; /* ST_WAITING */
    bool has_deadline;
    int64_t deadline;
    struct result woken; /* ST_WOKEN */
    bool may_bind, may_lookup; /* namespace authority, given at Spawn (NS-BIND, NS-LOOKUP) */
    int64_t handed;      /* ST_WOKEN by a hand-off: the port (its slot kept), else 0 */
};

/* Config fields the groups use (the others are validated and kept only). */
struct config {
    int64_t max_port_capacity;
    int64_t max_name_length;
    int64_t max_handles, max_objects, max_queued_bytes; /* the quotas */
};

struct kernel {
    struct config config;
    int64_t clock;
    struct process *procs;
    size_t nprocs, capprocs;
    struct cap *caps; /* cap id i is caps[i - 1] */
    size_t ncaps, capcaps;
    struct port *ports; /* ports[i] has id i + 1 (the only objects) */
    size_t nports, capports;
    struct binding *bindings; /* in the order they were made */
    size_t nbindings, capbindings;
    int64_t next_pid;
};

/* An operation, decoded (see ops.c). */
enum op_name {
    OP_SPAWN,
    OP_KILL,
    OP_ADVANCE_CLOCK,
    OP_INSPECT,
    OP_DROP,
    OP_DERIVE,
    OP_REVOKE,
    OP_CREATE_PORT,
    OP_SEND,
    OP_RECEIVE,
    OP_RESUME,
    OP_CLOSE,
    OP_BIND,
    OP_UNBIND,
    OP_LOOKUP,
    OP_CONNECT,
    OP_COUNT
};

struct op {
    enum op_name name;
    int64_t handle, target, rights, capacity, msg_type, flags, ticks, service_type;
    const char *ns_name; /* a namespace name, borrowed from the decoded JSON */
    size_t ns_len;
    bool ns_no_nul; /* the name holds no NUL byte */
    bool timeout_null;
    int64_t timeout;
    bool may_bind, may_lookup; /* Spawn's namespace authority */
    uint8_t data[MAX_INLINE_DATA];
    size_t data_len; /* the full length, which may exceed what is stored */
    size_t ncaps;    /* the full count; caps[] holds the first four */
    int64_t caps[MAX_MESSAGE_CAPS];
};

void kernel_reset(struct kernel *k, int64_t processes, const struct config *cfg);
void kernel_free(struct kernel *k);
/* Apply `op` issued by `pid` (ignored by Spawn and Kill); never fails to answer. */
struct result kernel_apply(struct kernel *k, int64_t pid, const struct op *op);
struct process *kernel_proc(struct kernel *k, int64_t pid);
/* The quota check of a handle install: `pid`'s table has room for `n` more. */
bool handle_room(struct kernel *k, int64_t pid, int64_t n);

#endif
