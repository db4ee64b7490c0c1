#include <llmgw/llmgw.h>
#include <stdio.h>

int main(int argc, char **argv) {          /* usage: hello [provider/model] [prompt] */
    llmgw_gateway *gw = NULL; llmgw_request *req = NULL; llmgw_response *resp = NULL;
    int rc = llmgw_gateway_new(&gw, NULL);  /* keys come from OPENAI_API_KEY, ANTHROPIC_API_KEY ... */
    if (!rc) rc = llmgw_request_new(&req, argc > 1 ? argv[1] : "mock/demo");
    if (!rc) rc = llmgw_request_add_message(req, LLMGW_ROLE_USER, argc > 2 ? argv[2] : "Say hello.");
    if (!rc) rc = llmgw_complete(gw, req, &resp);
    if (!rc) puts(llmgw_response_text(resp));
    else fprintf(stderr, "llmgw: %s: %s\n", llmgw_error_class_str(llmgw_error_last()->error_class),
                 llmgw_error_last()->message);
    llmgw_response_free(resp); llmgw_request_free(req); llmgw_gateway_free(gw);
    return rc ? 1 : 0;
}
