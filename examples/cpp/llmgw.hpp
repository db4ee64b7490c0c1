/*
 * examples/cpp/llmgw.hpp: a small C++17 RAII wrapper over the llmgw C API.
 *
 * An example to copy, not an installed header. Handles are std::unique_ptr
 * with the library's free functions as deleters; failures throw llmgw::Error
 * built from llmgw_error_last(); C callbacks catch every exception and hand
 * it back to the caller after the C call has returned, so nothing unwinds
 * through C frames. A Gateway may be shared by many threads (the library
 * allows it); requests and responses belong to one thread at a time.
 */
#ifndef LLMGW_EXAMPLE_HPP
#define LLMGW_EXAMPLE_HPP

#include <llmgw/llmgw.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace llmgw {

/** A failed llmgw call: the status code and llmgw_error_last()'s details. */
class Error : public std::runtime_error {
public:
    Error(int code, const llmgw_error &e)
        : std::runtime_error(e.message ? e.message : "llmgw error"), code_(code),
          error_class_(name_of(e.error_class)), provider_(e.provider ? e.provider : ""),
          http_status_(e.http_status), retry_after_ms_(e.retry_after_ms)
    {
    }

    /** This thread's last error; call it right after the failed call. */
    static Error last(int code) { return Error(code, *llmgw_error_last()); }

    int code() const noexcept { return code_; }
    /** "rate_limit", "auth", ... ("" when the library named none). */
    const std::string &error_class() const noexcept { return error_class_; }
    const std::string &provider() const noexcept { return provider_; }
    int http_status() const noexcept { return http_status_; }
    std::int64_t retry_after_ms() const noexcept { return retry_after_ms_; }

private:
    static std::string name_of(int error_class)
    {
        const char *s = llmgw_error_class_str(error_class);
        return s ? s : "";
    }

    int code_;
    std::string error_class_;
    std::string provider_;
    int http_status_;
    std::int64_t retry_after_ms_;
};

/** Throws llmgw::Error for a negative status. */
inline void check(int rc)
{
    if (rc < 0)
        throw Error::last(rc);
}

struct GatewayFree {
    void operator()(llmgw_gateway *p) const noexcept { llmgw_gateway_free(p); }
};
struct RequestFree {
    void operator()(llmgw_request *p) const noexcept { llmgw_request_free(p); }
};
struct ResponseFree {
    void operator()(llmgw_response *p) const noexcept { llmgw_response_free(p); }
};
using GatewayPtr = std::unique_ptr<llmgw_gateway, GatewayFree>;
using RequestPtr = std::unique_ptr<llmgw_request, RequestFree>;
using ResponsePtr = std::unique_ptr<llmgw_response, ResponseFree>;

/** What the example keeps of a response (copied: the response is freed). */
struct Answer {
    std::string text;
    std::string finish_reason;
    std::string provider;
    std::string deployment;
    std::uint64_t input_tokens = 0;
    std::uint64_t output_tokens = 0;
    unsigned int attempts = 0;
};

inline std::string str_or_empty(const char *s) { return s ? s : ""; }

inline Answer answer_of(const llmgw_response *r)
{
    const llmgw_usage *u = llmgw_response_usage(r);
    Answer a;
    a.text.assign(llmgw_response_text(r), llmgw_response_text_len(r));
    a.finish_reason = str_or_empty(llmgw_response_finish_reason(r));
    a.provider = str_or_empty(llmgw_response_provider(r));
    a.deployment = str_or_empty(llmgw_response_deployment(r));
    a.input_tokens = u->input_tokens;
    a.output_tokens = u->output_tokens;
    a.attempts = u->attempts;
    return a;
}

/** A request with one user message. */
inline RequestPtr user_request(const std::string &model, const std::string &prompt)
{
    llmgw_request *raw = nullptr;
    check(llmgw_request_new(&raw, model.c_str()));
    RequestPtr req(raw);
    check(llmgw_request_add_message(req.get(), LLMGW_ROLE_USER, prompt.c_str()));
    return req;
}

/** A gateway opened from a config text (LiteLLM's vocabulary), with an optional usage hook. */
class Gateway {
public:
    using UsageFn = std::function<void(const llmgw_usage &)>;

    explicit Gateway(const std::string &config_json, UsageFn on_usage = {}) : on_usage_(std::move(on_usage))
    {
        llmgw_gateway_options opts;
        check(llmgw_gateway_options_init(&opts, LLMGW_GATEWAY_OPTIONS_VERSION));
        if (on_usage_) {
            opts.usage_cb = [](const llmgw_usage *u, void *userdata) noexcept {
                auto *self = static_cast<Gateway *>(userdata);
                try {
                    self->on_usage_(*u);
                } catch (...) {
                    self->hook_failures_.fetch_add(1);   /* never unwinds into C */
                }
            };
            opts.usage_userdata = this;   /* so a Gateway is neither copied nor moved */
        }
        llmgw_gateway *raw = nullptr;
        check(llmgw_gateway_open_buffer(&raw, config_json.data(), config_json.size(), "json", &opts));
        gw_.reset(raw);
    }

    Gateway(const Gateway &) = delete;
    Gateway &operator=(const Gateway &) = delete;

    /** Blocking completion; thread-safe. */
    Answer complete(const llmgw_request &req) const
    {
        llmgw_response *raw = nullptr;
        int rc = llmgw_complete(gw_.get(), &req, &raw);
        ResponsePtr resp(raw);
        check(rc);
        return answer_of(resp.get());
    }

    /**
     * Streamed completion: on_text gets each fragment. An exception thrown by
     * on_text stops the stream and is rethrown once the C call has returned.
     */
    Answer stream(const llmgw_request &req, const std::function<void(std::string_view)> &on_text) const
    {
        struct Ctx {
            const std::function<void(std::string_view)> *fn;
            std::exception_ptr error;
        } ctx{&on_text, nullptr};
        llmgw_stream_sink sink;
        check(llmgw_stream_sink_init(&sink, LLMGW_STREAM_SINK_VERSION));
        sink.on_text = [](const char *text, size_t len, void *userdata) noexcept -> int {
            auto *c = static_cast<Ctx *>(userdata);
            try {
                (*c->fn)(std::string_view(text, len));
                return 0;
            } catch (...) {
                c->error = std::current_exception();
                return 1;   /* stop: the call returns LLMGW_EUSER */
            }
        };
        sink.userdata = &ctx;
        llmgw_response *raw = nullptr;
        int rc = llmgw_complete_stream(gw_.get(), &req, &sink, &raw);
        ResponsePtr resp(raw);
        if (ctx.error)
            std::rethrow_exception(ctx.error);
        check(rc);
        return answer_of(resp.get());
    }

    /** Usage-hook invocations that threw (and were contained). */
    int hook_failures() const noexcept { return hook_failures_.load(); }

private:
    UsageFn on_usage_;
    std::atomic<int> hook_failures_{0};
    GatewayPtr gw_;   /* last member: freed first, while the hook's state still exists */
};

}   // namespace llmgw

#endif
