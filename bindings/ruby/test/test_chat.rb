# frozen_string_literal: true

require_relative "helper"
require "fileutils"

# Non-streamed completions against the mock upstream: the answer, what was
# sent upstream, usage, cost, the cache, and the ways to configure a client.
class TestChat < LLMGWTest::Case
  def test_completion
    c, ln = scripted([{ text: "Hello from Ruby.", usage: { prompt_tokens: 12, completion_tokens: 4 } }])
    res = c.chat(model: "g", messages: user("hi there"), max_tokens: 50, temperature: 0.25)

    assert_instance_of LLMGW::Response, res
    assert_equal "Hello from Ruby.", res.text
    assert_equal "stop", res.finish_reason
    assert_equal "openai", res.provider
    assert_equal "gpt-test", res.model
    refute_nil res.deployment
    refute res.cache_hit?
    assert_empty res.tool_calls
    assert_equal 12, res.usage.prompt_tokens
    assert_equal 4, res.usage.completion_tokens
    assert_equal 16, res.usage.total_tokens
    assert_equal 12, res.usage.input_tokens
    assert_equal({ role: "assistant", content: "Hello from Ruby." }, res.message.slice(:role, :content))

    sent = mock.requests(ln)
    assert_equal 1, sent.size
    body = sent[0]["body"]
    assert_equal "gpt-test", body["model"]
    assert_equal [{ "role" => "user", "content" => "hi there" }], body["messages"]
    assert_equal 50, body["max_tokens"]
    assert_equal 0.25, body["temperature"]
    assert_equal "Bearer #{TEST_KEY}", sent[0]["headers"]["authorization"]
  end

  def test_to_h_is_a_chat_completion_with_the_usage_record
    c, = scripted([{ text: "abc" }])
    h = c.chat(model: "g", messages: user("x")).to_h

    assert_equal "chat.completion", h[:object]
    assert_equal "abc", h[:choices][0][:message][:content]
    assert_equal "openai", h[:llmgw][:provider]
    assert_equal "success", h[:llmgw][:status]
    assert_equal 1, h[:llmgw][:attempts]
    assert_equal h, JSON.parse(JSON.generate(h), symbolize_names: true)
  end

  def test_cost_from_configured_prices
    c, = scripted([{ usage: { prompt_tokens: 10, completion_tokens: 20 } }],
                  model_info: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 })
    res = c.chat(model: "g", messages: user("x"))

    assert_equal 50_000, res.cost_nano_usd # 10 x 1e-6 + 20 x 2e-6 USD = 5e-5 USD
    assert_in_delta 5e-5, res.cost_usd, 1e-12
    assert_equal "computed", res.record[:cost_source]
  end

  def test_unknown_price_is_nil_not_zero
    c, = scripted([{ text: "x" }], model: "no-such-priced-model")
    res = c.chat(model: "g", messages: user("x"))

    assert_nil res.cost_usd
    assert_nil res.cost_nano_usd
    assert_equal "unknown", res.record[:cost_source]
  end

  def test_cache_hit_answers_without_upstream
    name = lane
    mock.script(name, [{ text: "cached answer" }])
    c = client(config_for(name).merge(litellm_settings: { cache: true }))
    first = c.chat(model: "g", messages: user("same question"))
    second = c.chat(model: "g", messages: user("same question"))

    refute first.cache_hit?
    assert second.cache_hit?
    assert_equal "cached answer", second.text
    assert_equal 1, mock.request_count(name)
  end

  def test_caller_metadata_and_timeout_are_not_sent_upstream
    records = []
    c, ln = scripted([{ text: "x" }], on_usage: ->(r) { records << r })
    c.chat(model: "g", messages: user("x"), timeout: 30, llmgw: { customer: "acme", tags: %w[a b] })

    body = mock.requests(ln)[0]["body"]
    refute body.key?("llmgw")
    refute body.key?("timeout")
    assert_equal "acme", records[0][:customer]
    assert_equal %w[a b], records[0][:tags]
  end

  def test_keyword_sections_build_the_config
    name = lane
    mock.script(name, [{ text: "from keywords" }])
    c = client(model_list: [deployment(name, group: "kw")], llmgw_settings: { max_attempts: 1 })

    assert_equal "from keywords", c.chat(model: "kw", messages: user("x")).text
  end

  def test_config_file_json
    name = lane
    mock.script(name, [{ text: "from a file" }])
    Dir.mktmpdir do |dir|
      path = File.join(dir, "llmgw.json")
      File.write(path, JSON.generate(config_for(name)))
      assert_equal "from a file", client(path).chat(model: "g", messages: user("x")).text
    end
  end

  def test_config_file_yaml_when_built_with_libyaml
    name = lane
    mock.script(name, [{ text: "from yaml" }])
    Dir.mktmpdir do |dir|
      path = File.join(dir, "llmgw.yaml")
      File.write(path, <<~YAML)
        model_list:
          - model_name: y
            litellm_params: { model: openai/gpt-test, api_base: "#{mock.lane_url(name)}", api_key: #{TEST_KEY} }
        llmgw_settings: { max_attempts: 1 }
      YAML
      begin
        c = client(path)
      rescue LLMGW::UnsupportedError
        skip "libllmgw built without YAML support"
      end
      assert_equal "from yaml", c.chat(model: "y", messages: user("x")).text
    end
  end

  def test_env_var_reference_in_config
    name = lane
    mock.script(name, [{ text: "ok" }])
    ENV["LLMGW_RUBY_TEST_KEY"] = TEST_KEY
    cfg = config_for(name)
    cfg[:model_list][0][:litellm_params][:api_key] = "os.environ/LLMGW_RUBY_TEST_KEY"
    client(cfg).chat(model: "g", messages: user("x"))

    assert_equal "Bearer #{TEST_KEY}", mock.requests(name)[0]["headers"]["authorization"]
  ensure
    ENV.delete("LLMGW_RUBY_TEST_KEY")
  end

  # No config given: $LLMGW_CONFIG, then ./llmgw.yaml|yml|json, then $XDG_CONFIG_HOME/llmgw/config.*,
  # else no file at all (the vendors' env vars only).
  def test_default_config_search
    name = lane
    mock.script(name, { steps: [{ text: "found" }], then: "repeat_last" })
    text = JSON.generate(config_for(name))
    Dir.mktmpdir do |dir|
      env_file = File.join(dir, "env.json")
      cwd = File.join(dir, "cwd")
      xdg = File.join(dir, "xdg")
      FileUtils.mkdir_p([cwd, File.join(xdg, "llmgw")])
      File.write(env_file, text)
      saved = ENV.to_h.slice("LLMGW_CONFIG", "XDG_CONFIG_HOME")
      Dir.chdir(cwd) do
        ENV["LLMGW_CONFIG"] = env_file
        ENV["XDG_CONFIG_HOME"] = xdg
        assert_equal env_file, LLMGW::Client.default_config_path
        assert_equal "found", client.chat(model: "g", messages: user("x")).text

        ENV.delete("LLMGW_CONFIG")
        assert_nil LLMGW::Client.default_config_path
        assert_equal "mock", client.chat(model: "mock/demo", messages: user("x")).provider

        File.write(File.join(xdg, "llmgw", "config.json"), text)
        assert_equal File.join(xdg, "llmgw", "config.json"), LLMGW::Client.default_config_path
        File.write(File.join(cwd, "llmgw.json"), text)
        assert_equal File.join(Dir.pwd, "llmgw.json"), LLMGW::Client.default_config_path
        assert_equal "found", client.chat(model: "g", messages: user("x")).text
      end
    ensure
      %w[LLMGW_CONFIG XDG_CONFIG_HOME].each { |k| saved&.key?(k) ? ENV[k] = saved[k] : ENV.delete(k) }
    end
  end

  def test_in_process_mock_provider_needs_no_config
    res = client(false).chat(model: "mock/demo", messages: user("Say hello."))

    assert_equal "mock", res.provider
    refute_empty res.text
  end

  def test_bad_options
    assert_raises(ArgumentError) { LLMGW::Client.new(config: false, modle_list: []) }
    assert_raises(ArgumentError) { LLMGW::Client.new(config: "x.json", model_list: []) }
    assert_raises(ArgumentError) { LLMGW::Client.new(config: 42) }
    assert_raises(ArgumentError) { LLMGW::Client.new(config: false, log_level: :loud) }
    c = client(false)
    assert_raises(ArgumentError) { c.chat(model: "mock/x", messages: user("x"), timeout: -1) }
  end
end
