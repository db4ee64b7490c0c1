# frozen_string_literal: true

require_relative "helper"

# Every error class the binding raises, from real upstream answers of the
# mock, with status, provider, retry_after, error_class and the attempt trail.
class TestErrors < LLMGWTest::Case
  CASES = {
    "bad_request" => [LLMGW::BadRequestError, { status: 400 }, 400],
    "auth" => [LLMGW::AuthenticationError, { status: 401, error_code: "invalid_api_key" }, 401],
    "not_found" => [LLMGW::NotFoundError, { status: 404, error_code: "model_not_found" }, 404],
    "rate_limit" => [LLMGW::RateLimitError, { status: 429 }, 429],
    "quota_exceeded" => [LLMGW::QuotaExceededError,
                         { status: 429, error_type: "insufficient_quota", error_code: "insufficient_quota" }, 429],
    "timeout" => [LLMGW::TimeoutError, { status: 408 }, 408],
    "server_error" => [LLMGW::ServerError, { status: 503 }, 503],
    "context_length_exceeded" => [LLMGW::ContextWindowExceededError,
                                  { status: 400, error_code: "context_length_exceeded",
                                    error_message: "This model's maximum context length is 8192 tokens" }, 400],
    "content_policy" => [LLMGW::ContentPolicyError, { status: 400, error_code: "content_policy_violation" }, 400]
  }.freeze

  CASES.each do |error_class, (klass, step, http)|
    define_method("test_#{error_class}") do
      records = []
      c, ln = scripted([step], on_usage: ->(r) { records << r })
      err = assert_raises(klass) { c.chat(model: "g", messages: user("x")) }

      assert_kind_of LLMGW::Error, err
      assert_equal error_class, err.error_class
      assert_equal http, err.status
      assert_equal "openai", err.provider
      assert_operator err.code, :<, 0
      refute_empty err.message
      assert_equal 1, err.attempts.size
      assert_equal http, err.attempts[0][:http_status]
      assert_equal error_class, err.attempts[0][:error_class]
      assert_equal "g", err.attempts[0][:group]
      assert_nil err.attempts[0][:route_rule]
      assert_equal 1, mock.request_count(ln)
      assert_equal 1, records.size, "the usage hook fires for a failure too"
      assert_equal "failure", records[0][:status]
      assert_equal error_class, records[0][:error_class]
      refute_includes err.message, TEST_KEY
      refute_includes err.to_h.to_s, TEST_KEY
    end
  end

  def test_subclasses_follow_the_families
    assert_operator LLMGW::ContextWindowExceededError, :<, LLMGW::BadRequestError
    assert_operator LLMGW::ContentPolicyError, :<, LLMGW::BadRequestError
    assert_operator LLMGW::QuotaExceededError, :<, LLMGW::RateLimitError
    assert_operator LLMGW::StreamCutError, :<, LLMGW::ConnectionError
    assert_operator LLMGW::Error, :<, StandardError
  end

  # Every class the library can report maps to its own exception (a class added in C fails here).
  def test_every_library_error_class_has_an_exception
    names = (1..64).map { |i| LLMGW::Lib.llmgw_error_class_str(i) }.take_while { |n| n }
    assert_operator names.size, :>=, 15
    names.each do |name|
      err = LLMGW::Error.from_snapshot(code: -1, error_class: name, message: "m", provider: "p", status: 418,
                                       retry_after_ms: 1500, attempts: [])
      refute_equal LLMGW::Error, err.class, "no exception class for #{name}"
      assert_equal LLMGW::Error::BY_CLASS.fetch(name), err.class
      assert_equal [name, "p", 418, 1.5], [err.error_class, err.provider, err.status, err.retry_after]
    end
    assert_equal names.sort, LLMGW::Error::BY_CLASS.keys.sort
    assert_instance_of LLMGW::BudgetExceededError,
                       LLMGW::Error.from_snapshot(code: -11, error_class: "", message: "", provider: nil,
                                                  status: nil, retry_after_ms: nil, attempts: [])
  end

  def test_retry_after_in_seconds
    c, = scripted([{ status: 429, headers: { "retry-after" => "7" } }])
    err = assert_raises(LLMGW::RateLimitError) { c.chat(model: "g", messages: user("x")) }

    assert_equal 7000, err.retry_after_ms
    assert_in_delta 7.0, err.retry_after, 1e-9
  end

  def test_retry_after_unknown_is_nil
    c, = scripted([{ status: 503 }])
    err = assert_raises(LLMGW::ServerError) { c.chat(model: "g", messages: user("x")) }

    assert_nil err.retry_after
    assert_nil err.retry_after_ms
  end

  def test_connection_error
    c, = scripted([{ reset: "before_headers" }])
    err = assert_raises(LLMGW::ConnectionError) { c.chat(model: "g", messages: user("x")) }

    assert_equal "network", err.error_class
    assert_nil err.status
  end

  def test_deadline_from_timeout_keyword
    c, = scripted([{ delay_ms: 30_000 }])
    err = assert_raises(LLMGW::TimeoutError) { c.chat(model: "g", messages: user("x"), timeout: 0.2) }

    assert_equal "timeout", err.error_class
  end

  def test_budget_exceeded_before_any_upstream_call
    name = lane
    mock.script(name, [{ text: "never" }])
    cfg = config_for(name, model_info: { input_cost_per_token: 0.01, output_cost_per_token: 0.01 },
                           settings: { budgets: [{ customer: "acme", max_usd: 0.000001 }] })
    c = client(cfg)
    err = assert_raises(LLMGW::BudgetExceededError) do
      c.chat(model: "g", messages: user("a prompt long enough to cost something"), max_tokens: 100,
             llmgw: { customer: "acme" })
    end

    assert_equal "budget_exceeded", err.error_class
    assert_equal 0, mock.request_count(name)
  end

  def test_stream_cut_after_commit
    c, = scripted([{ text: "one two three four five six", cut_after_events: 3 }])
    deltas = []
    err = assert_raises(LLMGW::StreamCutError) do
      c.chat(model: "g", messages: user("x")) { |d| deltas << d }
    end

    assert_equal "stream_cut", err.error_class
    refute_empty deltas
  end

  def test_stream_error_before_commit_raises_with_no_delta
    c, = scripted([{ status: 429 }])
    deltas = []
    assert_raises(LLMGW::RateLimitError) { c.chat(model: "g", messages: user("x")) { |d| deltas << d } }
    assert_empty deltas
  end

  def test_unknown_model_group
    c, = scripted([])
    err = assert_raises(LLMGW::NotFoundError) { c.chat(model: "no-such-group", messages: user("x")) }

    assert_equal "not_found", err.error_class
  end

  def test_invalid_request_is_a_bad_request
    c, = scripted([])
    err = assert_raises(LLMGW::BadRequestError) { c.chat(model: "g", messages: [{ role: "wizard", content: "x" }]) }

    assert_match(/role/, err.message)
  end

  def test_config_error_names_the_path_and_hides_the_key
    err = assert_raises(LLMGW::ConfigError) do
      LLMGW::Client.new(config: { model_list: [{ model_name: "g",
                                                 litellm_params: { model: "opnai/x", api_key: TEST_KEY } }] })
    end

    assert_equal "config", err.error_class
    assert_match(/model_list\[0\]/, err.message)
    refute_includes err.message, TEST_KEY
  end

  def test_missing_config_file
    err = assert_raises(LLMGW::ConfigError) { LLMGW::Client.new(config: "/nonexistent/llmgw.json") }

    assert_equal(-5, err.code) # LLMGW_ENOTFOUND, class config
    assert_match(%r{/nonexistent/llmgw.json}, err.message)
  end
end
