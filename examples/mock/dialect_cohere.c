/*
 * llmgw mock upstream: cohere dialect. Placeholder: it claims no path yet
 * (the providers issues add the wire format here).
 */
#include "mock_internal.h"

static int cohere_match(const mock_request *req)
{
    (void)req;
    return 0;
}

const mock_dialect mock_dialect_cohere = {
    .name = "cohere",
    .stream_content_type = "text/event-stream",
    .match = cohere_match,
};
