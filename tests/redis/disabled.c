/* tests/redis/disabled.c: the Redis tests in a build without the `redis` feature. */
#include <stdio.h>

int main(void)
{
    puts("SKIP: llmgw was built without the redis feature (hiredis not found, or -Dredis=disabled): "
         "no shared-state tests to run");
    return 77;
}
