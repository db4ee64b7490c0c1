/*
 * llmgw mock upstream: gemini dialect. Placeholder: it claims no path yet
 * (the providers issues add the wire format here).
 */
#include "mock_internal.h"

static int gemini_match(const mock_request *req)
{
    (void)req;
    return 0;
}

const mock_dialect mock_dialect_gemini = {
    .name = "gemini",
    .stream_content_type = "text/event-stream",
    .match = gemini_match,
};
