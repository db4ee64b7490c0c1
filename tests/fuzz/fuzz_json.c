/*
 * tests/fuzz/fuzz_json.c: libFuzzer target for lib/core/json.c: the
 * pre-scan, llmgw__json_parse and the allocation-free grammar check that
 * tells cJSON's "malformed" from "out of memory".
 *
 * Oracles beyond "no crash, no leak": with memory to spare,
 * llmgw__json_parse never reports LLMGW_ENOMEM (the check never accepts what
 * cJSON rejects), and whatever it parses the check accepts too (so a real
 * allocation failure on that text is reported as one); a parsed value
 * prints, and the print parses back to the same print; the public view
 * (llmgw_json_parse) agrees with the internal parse.
 */
#include "fuzz_common.h"

#include "core/buf.h"
#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    llmgw_buf one = LLMGW_BUF_INIT, two = LLMGW_BUF_INIT;
    llmgw_json *view = NULL;
    cJSON *root, *again;
    int rc;

    root = llmgw__json_parse(text, size, LLMGW_ERRCLASS_SERVER_ERROR);
    rc = llmgw_json_parse(&view, text, size);
    FUZZ_CHECK((root != NULL) == (rc == 0) && (rc == 0) == (view != NULL));
    llmgw_json_free(view);
    if (root == NULL) {
        FUZZ_CHECK(llmgw_error_last()->code != LLMGW_ENOMEM);
        return 0;
    }
    FUZZ_CHECK(llmgw__json_would_parse(text, size));
    FUZZ_CHECK(llmgw__json_print(&one, root) == 0);
    again = llmgw__json_parse(one.ptr, one.size, LLMGW_ERRCLASS_SERVER_ERROR);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(llmgw__json_print(&two, again) == 0);
    FUZZ_CHECK(one.size == two.size && memcmp(one.ptr, two.ptr, one.size) == 0);
    cJSON_Delete(again);
    cJSON_Delete(root);
    llmgw_buf_dispose(&one);
    llmgw_buf_dispose(&two);
    return 0;
}
