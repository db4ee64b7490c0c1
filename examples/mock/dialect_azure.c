/*
 * llmgw mock upstream: azure dialect. Placeholder: it claims no path yet
 * (the providers issues add the wire format here).
 */
#include "mock_internal.h"

static int azure_match(const mock_request *req)
{
    (void)req;
    return 0;
}

const mock_dialect mock_dialect_azure = {
    .name = "azure",
    .stream_content_type = "text/event-stream",
    .match = azure_match,
};
