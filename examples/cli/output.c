/*
 * examples/cli/output.c: exit codes, error lines, --json and -u output.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_exit_code(int error_class, int status)
{
    switch (error_class) {
    case LLMGW_ERRCLASS_CONFIG:                  return EXIT_CONFIG;
    case LLMGW_ERRCLASS_AUTH:                    return EXIT_AUTH;
    case LLMGW_ERRCLASS_RATE_LIMIT:              return EXIT_RATE_LIMIT;
    case LLMGW_ERRCLASS_QUOTA_EXCEEDED:          return EXIT_QUOTA;
    case LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED: return EXIT_CONTEXT_LENGTH;
    case LLMGW_ERRCLASS_CONTENT_POLICY:          return EXIT_CONTENT_POLICY;
    case LLMGW_ERRCLASS_TIMEOUT:                 return EXIT_TIMEOUT;
    case LLMGW_ERRCLASS_SERVER_ERROR:            return EXIT_SERVER;
    case LLMGW_ERRCLASS_NETWORK:                 return EXIT_NETWORK;
    case LLMGW_ERRCLASS_BUDGET_EXCEEDED:         return EXIT_BUDGET;
    case LLMGW_ERRCLASS_STREAM_CUT:              return EXIT_STREAM_CUT;
    case LLMGW_ERRCLASS_BAD_REQUEST:             return status == LLMGW_EINVAL ? EXIT_USAGE : EXIT_BAD_REQUEST;
    case LLMGW_ERRCLASS_NOT_FOUND:               return EXIT_NOT_FOUND;
    case LLMGW_ERRCLASS_UNSUPPORTED:             return EXIT_UNSUPPORTED;
    case LLMGW_ERRCLASS_CANCELLED:               return EXIT_CANCELLED;
    default:                                     return status == LLMGW_EINVAL ? EXIT_USAGE : EXIT_ERROR;
    }
}

static const char *class_name(const llmgw_error *e)
{
    const char *c = llmgw_error_class_str(e->error_class);

    return c != NULL && *c ? c : "error";
}

void cli_error_line(const llmgw_error *e)
{
    fprintf(stderr, "llmgw: error: %s: %s\n", class_name(e), e->message);
}

static cJSON *attempts_json(const llmgw_attempt *a, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    size_t i;

    for (i = 0; arr != NULL && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        const char *cls = llmgw_error_class_str(a[i].error_class);
        if (o == NULL)
            break;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "deployment", a[i].deployment ? a[i].deployment : "");
        cJSON_AddStringToObject(o, "status", a[i].status == 0 ? "success" : "failure");
        if (cls != NULL && *cls)
            cJSON_AddStringToObject(o, "error_class", cls);
        else
            cJSON_AddNullToObject(o, "error_class");
        cJSON_AddNumberToObject(o, "http_status", a[i].http_status);
    }
    return arr;
}

void cli_error_json(const llmgw_error *e)
{
    cJSON *root = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(root, "error");
    char *s;

    cJSON_AddStringToObject(err, "class", class_name(e));
    cJSON_AddStringToObject(err, "message", e->message);
    if (e->http_status > 0)
        cJSON_AddNumberToObject(err, "status", e->http_status);
    else
        cJSON_AddNullToObject(err, "status");
    if (e->provider)
        cJSON_AddStringToObject(err, "provider", e->provider);
    else
        cJSON_AddNullToObject(err, "provider");
    if (e->retry_after_ms >= 0)
        cJSON_AddNumberToObject(err, "retry_after_ms", (double)e->retry_after_ms);
    else
        cJSON_AddNullToObject(err, "retry_after_ms");
    cJSON_AddItemToObject(err, "attempts", attempts_json(e->attempts, e->attempt_count));
    s = cJSON_PrintUnformatted(root);
    if (s != NULL) {
        puts(s);
        cJSON_free(s);
    }
    cJSON_Delete(root);
}

int cli_print_json(const llmgw_response *r)
{
    llmgw_buf completion = LLMGW_BUF_INIT, record = LLMGW_BUF_INIT;
    const llmgw_usage *u = llmgw_response_usage(r);
    cJSON *root = NULL, *rec = NULL, *cost, *src;
    char *s;
    int rc = -1;

    if (llmgw_response_to_json(&completion, r) != 0 || llmgw_usage_to_json(&record, u) != 0)
        goto out;
    root = cJSON_Parse(completion.ptr);
    rec = cJSON_Parse(record.ptr);
    if (root == NULL || rec == NULL)
        goto out;
    /* the names the CLI documents, beside the record's own */
    cJSON_AddStringToObject(rec, "deployment", u->deployment ? u->deployment : "");
    src = cJSON_GetObjectItem(rec, "cost_source");
    cJSON_AddStringToObject(rec, "cost_provenance", cJSON_IsString(src) ? src->valuestring : "unknown");
    cost = cJSON_GetObjectItem(rec, "cost_usd");
    if (cost == NULL)
        cJSON_AddNullToObject(rec, "cost_usd");
    cJSON_ReplaceItemInObject(rec, "attempts", attempts_json(u->trail, u->attempts));
    cJSON_AddItemToObject(root, "llmgw", rec);
    rec = NULL;
    s = cJSON_PrintUnformatted(root);
    if (s != NULL) {
        puts(s);
        cJSON_free(s);
        rc = 0;
    }
out:
    cJSON_Delete(root);
    cJSON_Delete(rec);
    llmgw_buf_dispose(&completion);
    llmgw_buf_dispose(&record);
    return rc;
}

void cli_print_usage_line(const llmgw_response *r)
{
    const llmgw_usage *u = llmgw_response_usage(r);
    char cost[64];

    if (u->cost_source == LLMGW_COST_UNKNOWN)
        snprintf(cost, sizeof(cost), "cost unknown");
    else
        snprintf(cost, sizeof(cost), "$%lld.%09lld%s", (long long)(u->cost_nusd / 1000000000),
                 (long long)(u->cost_nusd % 1000000000), u->cost_source == LLMGW_COST_ESTIMATED ? " (estimated)" : "");
    fprintf(stderr, "llmgw: %llu input (%llu cached) + %llu output tokens, %s, %.0f ms, %s/%s%s\n",
            (unsigned long long)u->input_tokens, (unsigned long long)u->cache_read_tokens,
            (unsigned long long)u->output_tokens, cost, (double)u->latency_us / 1000.0,
            u->provider ? u->provider : "?", u->model ? u->model : "?", u->cache_hit ? " (cache hit)" : "");
}
