/* veridian-c-target: a conformance target in C for the groups caps, rights,
 * ports, messages, namespace, timeouts and errors, speaking the JSON-lines protocol of
 * conformance/PROTOCOL.md on standard input and output.
 *
 * The session is a small state machine: hello once, then reset before any
 * apply or observe, bye (or end of input) to finish. Anything else, and any
 * input outside the protocol's limits, is answered with one short `fatal`
 * and exit status 2.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define LINE_LIMIT 4194304 /* bytes, newline included */
#define MAX_PROCESSES 256
#define GROUPS "caps", "rights", "ports", "messages", "namespace", "timeouts", "errors"

static struct kernel kernel;
static char line[LINE_LIMIT + 1];

static void send_json(json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text) {
        fputs("{\"type\":\"fatal\",\"message\":\"cannot encode an answer\"}\n", stdout);
        fflush(stdout);
        exit(2);
    }
    fputs(text, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(text);
}

/* One `fatal` (at most 300 characters), then exit 2. */
static void fatal(const char *what, const char *quote)
{
    char msg[301];
    if (quote) { /* at most 200 bytes of the input, without its line end */
        size_t n = strlen(quote);
        while (n > 0 && (quote[n - 1] == '\n' || quote[n - 1] == '\r'))
            n--;
        snprintf(msg, sizeof msg, "%.90s: %.*s", what, (int)(n < 200 ? n : 200), quote);
    } else {
        snprintf(msg, sizeof msg, "%.300s", what);
    }
    for (char *c = msg; *c; c++) /* printable ASCII: always valid UTF-8 */
        if (*c < 0x20 || *c > 0x7e)
            *c = '?';
    send_json(json_pack("{s:s, s:s}", "type", "fatal", "message", msg));
    kernel_free(&kernel);
    exit(2);
}

/* The next line into `line`; its length, or -1 at end of input. */
static long read_line(void)
{
    size_t n = 0;
    int c = EOF;
    while ((c = getchar()) != EOF) {
        line[n++] = (char)c;
        if (c == '\n')
            break;
        if (n == LINE_LIMIT)
            fatal("a line longer than 4194304 bytes", NULL);
    }
    if (n == 0)
        return -1;
    line[n] = '\0';
    return (long)n;
}

/* `msg` has exactly the keys in `keys` (NULL-terminated) and those in `required`. */
static void check_keys(json_t *msg, const char *type, const char *const *keys)
{
    const char *key;
    json_t *v;
    json_object_foreach(msg, key, v)
    {
        bool known = false;
        for (const char *const *k = keys; *k; k++)
            known = known || !strcmp(*k, key);
        if (!known) {
            char what[80];
            snprintf(what, sizeof what, "%s: unknown field", type);
            fatal(what, key);
        }
    }
    for (const char *const *k = keys; *k; k++)
        if (!json_object_get(msg, *k)) {
            char what[80];
            snprintf(what, sizeof what, "%s: missing field", type);
            fatal(what, *k);
        }
}

static int64_t int_field(json_t *msg, const char *name, const char *type)
{
    json_t *v = json_object_get(msg, name);
    if (!json_is_integer(v)) {
        char what[80];
        snprintf(what, sizeof what, "%s: %s must be an integer", type, name);
        fatal(what, NULL);
    }
    return json_integer_value(v);
}

/* The configuration fields, their defaults and bounds (OPERATIONS.md). */
static const struct {
    const char *name;
    int64_t fallback, bound;
} CONFIG[] = {
    {"max_port_capacity", 1024, 65536},
    {"max_channel_capacity", 4096, 65536},
    {"max_channel_message", 65536, 16777216},
    {"max_buffer_size", 1073741824, 1073741824},
    {"max_io", 1048576, 16777216},
    {"max_name_length", 255, 4096},
    {"default_socket_capacity", 64, 65536},
    {"max_handles", 1048576, 16777216},
    {"max_objects", 1048576, 16777216},
    {"max_queued_bytes", 1099511627776, 70368744177664},
};
#define NCONFIG (sizeof CONFIG / sizeof CONFIG[0])

static void reset(json_t *msg)
{
    static const char *const keys[] = {"type", "processes", "config", NULL};
    check_keys(msg, "reset", keys);
    int64_t processes = int_field(msg, "processes", "reset");
    if (processes < 0 || processes > MAX_PROCESSES)
        fatal("reset: processes must be in 0..256", NULL);
    json_t *cfg = json_object_get(msg, "config");
    if (!json_is_object(cfg) || !plain_keys(cfg))
        fatal("reset: config must be an object", NULL);
    int64_t values[NCONFIG];
    const char *key;
    json_t *v;
    json_object_foreach(cfg, key, v)
    {
        size_t i = 0;
        while (i < NCONFIG && strcmp(CONFIG[i].name, key))
            i++;
        if (i == NCONFIG)
            fatal("reset: config has an unknown field", key);
    }
    for (size_t i = 0; i < NCONFIG; i++) {
        v = json_object_get(cfg, CONFIG[i].name);
        values[i] = v ? int_field(cfg, CONFIG[i].name, "config") : CONFIG[i].fallback;
        if (values[i] < 1 || values[i] > CONFIG[i].bound)
            fatal("reset: config field out of its bounds", CONFIG[i].name);
    }
    if (values[1] * values[2] > 1073741824) /* both bounded: no overflow */
        fatal("reset: max_channel_capacity * max_channel_message above 1073741824", NULL);
    struct config c = {.max_port_capacity = values[0],
                       .max_name_length = values[5],
                       .max_handles = values[7],
                       .max_objects = values[8],
                       .max_queued_bytes = values[9]};
    kernel_reset(&kernel, processes, &c);
    send_json(json_pack("{s:s}", "type", "ready"));
}

static void apply(json_t *msg)
{
    static const char *const keys[] = {"type", "id", "pid", "op", NULL};
    check_keys(msg, "apply", keys);
    int64_t id = int_field(msg, "id", "apply");
    int64_t pid = int_field(msg, "pid", "apply");
    struct op op;
    char why[200];
    struct result r;
    switch (decode_op(json_object_get(msg, "op"), &op, why, sizeof why)) {
    case DECODE_BAD:
        fatal(why, NULL);
        return;
    case DECODE_ILL_TYPED: /* ERR-TOTAL: before anything else */
        r = (struct result){.kind = RES_ERR, .error = E_INVALID_ARGUMENT};
        break;
    case DECODE_OK:
    default:
        r = kernel_apply(&kernel, pid, &op);
    }
    send_json(json_pack("{s:s, s:I, s:o}", "type", "result", "id", (json_int_t)id, "result",
                        encode_result(&r)));
}

static void observe(json_t *msg)
{
    static const char *const keys[] = {"type", "id", NULL};
    check_keys(msg, "observe", keys);
    int64_t id = int_field(msg, "id", "observe");
    send_json(json_pack("{s:s, s:I, s:o}", "type", "observation", "id", (json_int_t)id,
                        "observation", encode_observation(&kernel)));
}

static void hello(json_t *msg)
{
    json_t *protocol = json_object_get(msg, "protocol");
    if (!plain_string(protocol) || strcmp(json_string_value(protocol), "veridian-ipc-conformance"))
        fatal("hello: not the veridian-ipc-conformance protocol", NULL);
    if (int_field(msg, "version", "hello") != 1)
        fatal("hello: this target speaks protocol version 1 only", NULL);
    /* threads within a process (SpawnThread, PROC-THREAD) are not implemented;
       sends never block here: a send's timeout can only be 0 (PORT-SEND-BLOCK) */
    send_json(json_pack("{s:s, s:i, s:s, s:[s,s,s,s,s,s,s], s:[{s:s}, {s:s, s:s, s:[i]}]}",
                        "type", "hello", "version", 1, "name", "veridian-c-target 1.0",
                        "groups", GROUPS, "restricts", "op", "SpawnThread", "op", "Send",
                        "field", "timeout", "in", 0));
}

int main(void)
{
    bool greeted = false, was_reset = false;
    long n;
    while ((n = read_line()) >= 0) {
        json_error_t error;
        json_t *msg = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &error);
        if (!msg)
            fatal(error.text, line);
        json_t *type = json_object_get(msg, "type");
        if (!json_is_object(msg) || !plain_string(type) || !plain_keys(msg)) {
            json_decref(msg);
            fatal("a message is a JSON object with a string type", line);
        }
        const char *t = json_string_value(type);
        if (!strcmp(t, "bye")) {
            json_decref(msg);
            break;
        }
        if (!strcmp(t, "hello")) {
            if (greeted)
                fatal("hello: sent twice", NULL);
            hello(msg);
            greeted = true;
        } else if (!greeted) {
            fatal("the first message must be hello", t);
        } else if (!strcmp(t, "reset")) {
            reset(msg);
            was_reset = true;
        } else if (!was_reset && (!strcmp(t, "apply") || !strcmp(t, "observe"))) {
            fatal("reset must come before apply or observe", NULL);
        } else if (!strcmp(t, "apply")) {
            apply(msg);
        } else if (!strcmp(t, "observe")) {
            observe(msg);
        } else {
            fatal("unknown message type", t);
        }
        json_decref(msg);
    }
    kernel_free(&kernel);
    return 0;
}
