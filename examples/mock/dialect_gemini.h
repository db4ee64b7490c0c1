/*
 * llmgw mock upstream: the Gemini dialect's two files (dialect_gemini.c validates requests,
 * dialect_gemini_render.c writes answers, streams and errors).
 */
#ifndef LLMGW_MOCK_DIALECT_GEMINI_H
#define LLMGW_MOCK_DIALECT_GEMINI_H

#include "mock_internal.h"

void mock_gemini_render_body(mbuf *b, const mock_answer *a);
void mock_gemini_render_stream(mock_stream *s, const mock_answer *a);
void mock_gemini_render_error(mbuf *b, int status, const char *type, const char *code, const char *message);
void mock_gemini_render_error_event(mock_stream *s, const char *error_json);

#endif
