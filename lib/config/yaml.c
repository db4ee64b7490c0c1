/*
 * lib/config/yaml.c: YAML text to the same cJSON tree JSON gives, from
 * libyaml's events (built only when libyaml is found).
 *
 * Mappings become objects (keys are plain text; duplicate keys are refused),
 * sequences arrays, scalars typed by yaml_scalar.c. Anchors and aliases are
 * supported (an alias is a copy of its anchor's node, counted against the
 * node budget, so "billion laughs" stops at LLMGW__CFG_MAX_NODES), and so are
 * YAML 1.1 merge keys (`<<: *defaults`, `<<: [*a, *b]`; keys written in the
 * mapping win, then earlier sources), which PyYAML, and so LiteLLM, reads.
 * One document only; nesting is capped like JSON's. Errors name the line
 * and column ("llmgw.yaml:3:5: ...").
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <yaml.h>

typedef struct frame {
    cJSON *node;
    bool   is_map;
    char  *key;            /* mapping: the key waiting for its value, or NULL */
    bool   key_is_merge;   /* that key is a plain << */
    cJSON *merge;          /* the << value, applied when the mapping ends */
    char  *anchor;         /* registered when the container ends */
    size_t nodes_at_start;
    size_t nkeys;
} frame;

typedef struct anchor {
    char        *name;
    const cJSON *node;
    size_t       count;    /* nodes in it */
} anchor;

typedef struct builder {
    const char *name;
    frame       stack[LLMGW_JSON_MAX_DEPTH];
    size_t      depth;
    anchor     *anchors;
    size_t      nanchors, anchors_cap;
    size_t      nodes;
    cJSON      *root;
    cJSON      *spent;     /* merge sources, kept alive for the anchors inside them */
    int         docs;
    yaml_mark_t mark;      /* start of the current event */
} builder;

static int fail(builder *b, const char *fmt, ...) LLMGW_PRINTF(2, 3);

static int fail(builder *b, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "%s:%zu:%zu: %s", b->name,
                             b->mark.line + 1, b->mark.column + 1, msg);
}

static int parser_error(builder *b, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        return llmgw__error_oom();
    if (p->error == YAML_READER_ERROR)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "%s: byte %zu: invalid YAML: %s",
                                 b->name, p->problem_offset, p->problem ? p->problem : "read error");
    b->mark = p->problem_mark;
    if (p->context != NULL)
        return fail(b, "invalid YAML: %s (%s, line %zu)", p->problem ? p->problem : "syntax error",
                    p->context, p->context_mark.line + 1);
    return fail(b, "invalid YAML: %s", p->problem ? p->problem : "syntax error");
}

static bool std_tag(const yaml_char_t *tag, const char *kind)
{
    const char *t = (const char *)tag;

    return t == NULL || strcmp(t, "!") == 0 ||
           (strncmp(t, "tag:yaml.org,2002:", 18) == 0 && strcmp(t + 18, kind) == 0);
}

static int count_node(builder *b, size_t n)
{
    if (n > LLMGW__CFG_MAX_NODES - b->nodes)
        return fail(b, "more than %u values (aliases included)", LLMGW__CFG_MAX_NODES);
    b->nodes += n;
    return 0;
}

static int add_anchor(builder *b, const yaml_char_t *name, const cJSON *node, size_t count)
{
    anchor *a;

    if (b->nanchors == b->anchors_cap) {
        size_t cap = b->anchors_cap ? b->anchors_cap * 2 : 8;
        a = llmgw__reallocarray(b->anchors, cap, sizeof(*a));
        if (a == NULL)
            return llmgw__error_oom();
        b->anchors = a;
        b->anchors_cap = cap;
    }
    a = &b->anchors[b->nanchors];
    if ((a->name = llmgw__strdup((const char *)name)) == NULL)
        return llmgw__error_oom();
    a->node = node;
    a->count = count;
    b->nanchors++;
    return 0;
}

static bool has_key(const cJSON *obj, const char *key)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, obj)
        if (strcmp(it->string, key) == 0)
            return true;
    return false;
}

/* Put a finished value (or a just-opened container) where it belongs; takes node. */
static int attach(builder *b, cJSON *node)
{
    frame *top = b->depth ? &b->stack[b->depth - 1] : NULL;

    if (top == NULL) {
        b->root = node;
        return 0;
    }
    if (!top->is_map) {
        if (!cJSON_AddItemToArray(top->node, node))
            goto oom;
        return 0;
    }
    if (top->key_is_merge) {
        if (top->merge != NULL) {
            cJSON_Delete(node);
            return fail(b, "a mapping may have one << merge key");
        }
        top->merge = node;
    } else {
        if (has_key(top->node, top->key)) {
            int rc = fail(b, "duplicate key '%.64s'", top->key);
            cJSON_Delete(node);
            return rc;
        }
        if (++top->nkeys > LLMGW__CFG_MAX_KEYS) {
            cJSON_Delete(node);
            return fail(b, "a mapping has more than %d keys", LLMGW__CFG_MAX_KEYS);
        }
        if (!cJSON_AddItemToObject(top->node, top->key, node))
            goto oom;
    }
    llmgw__free(top->key);
    top->key = NULL;
    top->key_is_merge = false;
    return 0;
oom:
    cJSON_Delete(node);
    return llmgw__error_oom();
}

static int open_container(builder *b, bool is_map, const yaml_char_t *anchor_name, const yaml_char_t *tag)
{
    frame *f, *top = b->depth ? &b->stack[b->depth - 1] : NULL;
    cJSON *node;

    if (top != NULL && top->is_map && top->key == NULL)
        return fail(b, "a key must be a plain value, not a %s", is_map ? "mapping" : "list");
    if (!std_tag(tag, is_map ? "map" : "seq"))
        return fail(b, "unsupported tag on a %s", is_map ? "mapping" : "list");
    if (b->depth == LLMGW_ARRAY_SIZE(b->stack))
        return fail(b, "nested deeper than %d levels", LLMGW_JSON_MAX_DEPTH);
    LLMGW_TRY(count_node(b, 1));
    node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
    if (node == NULL)
        return llmgw__error_oom();
    LLMGW_TRY(attach(b, node));
    f = &b->stack[b->depth++];
    memset(f, 0, sizeof(*f));
    f->node = node;
    f->is_map = is_map;
    f->nodes_at_start = b->nodes;
    if (anchor_name != NULL && (f->anchor = llmgw__strdup((const char *)anchor_name)) == NULL)
        return llmgw__error_oom();
    return 0;
}

/* Move the members of src that target lacks into target. */
static int merge_from(builder *b, frame *f, cJSON *src)
{
    cJSON *it = src->child;

    while (it != NULL) {
        cJSON *next = it->next;
        if (!has_key(f->node, it->string)) {
            if (++f->nkeys > LLMGW__CFG_MAX_KEYS)
                return fail(b, "a mapping has more than %d keys", LLMGW__CFG_MAX_KEYS);
            cJSON_DetachItemViaPointer(src, it);
            if (!cJSON_AddItemToObject(f->node, it->string, it)) {
                cJSON_Delete(it);
                return llmgw__error_oom();
            }
        }
        it = next;
    }
    return 0;
}

static int apply_merge(builder *b, frame *f)
{
    cJSON *m = f->merge, *it;
    int rc = 0;

    f->merge = NULL;
    if (cJSON_IsObject(m)) {
        rc = merge_from(b, f, m);
    } else if (cJSON_IsArray(m)) {
        cJSON_ArrayForEach(it, m)
            if (!cJSON_IsObject(it))
                rc = fail(b, "a << merge list may hold only mappings");
        for (it = m->child; rc == 0 && it != NULL; it = it->next)
            rc = merge_from(b, f, it);
    } else {
        rc = fail(b, "a << merge value must be a mapping or a list of mappings");
    }
    if (!cJSON_AddItemToArray(b->spent, m)) {
        cJSON_Delete(m);
        return rc < 0 ? rc : llmgw__error_oom();
    }
    return rc;
}

static int close_container(builder *b)
{
    frame *f;
    int rc = 0;

    if (b->depth == 0)          /* libyaml balances its events; never trust that with memory */
        return fail(b, "a mapping or list ends that never started");
    f = &b->stack[b->depth - 1];

    if (f->merge != NULL)
        rc = apply_merge(b, f);
    if (rc == 0 && f->anchor != NULL)
        rc = add_anchor(b, (const yaml_char_t *)f->anchor, f->node, b->nodes - f->nodes_at_start + 1);
    llmgw__free(f->anchor);
    f->anchor = NULL;
    b->depth--;
    return rc;
}

static int scalar(builder *b, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value, *why;
    size_t len = ev->data.scalar.length;
    frame *top = b->depth ? &b->stack[b->depth - 1] : NULL;
    cJSON *node;

    if (top != NULL && top->is_map && top->key == NULL) {
        if (memchr(v, '\0', len) != NULL)
            return fail(b, "a NUL character is not allowed in a key");
        if (ev->data.scalar.anchor != NULL)
            return fail(b, "anchors on keys are not supported");
        top->key_is_merge = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && strcmp(v, "<<") == 0;
        top->key = llmgw__strdup(v);
        return top->key ? 0 : llmgw__error_oom();
    }
    node = llmgw__cfg_yaml_scalar(v, len,
                                  ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? LLMGW__SCALAR_PLAIN
                                                                                   : LLMGW__SCALAR_QUOTED,
                                  (const char *)ev->data.scalar.tag, &why);
    if (node == NULL)
        return why ? fail(b, "%s", why) : llmgw__error_oom();
    if (count_node(b, 1) < 0) {
        cJSON_Delete(node);
        return llmgw_error_last()->code;
    }
    LLMGW_TRY(attach(b, node));
    if (ev->data.scalar.anchor != NULL)
        return add_anchor(b, ev->data.scalar.anchor, node, 1);
    return 0;
}

static int alias(builder *b, const yaml_char_t *name)
{
    frame *top = b->depth ? &b->stack[b->depth - 1] : NULL;
    const anchor *a = NULL;
    cJSON *copy;
    size_t i;

    if (top != NULL && top->is_map && top->key == NULL)
        return fail(b, "an alias cannot be a key");
    for (i = b->nanchors; i > 0 && a == NULL; i--)
        if (strcmp(b->anchors[i - 1].name, (const char *)name) == 0)
            a = &b->anchors[i - 1];
    if (a == NULL)
        return fail(b, "unknown anchor '%.64s' (an alias may not point into its own anchor)", (const char *)name);
    LLMGW_TRY(count_node(b, a->count));
    copy = cJSON_Duplicate(a->node, 1);
    if (copy == NULL)
        return llmgw__error_oom();
    return attach(b, copy);
}

static int event(builder *b, const yaml_event_t *ev)
{
    b->mark = ev->start_mark;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->docs > 1)
            return fail(b, "more than one YAML document: put the whole config in one");
        return 0;
    case YAML_MAPPING_START_EVENT:
        return open_container(b, true, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
    case YAML_SEQUENCE_START_EVENT:
        return open_container(b, false, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        return close_container(b);
    case YAML_SCALAR_EVENT:
        return scalar(b, ev);
    case YAML_ALIAS_EVENT:
        return alias(b, ev->data.alias.anchor);
    default:
        return 0;
    }
}

cJSON *llmgw__cfg_parse_yaml(const char *name, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    builder b;
    bool done = false;
    size_t i;
    int rc = 0;

    memset(&b, 0, sizeof(b));
    b.name = name;
    if ((b.spent = cJSON_CreateArray()) == NULL || !yaml_parser_initialize(&p)) {
        cJSON_Delete(b.spent);
        llmgw__error_oom();
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&p, &ev)) {
            rc = parser_error(&b, &p);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = event(&b, &ev);
        yaml_event_delete(&ev);
    }
    if (rc == 0 && b.root == NULL) {
        rc = llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "%s: the config is empty (no YAML document)",
                               name);
    }
    yaml_parser_delete(&p);
    for (i = 0; i < b.depth; i++) {
        llmgw__free(b.stack[i].key);
        llmgw__free(b.stack[i].anchor);
        llmgw__cfg_tree_wipe(b.stack[i].merge);
        cJSON_Delete(b.stack[i].merge);
    }
    for (i = 0; i < b.nanchors; i++)
        llmgw__free(b.anchors[i].name);
    llmgw__free(b.anchors);
    llmgw__cfg_tree_wipe(b.spent);
    cJSON_Delete(b.spent);
    if (rc < 0) {
        llmgw__cfg_tree_wipe(b.root);
        cJSON_Delete(b.root);
        return NULL;
    }
    return b.root;
}
