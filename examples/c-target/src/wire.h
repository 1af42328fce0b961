/* JSON encodings (conformance/PROTOCOL.md): operations in, results and
 * observations out. */
#ifndef VCT_WIRE_H
#define VCT_WIRE_H

#include <jansson.h>

#include "kernel.h"

/* How decoding an operation ended. */
enum decode_status {
    DECODE_OK,         /* *op is ready */
    DECODE_ILL_TYPED,  /* a field of the wrong type: InvalidArgument (ERR-TOTAL) */
    DECODE_BAD,        /* not a valid operation record: a protocol error */
};

/* Decode `{"op": Name, "args": {...}}`; on DECODE_BAD, `why` says what is wrong. */
enum decode_status decode_op(json_t *data, struct op *op, char *why, size_t whylen);

/* A string with no NUL byte inside (JSON "\u0000" is allowed in names only). */
bool plain_string(json_t *v);
/* Every key of object `obj` is a plain string. */
bool plain_keys(json_t *obj);

json_t *encode_result(const struct result *r);
json_t *encode_observation(struct kernel *k);

#endif
