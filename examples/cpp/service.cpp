/*
 * examples/cpp/service.cpp: a C++17 service calling llmgw from 8 threads that
 * share one gateway, through the RAII wrapper in llmgw.hpp.
 *
 * It runs against the in-process `mock` provider: no keys, no network. Each
 * worker makes a few completions and one streamed completion; then the
 * service shows an upstream error arriving as an exception, and an exception
 * thrown inside a stream callback coming back out of the call. It checks
 * what it got, prints a summary, and exits 0 only when every check held
 * (meson runs it as the `cpp_service` integration test).
 *
 *   llmgw-cpp-service [THREADS [REQUESTS_PER_THREAD]]     (default 8 and 4, at most 64 and 1000)
 */
#include "llmgw.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

const char *const kAnswer = "Hello from the C++ example.";

/* Group "assistant": a mock deployment whose scripted answer is kAnswer. Group "limited": a
   deployment that answers 429 (a rate-limited deployment is then held for a while, so it gets
   its own group). */
const std::string kConfig = R"({
  "model_list": [
    { "model_name": "assistant",
      "litellm_params": { "model": "mock/example-model",
                          "mock_response": { "text": "Hello from the C++ example.",
                                             "usage": { "prompt_tokens": 12, "completion_tokens": 6 } } } },
    { "model_name": "limited",
      "litellm_params": { "model": "mock/limited-model",
                          "mock_response": { "status": 429, "headers": { "retry-after": "2" } } } }
  ],
  "llmgw_settings": { "max_attempts": 1 }
})";

struct WorkerResult {
    int completions_ok = 0;
    int streams_ok = 0;
    std::vector<std::string> problems;
};

int failures = 0;

void expect(bool ok, const std::string &what)
{
    if (!ok) {
        std::fprintf(stderr, "check failed: %s\n", what.c_str());
        failures++;
    }
}

void worker(const llmgw::Gateway &gw, int id, int requests, WorkerResult &out)
{
    try {
        for (int i = 0; i < requests; i++) {
            auto req = llmgw::user_request("assistant", "request " + std::to_string(id) + "." + std::to_string(i));
            llmgw::Answer a = gw.complete(*req);
            if (a.text == kAnswer && a.provider == "mock" && a.input_tokens == 12 && a.output_tokens == 6)
                out.completions_ok++;
            else
                out.problems.push_back("unexpected answer: " + a.text);
        }
        auto req = llmgw::user_request("assistant", "stream " + std::to_string(id));
        std::string streamed;
        int fragments = 0;
        llmgw::Answer a = gw.stream(*req, [&](std::string_view piece) {
            streamed.append(piece);
            fragments++;
        });
        if (streamed == kAnswer && a.text == kAnswer && fragments > 1 && a.finish_reason == "stop")
            out.streams_ok++;
        else
            out.problems.push_back("unexpected stream: " + streamed);
    } catch (const llmgw::Error &e) {
        out.problems.push_back(std::string("llmgw error: ") + e.error_class() + ": " + e.what());
    }
}

/* An upstream 429 as an exception carrying the class, the HTTP status and the retry-after hint. */
void show_error(const llmgw::Gateway &gw)
{
    auto req = llmgw::user_request("limited", "this one is rate limited");
    try {
        gw.complete(*req);
        expect(false, "a 429 must throw");
    } catch (const llmgw::Error &e) {
        std::printf("error: %s (HTTP %d, provider %s, retry after %lld ms): %s\n", e.error_class().c_str(),
                    e.http_status(), e.provider().c_str(), static_cast<long long>(e.retry_after_ms()), e.what());
        expect(e.error_class() == "rate_limit", "error class rate_limit");
        expect(e.http_status() == 429, "HTTP status 429");
        expect(e.retry_after_ms() == 2000, "retry-after 2 s");
        expect(e.code() == LLMGW_ERATELIMIT, "status LLMGW_ERATELIMIT");
    }
}

/* An exception thrown in a stream callback stops the stream and comes back out of the call. */
void show_callback_exception(const llmgw::Gateway &gw)
{
    struct Enough : std::runtime_error {
        Enough() : std::runtime_error("enough") {}
    };
    auto req = llmgw::user_request("assistant", "stop me");
    int fragments = 0;
    try {
        gw.stream(*req, [&](std::string_view) {
            if (++fragments == 2)
                throw Enough();
        });
        expect(false, "the callback's exception must come back");
    } catch (const Enough &) {
        std::printf("stream stopped by the callback after %d fragments\n", fragments);
        expect(fragments == 2, "no fragment after the exception");
    }
}

int parse_arg(const char *s, int dflt, int max)
{
    if (s == nullptr)
        return dflt;
    char *end = nullptr;
    long v = std::strtol(s, &end, 10);
    return (end != s && *end == '\0' && v >= 1 && v <= max) ? static_cast<int>(v) : -1;
}

}   // namespace

int main(int argc, char **argv)
{
    const int threads = parse_arg(argc > 1 ? argv[1] : nullptr, 8, 64);
    const int requests = parse_arg(argc > 2 ? argv[2] : nullptr, 4, 1000);
    if (threads < 0 || requests < 0) {
        std::fprintf(stderr, "usage: llmgw-cpp-service [THREADS (1-64) [REQUESTS_PER_THREAD (1-1000)]]\n");
        return 2;
    }

    std::mutex usage_lock;
    int usage_records = 0;
    std::uint64_t usage_tokens = 0;
    try {
        llmgw::Gateway gw(kConfig, [&](const llmgw_usage &u) {
            std::lock_guard<std::mutex> hold(usage_lock);   /* hooks run on the calling threads */
            usage_records++;
            usage_tokens += u.total_tokens;
        });

        std::vector<WorkerResult> results(static_cast<size_t>(threads));
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; t++)
            pool.emplace_back(worker, std::cref(gw), t, requests, std::ref(results[static_cast<size_t>(t)]));
        for (auto &th : pool)
            th.join();

        int completions = 0, streams = 0;
        for (const auto &r : results) {
            completions += r.completions_ok;
            streams += r.streams_ok;
            for (const auto &p : r.problems)
                expect(false, p);
        }
        const int calls = threads * (requests + 1);
        std::printf("%d threads x %d requests + 1 stream each: %d completions ok, %d streams ok\n", threads,
                    requests, completions, streams);
        std::printf("usage hook: %d records, %llu tokens\n", usage_records,
                    static_cast<unsigned long long>(usage_tokens));
        expect(completions == threads * requests, "every completion answered");
        expect(streams == threads, "every stream answered");
        expect(usage_records == calls, "one usage record per call");   /* checked before the demos below */
        expect(usage_tokens == static_cast<std::uint64_t>(calls) * 18, "18 tokens per call");

        show_error(gw);
        show_callback_exception(gw);
        expect(gw.hook_failures() == 0, "no usage hook threw");
    } catch (const llmgw::Error &e) {
        std::fprintf(stderr, "llmgw: %s: %s\n", e.error_class().c_str(), e.what());
        return 1;
    }
    std::printf("%s\n", failures == 0 ? "all checks passed" : "some checks FAILED");
    return failures == 0 ? 0 : 1;
}
