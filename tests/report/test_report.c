/*
 * tests/report/test_report.c: llmgw_cost_report() and llmgw_cost_simulate()
 * (lib/accounting/report*.c, simulate.c, logread.c, logtime.c) in C: records
 * written through the usage-log sink are reported with totals computed
 * here in 128-bit integers; times and windows; hostile lines; the group
 * limit; sums that would overflow; text escaping. Options, errors and price
 * files are in test_report_errors.c; check_cost.py drives the CLI over
 * thousands of random records.
 */
#include "report_test.h"

#include "accounting/logread.h"
#include "accounting/usage_log.h"

__extension__ typedef __int128 i128;

/* ---- the sink's records, reported ---- */

static void make(llmgw_usage *u, llmgw_attempt *trail, char *id, int i)
{
    static const char *const customers[] = { "acme", "beta", NULL };
    static const char *const tags_a[] = { "x", "y" };

    memset(u, 0, sizeof(*u));
    memset(trail, 0, 2 * sizeof(*trail));
    snprintf(id, 32, "req-%d", i);
    u->version = LLMGW_USAGE_VERSION;
    u->request_id = id;
    u->operation = "chat";
    u->group = i % 2 ? "smart" : "cheap";
    u->provider = "openai";
    u->model = i % 3 ? "gpt-4o" : "gpt-4o-mini";
    u->status = i % 7 == 0 ? LLMGW_EUNAVAILABLE : 0;
    u->input_tokens = 1000 + (uint64_t)i * 37;
    u->output_tokens = 10 + (uint64_t)i;
    u->cache_read_tokens = (uint64_t)i % 500;
    u->total_tokens = u->input_tokens + u->output_tokens;
    /* costs near 2^43 nano-USD: two thousand of them pass 2^53, exact in int64, not in a double */
    u->cost_nusd = ((int64_t)1 << 43) + i * 1000003LL;
    u->cost_source = i % 11 == 0 ? LLMGW_COST_UNKNOWN : LLMGW_COST_COMPUTED;
    u->start_time_us = 1767225600000000LL + (int64_t)i * 3600 * 1000000LL;   /* hourly from 2026-01-01 */
    u->ttft_us = -1;
    trail[0].status = LLMGW_EUNAVAILABLE;
    trail[0].cost_nusd = 1000 + i;
    trail[0].cost_source = LLMGW_COST_COMPUTED;
    trail[0].retry_after_ms = -1;
    trail[1].retry_after_ms = -1;
    u->trail = trail;
    u->attempts = 2;
    u->customer = customers[i % 3];
    u->tags = tags_a;
    u->tag_count = (size_t)(i % 3);
}

static void test_sink_to_report(void **state)
{
    char *dir = tmpdir_new(), path[256], id[32];
    const char *paths[1] = { path };
    llmgw_usage_log_options lo = LLMGW_USAGE_LOG_OPTIONS_INIT;
    llmgw_report_options o = LLMGW_REPORT_OPTIONS_INIT;
    llmgw_usage_log *log = NULL;
    llmgw_attempt trail[2];
    llmgw_usage u;
    i128 spend = 0, acme = 0, err = 0, day2 = 0;
    uint64_t in = 0, reqs_day2 = 0;
    const int n = 2000;
    char text[64];
    cJSON *doc;
    int i;

    (void)state;
    snprintf(path, sizeof(path), "%s/usage.jsonl", dir);
    lo.path = path;
    assert_int_equal(llmgw_usage_log_open(&log, &lo), 0);
    for (i = 0; i < n; i++) {
        make(&u, trail, id, i);
        llmgw_usage_log_callback(&u, log);
        if (u.cost_source != LLMGW_COST_UNKNOWN) {
            spend += u.cost_nusd;
            if (i % 3 == 0)
                acme += u.cost_nusd;
            if (i / 24 == 1)
                day2 += u.cost_nusd;
        }
        err += u.status != 0 ? (u.cost_source != LLMGW_COST_UNKNOWN ? u.cost_nusd : 0) : 1000 + i;
        in += u.input_tokens;
        reqs_day2 += i / 24 == 1;
    }
    assert_int_equal(llmgw_usage_log_close(log), 0);

    o.by = "customer";
    doc = report(paths, 1, &o, false);
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "totals");
        /* the total passes 2^53, beyond a double: the exact checks read the report's text below */
        assert_true(spend > ((i128)1 << 53));
        snprintf(text, sizeof(text), "%lld", (long long)spend);
        assert_int_equal(num(t, "requests"), n);
        assert_int_equal((uint64_t)num(t, "input_tokens"), in);
        assert_int_equal(num(t, "unknown_cost_requests"), (n + 10) / 11);
    }
    assert_int_equal((int64_t)num(group(doc, "acme"), "requests"), (n + 2) / 3);
    cJSON_Delete(doc);

    /* exact integers in the text itself */
    {
        llmgw_buf out = LLMGW_BUF_INIT;
        char want[96];
        assert_int_equal(llmgw_cost_report(&out, paths, 1, &o), 0);
        snprintf(want, sizeof(want), "\"totals\":{\"key\":null,\"requests\":%d,", n);
        assert_contains(out.ptr, want);
        snprintf(want, sizeof(want), "\"spend_nano_usd\":%s,", text);
        assert_contains(out.ptr, want);
        snprintf(want, sizeof(want), "{\"key\":\"acme\",\"requests\":%d,", (n + 2) / 3);
        assert_contains(out.ptr, want);
        snprintf(want, sizeof(want), "\"spend_nano_usd\":%lld,", (long long)acme);
        assert_contains(out.ptr, want);
        snprintf(want, sizeof(want), "\"error_spend_nano_usd\":%lld,", (long long)err);
        assert_contains(out.ptr, want);
        llmgw_buf_dispose(&out);
    }

    /* the second day, by day */
    o.by = "day";
    o.since = "2026-01-02";
    o.until = "2026-01-03T00:00:00Z";
    {
        llmgw_buf out = LLMGW_BUF_INIT;
        char want[96];
        assert_int_equal(llmgw_cost_report(&out, paths, 1, &o), 0);
        snprintf(want, sizeof(want), "{\"key\":\"2026-01-02\",\"requests\":%llu,", (unsigned long long)reqs_day2);
        assert_contains(out.ptr, want);
        snprintf(want, sizeof(want), "\"spend_nano_usd\":%lld,", (long long)day2);
        assert_contains(out.ptr, want);
        snprintf(want, sizeof(want), "\"outside_window\":%llu,", (unsigned long long)(n - reqs_day2));
        assert_contains(out.ptr, want);
        llmgw_buf_dispose(&out);
    }
    tmpdir_free(dir);
}

/* ---- times ---- */

static void test_times(void **state)
{
    int64_t t;
    char s[48];

    (void)state;
    assert_int_equal(llmgw__time_parse(&t, "2026-01-01", 0), 0);
    assert_int_equal(t, 1767225600000000LL);
    assert_int_equal(llmgw__time_parse(&t, "2026-01-01T00:00:00Z", 0), 0);
    assert_int_equal(t, 1767225600000000LL);
    assert_int_equal(llmgw__time_parse(&t, "2026-01-01T02:30:00+02:30", 0), 0);
    assert_int_equal(t, 1767225600000000LL);
    assert_int_equal(llmgw__time_parse(&t, "2025-12-31 19:00:00.5-05:00", 0), 0);
    assert_int_equal(t, 1767225600500000LL);
    assert_int_equal(llmgw__time_parse(&t, "2024-02-29T12:00:00.123456789z", 0), 0);
    assert_int_equal(t, 1709208000123456LL);
    assert_int_equal(llmgw__time_parse(&t, "1970-01-01T00:00:00Z", 0), 0);
    assert_int_equal(t, 0);
    assert_int_equal(llmgw__time_parse(&t, "7d", 1000000000000000LL), 0);
    assert_int_equal(t, 1000000000000000LL - 7LL * 86400 * 1000000);
    assert_int_equal(llmgw__time_parse(&t, "90m", 1000000000000000LL), 0);
    assert_int_equal(t, 1000000000000000LL - 90LL * 60 * 1000000);
    assert_int_equal(llmgw__time_parse(&t, "2w", 1000000000000000LL), 0);
    assert_int_equal(t, 1000000000000000LL - 14LL * 86400 * 1000000);
    {
        static const char *const bad[] = { "", "2026-13-01", "2026-02-30", "2025-02-29", "2026-01-01T24:00Z",
                                           "2026-01-01T10:00:00+2", "2026-01-01X", "1969-12-31", "7y", "d",
                                           "2026-1-1", "2026-01-01T10", "2026-01-01T10:00:00.Z", "12345678d" };
        size_t i;
        for (i = 0; i < LLMGW_ARRAY_SIZE(bad); i++)
            if (llmgw__time_parse(&t, bad[i], 0) != LLMGW_EINVAL)
                fail_msg("'%s' was accepted", bad[i]);
    }
    llmgw__time_format(s, sizeof(s), 1767225600000000LL);
    assert_string_equal(s, "2026-01-01T00:00:00Z");
    llmgw__time_format(s, sizeof(s), 1709208000123456LL);
    assert_string_equal(s, "2024-02-29T12:00:00.123456Z");
    llmgw__day_format(s, sizeof(s), 1767225599999999LL);
    assert_string_equal(s, "2025-12-31");
    llmgw__time_format(s, sizeof(s), 253402300799000000LL);
    assert_string_equal(s, "9999-12-31T23:59:59Z");
}

/* ---- hostile lines ---- */

static void test_bad_lines_and_keys(void **state)
{
    char *dir = tmpdir_new(), path[256], long_key[700], want[400];
    const char *paths[1] = { path };
    llmgw_report_options o = LLMGW_REPORT_OPTIONS_INIT;
    llmgw_buf text = LLMGW_BUF_INIT;
    const cJSON *in, *g;
    FILE *f;
    cJSON *doc;
    size_t nkeys = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/log", dir);
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("{\"status\":\"success\",\"customer\":\"\\u001b[31mred\\u009b\",\"cost_nano_usd\":5}\n", f);
    fputs("{\"status\":\"success\",\"customer\":\"\xff\xfe bad utf8\",\"cost_nano_usd\":7}\n", f);
    fprintf(f, "{\"status\":\"success\",\"customer\":\"%s\",\"cost_nano_usd\":11}\n", long_key);
    fputs("{\"status\":\"failure\",\"cost_nano_usd\":-1}\n", f);
    fputs("{\"status\":\"success\",\"saved_cost_nano_usd\":9007199254740993}\n", f);   /* reads as 2^53 */
    fputs("{\"status\":\"success\",\"cache_hit\":\"yes\"}\n", f);
    fputs("{\"status\":\"success\",\"trail\":[{\"status\":\"failure\",\"cost_nano_usd\":\"x\"}]}\n", f);
    fputs("{\"status\":\"success\",\"tags\":[\"a\",\"a\",\"b\"],\"cost_nano_usd\":13}\n", f);
    fputs("\n", f);
    fputs("{\"status\":\"success\",\"cost_nano_usd\":17}", f);      /* the last line has no '\n' */
    fclose(f);

    o.by = "customer";
    doc = report(paths, 1, &o, false);
    in = cJSON_GetObjectItemCaseSensitive(doc, "input");
    assert_int_equal(num(in, "lines"), 10);
    assert_int_equal(num(in, "records"), 5);
    assert_int_equal(num(in, "bad_lines"), 4);
    assert_int_equal(num(in, "bad_record"), 4);
    assert_int_equal(num(in, "blank_lines"), 1);
    snprintf(want, sizeof(want), "%s:4: cost_nano_usd is not an integer in [0, 2^53)", path);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(in, "first_bad_line")->valuestring, want);
    assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(doc, "totals"), "spend_nano_usd"), 5 + 7 + 11 + 13 + 17);
    assert_int_equal(num(group(doc, "\x1b[31mred\xc2\x9b"), "spend_nano_usd"), 5);       /* JSON keeps it, escaped */
    assert_int_equal(num(group(doc, "\xef\xbf\xbd\xef\xbf\xbd bad utf8"), "spend_nano_usd"), 7);
    long_key[LLMGW__LOGREAD_MAX_KEY] = '\0';                                             /* cut to 256 bytes */
    assert_int_equal(num(group(doc, long_key), "spend_nano_usd"), 11);
    assert_int_equal(num(group(doc, NULL), "spend_nano_usd"), 13 + 17);
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(doc, "groups"))
        nkeys++;
    assert_int_equal(nkeys, 4);
    cJSON_Delete(doc);

    /* tags are counted once per record */
    o.by = "tag";
    doc = report(paths, 1, &o, false);
    assert_int_equal(num(group(doc, "a"), "requests"), 1);
    assert_int_equal(num(group(doc, "b"), "requests"), 1);
    assert_int_equal(num(group(doc, NULL), "requests"), 4);
    cJSON_Delete(doc);

    /* the table cannot drive the terminal */
    o.by = "customer";
    o.format = "text";
    assert_int_equal(llmgw_cost_report(&text, paths, 1, &o), 0);
    assert_null(strchr(text.ptr, '\x1b'));
    assert_null(strstr(text.ptr, "\xc2\x9b"));
    assert_contains(text.ptr, "?[31mred?");
    assert_contains(text.ptr, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk~ ");   /* 48 columns */
    assert_contains(text.ptr, "4 bad lines skipped (first: ");
    llmgw_buf_dispose(&text);
    tmpdir_free(dir);
}

/* ---- more keys than max_groups ---- */

static void test_other_group(void **state)
{
    char *dir = tmpdir_new(), path[256], line[128];
    const char *paths[1] = { path };
    llmgw_report_options o = LLMGW_REPORT_OPTIONS_INIT;
    const cJSON *g, *other = NULL;
    FILE *f;
    cJSON *doc;
    int i, named = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/log", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    for (i = 0; i < 10; i++) {
        snprintf(line, sizeof(line), "{\"status\":\"success\",\"customer\":\"c%d\",\"cost_nano_usd\":%d}\n", i, i + 1);
        fputs(line, f);
    }
    fclose(f);
    o.by = "customer";
    o.max_groups = 3;
    doc = report(paths, 1, &o, false);
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(doc, "groups")) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "other")))
            other = g;
        else
            named++;
    }
    assert_int_equal(named, 3);
    assert_non_null(other);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(other, "key")));
    assert_int_equal(num(other, "requests"), 7);
    assert_int_equal(num(other, "spend_nano_usd"), 4 + 5 + 6 + 7 + 8 + 9 + 10);
    assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(doc, "totals"), "spend_nano_usd"), 55);
    cJSON_Delete(doc);
    tmpdir_free(dir);
}

/* ---- sums that would overflow ---- */

static void test_overflow_rejected(void **state)
{
    char *dir = tmpdir_new(), path[256], want[96];
    const char *paths[1] = { path };
    llmgw_report_options o = LLMGW_REPORT_OPTIONS_INIT;
    llmgw_buf out = LLMGW_BUF_INIT;
    FILE *f;
    int i;

    (void)state;
    snprintf(path, sizeof(path), "%s/log", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    for (i = 0; i < 1100; i++)           /* 2^53 - 1 each: 1,024 of them fit in int64, the 1,025th does not */
        fputs("{\"status\":\"success\",\"customer\":\"big\",\"cost_nano_usd\":9007199254740991}\n", f);
    fclose(f);
    assert_int_equal(llmgw_cost_report(&out, paths, 1, &o), 0);
    assert_contains(out.ptr, "\"records\":1024,");
    assert_contains(out.ptr, "\"bad_overflow\":76,");
    snprintf(want, sizeof(want), "\"spend_nano_usd\":%lld,", 1024LL * 9007199254740991LL);
    assert_contains(out.ptr, want);
    assert_contains(out.ptr, "\"spend_usd\":9223372036.854774784,");
    llmgw_buf_dispose(&out);

    o.as = "openai/gpt-4o";                /* the simulation's sums too */
    assert_int_equal(llmgw_cost_simulate(&out, paths, 1, &o), 0);
    assert_contains(out.ptr, "\"bad_overflow\":76,");
    snprintf(want, sizeof(want), "\"current_nano_usd\":%lld,", 1024LL * 9007199254740991LL);
    assert_contains(out.ptr, want);
    llmgw_buf_dispose(&out);
    tmpdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sink_to_report),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_bad_lines_and_keys),
        cmocka_unit_test(test_other_group),
        cmocka_unit_test(test_overflow_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
