/*
 * llmgw.h: the whole public API an application needs.
 *
 *   #include <llmgw/llmgw.h>
 *
 * Extension points (providers, cache backends, error setting) are in
 * <llmgw/sys/...> and are not included here.
 */
#ifndef LLMGW_H
#define LLMGW_H

#include "common.h"
#include "version.h"
#include "errors.h"
#include "buf.h"
#include "hooks.h"
#include "gateway.h"
#include "config.h"
#include "request.h"
#include "response.h"
#include "stream.h"
#include "metrics.h"
#include "redis.h"
#include "usage_log.h"
#include "report.h"

#endif
