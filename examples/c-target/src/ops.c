/* Operation records on the wire: each operation's fields, their JSON types
 * and defaults (OPERATIONS.md, operations.schema.json), decoded into a
 * `struct op`. A missing required field or an unknown one is a protocol
 * error; a field of the wrong type is the operation's InvalidArgument
 * (ERR-TOTAL).
 */
#include <stdio.h>
#include <string.h>

#include "wire.h"

enum field_type { F_INT, F_INT_OR_NULL, F_HEX, F_INT_LIST, F_STR, F_BOOL };

struct field {
    const char *name;
    enum field_type type;
    bool required;
};

struct op_fields {
    const char *name;
    enum op_name op;
    struct field fields[7]; /* the longest record (Send) has 6, then the end mark */
};

static const struct op_fields OPS[] = {
    {"Spawn", OP_SPAWN, {{"may_bind", F_BOOL, false}, {"may_lookup", F_BOOL, false}}},
    {"Kill", OP_KILL, {{"target", F_INT, true}}},
    {"AdvanceClock", OP_ADVANCE_CLOCK, {{"ticks", F_INT, true}}},
    {"Inspect", OP_INSPECT, {{"handle", F_INT, true}}},
    {"Drop", OP_DROP, {{"handle", F_INT, true}}},
    {"Derive", OP_DERIVE, {{"handle", F_INT, true}, {"rights", F_INT, true}}},
    {"Revoke", OP_REVOKE, {{"handle", F_INT, true}}},
    {"CreatePort", OP_CREATE_PORT, {{"capacity", F_INT, true}}},
    {"Send",
     OP_SEND,
     {{"handle", F_INT, true},
      {"msg_type", F_INT, true},
      {"flags", F_INT, true},
      {"data", F_HEX, true},
      {"caps", F_INT_LIST, false},
      {"timeout", F_INT_OR_NULL, false}}},
    {"Receive", OP_RECEIVE, {{"handle", F_INT, true}, {"timeout", F_INT_OR_NULL, false}}},
    {"Resume", OP_RESUME, {{0}}},
    {"Close", OP_CLOSE, {{"handle", F_INT, true}}},
    {"Bind",
     OP_BIND,
     {{"handle", F_INT, true},
      {"name", F_STR, true},
      {"service_type", F_INT, false},
      {"rights", F_INT, false}}},
    {"Unbind", OP_UNBIND, {{"handle", F_INT, true}, {"name", F_STR, true}}},
    {"Lookup", OP_LOOKUP, {{"name", F_STR, true}}},
    {"Connect", OP_CONNECT, {{"name", F_STR, true}, {"service_type", F_INT, true}}},
};

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode a hex string (pairs of hex digits; ASCII whitespace between pairs is
 * skipped). Stores at most MAX_INLINE_DATA bytes, counts them all. */
static bool decode_hex(const char *s, size_t n, struct op *op)
{
    size_t len = 0;
    for (size_t i = 0; i < n;) {
        if (strchr(" \t\n\r\f\v", s[i]) && s[i] != '\0') {
            i++;
            continue;
        }
        if (i + 1 >= n)
            return false;
        int hi = hex_digit((unsigned char)s[i]), lo = hex_digit((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        if (len < MAX_INLINE_DATA)
            op->data[len] = (uint8_t)(hi * 16 + lo);
        len++;
        i += 2;
    }
    op->data_len = len;
    return true;
}

static void store_int(struct op *op, const char *name, int64_t v)
{
    if (!strcmp(name, "handle"))
        op->handle = v;
    else if (!strcmp(name, "target"))
        op->target = v;
    else if (!strcmp(name, "rights"))
        op->rights = v;
    else if (!strcmp(name, "capacity"))
        op->capacity = v;
    else if (!strcmp(name, "msg_type"))
        op->msg_type = v;
    else if (!strcmp(name, "flags"))
        op->flags = v;
    else if (!strcmp(name, "service_type"))
        op->service_type = v;
    else if (!strcmp(name, "ticks"))
        op->ticks = v;
    else if (!strcmp(name, "timeout"))
        op->timeout = v;
}

/* One field's value into `op`; false when it has the wrong type. */
static bool decode_field(const struct field *f, json_t *v, struct op *op)
{
    switch (f->type) {
    case F_INT_OR_NULL:
        if (json_is_null(v)) {
            op->timeout_null = true;
            return true;
        }
        op->timeout_null = false;
        /* fall through */
    case F_INT:
        if (!json_is_integer(v))
            return false;
        store_int(op, f->name, json_integer_value(v));
        return true;
    case F_BOOL:
        if (!json_is_boolean(v))
            return false;
        if (!strcmp(f->name, "may_bind"))
            op->may_bind = json_is_true(v);
        else
            op->may_lookup = json_is_true(v);
        return true;
    case F_STR:
        if (!json_is_string(v))
            return false;
        op->ns_name = json_string_value(v);
        op->ns_len = json_string_length(v);
        op->ns_no_nul = memchr(op->ns_name, '\0', op->ns_len) == NULL;
        return true;
    case F_HEX:
        return json_is_string(v) && decode_hex(json_string_value(v), json_string_length(v), op);
    case F_INT_LIST: {
        if (!json_is_array(v))
            return false;
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!json_is_integer(item))
                return false;
            if (i < MAX_MESSAGE_CAPS)
                op->caps[i] = json_integer_value(item);
        }
        op->ncaps = json_array_size(v);
        return true;
    }
    }
    return false;
}

bool plain_string(json_t *v)
{
    return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

bool plain_keys(json_t *obj)
{
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it))
        if (strlen(json_object_iter_key(it)) != json_object_iter_key_len(it))
            return false;
    return true;
}

enum decode_status decode_op(json_t *data, struct op *op, char *why, size_t whylen)
{
    json_t *name = json_object_get(data, "op"), *args = json_object_get(data, "args");
    if (!json_is_object(data) || !plain_string(name) || !plain_keys(data)) {
        snprintf(why, whylen, "an operation is {\"op\": Name, \"args\": {...}}");
        return DECODE_BAD;
    }
    const struct op_fields *spec = NULL;
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (!strcmp(OPS[i].name, json_string_value(name)))
            spec = &OPS[i];
    if (!spec) {
        snprintf(why, whylen, "operation %.60s is not implemented (groups caps, rights,"
                 " ports, messages, namespace, timeouts, errors)", json_string_value(name));
        return DECODE_BAD;
    }
    if (json_object_size(data) != 2 || !json_is_object(args) || !plain_keys(args)) {
        snprintf(why, whylen, "%s: an operation is exactly {op, args: {...}}", spec->name);
        return DECODE_BAD;
    }
    const char *key;
    json_t *value;
    json_object_foreach(args, key, value)
    {
        bool known = false;
        for (const struct field *f = spec->fields; f->name; f++)
            known = known || !strcmp(f->name, key);
        if (!known) {
            snprintf(why, whylen, "%s: unknown field %.40s", spec->name, key);
            return DECODE_BAD;
        }
    }
    /* defaults: a binding publishes SEND, a process gets the namespace */
    *op = (struct op){.name = spec->op, .rights = R_SEND, .may_bind = true, .may_lookup = true};
    bool well_typed = true;
    for (const struct field *f = spec->fields; f->name; f++) {
        json_t *v = json_object_get(args, f->name);
        if (!v) {
            if (f->required) {
                snprintf(why, whylen, "%s: missing field %s", spec->name, f->name);
                return DECODE_BAD;
            }
            continue; /* defaults: caps [], timeout 0, rights SEND, may_* true */
        }
        if (!decode_field(f, v, op))
            well_typed = false;
    }
    return well_typed ? DECODE_OK : DECODE_ILL_TYPED;
}
