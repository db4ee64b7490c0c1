/*
 * lib/transport/pool.h: the gateway's pool of libcurl handles (internal to
 * the transport room).
 */
#ifndef LLMGW_TRANSPORT_POOL_H
#define LLMGW_TRANSPORT_POOL_H

#include <curl/curl.h>

#include "http.h"

typedef struct llmgw__conn {
    CURL               *easy;
    CURLM              *multi;
    struct llmgw__conn *next;
} llmgw__conn;

/* Take an idle handle pair or make one; NULL with the last error set. */
llmgw__conn *llmgw__pool_acquire(llmgw__pool *pool);
/* Return it (keep-alive connections stay in its cache). */
void         llmgw__pool_release(llmgw__pool *pool, llmgw__conn *conn);

#endif
