/* The *_INIT macros compile without warnings under -Wall -Wextra -pedantic. */
#include <llmgw/llmgw.h>

int header_test_macros(void);
int header_test_macros(void)
{
    llmgw_gateway_options g = LLMGW_GATEWAY_OPTIONS_INIT;
    llmgw_deployment_options d = LLMGW_DEPLOYMENT_OPTIONS_INIT;
    llmgw_stream_sink s = LLMGW_STREAM_SINK_INIT;
    llmgw_buf b = LLMGW_BUF_INIT;
    return (int)(g.version + d.version + s.version) + (b.ptr != NULL);
}
