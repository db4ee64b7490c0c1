# frozen_string_literal: true

require_relative "helper"

# The usage and log hooks: what they receive, on which thread, and what
# happens when a handler raises or calls back into its own client.
class TestHooks < LLMGWTest::Case
  def test_usage_record_per_request
    c, ln = scripted({ steps: [{ text: "one two", usage: { prompt_tokens: 9, completion_tokens: 2 } }],
                       then: "repeat_last" })
    records = []
    threads = []
    assert_same c, c.on_usage { |r| records << r; threads << Thread.current }
    res = c.chat(model: "g", messages: user("x"))

    assert_equal 1, records.size
    r = records[0]
    assert_instance_of Hash, r
    assert_equal "success", r[:status]
    assert_equal "openai", r[:provider]
    assert_equal "g", r[:model_requested]
    assert_equal res.deployment, r[:deployment_id]
    assert_equal mock.lane_url(ln), r[:api_base]
    assert_equal 9, r[:input_tokens]
    assert_equal 2, r[:output_tokens]
    assert_equal false, r[:stream]
    assert_equal 1, r[:attempts]
    assert_kind_of Numeric, r[:latency_ms]
    # a call from the main thread runs on a helper thread (so that Ctrl-C can cancel it); a call
    # from any other thread runs on it (test_routing's eight threads)
    assert_equal 1, threads.size
    if Thread.current == Thread.main
      refute_same Thread.current, threads[0]
      assert_equal "llmgw-call", threads[0].name
      refute threads[0].alive?, "the helper was joined"
    else
      assert_same Thread.current, threads[0]
    end

    c.chat(model: "g", messages: user("x")) { |_| nil }
    assert_equal 2, records.size
    assert_equal true, records[1][:stream]
  end

  def test_several_handlers_in_order
    c, = scripted([{ text: "x" }])
    order = []
    c.on_usage { |_| order << :first }
    c.on_usage { |_| order << :second }
    c.chat(model: "g", messages: user("x"))

    assert_equal %i[first second], order
  end

  def test_handler_exception_is_raised_after_the_call
    c, ln = scripted({ steps: [{ text: "x" }], then: "repeat_last" })
    calls = 0
    c.on_usage do |_|
      calls += 1
      raise ArgumentError, "metrics broke" if calls == 1
    end
    err = assert_raises(ArgumentError) { c.chat(model: "g", messages: user("x")) }

    assert_equal "metrics broke", err.message
    assert_equal 1, mock.request_count(ln), "the call itself completed"
    assert_equal "x", c.chat(model: "g", messages: user("x")).text
  end

  def test_handler_exception_in_a_stream
    c, = scripted([{ text: "a b c" }])
    c.on_usage { |_| raise IOError, "sink full" }
    deltas = []
    err = assert_raises(IOError) { c.chat(model: "g", messages: user("x")) { |d| deltas << d } }

    assert_equal "sink full", err.message
    assert_equal "a b c", deltas.join
  end

  def test_hook_cannot_call_or_close_its_own_client
    c, = scripted({ steps: [{ text: "x" }], then: "repeat_last" })
    seen = []
    c.on_usage do |_|
      begin
        c.chat(model: "g", messages: user("nested"))
      rescue LLMGW::Error => e
        seen << e.message
      end
      begin
        c.close
      rescue LLMGW::Error => e
        seen << e.message
      end
    end
    c.chat(model: "g", messages: user("x"))

    assert_equal 2, seen.size
    assert_match(/cannot call its own client/, seen[0])
    assert_match(/#close called from a callback/, seen[1])
    refute c.closed?
  end

  def test_hook_may_use_another_client
    c, = scripted([{ text: "outer" }])
    other, = scripted([{ text: "inner" }])
    inner = nil
    c.on_usage { |_| inner = other.chat(model: "g", messages: user("y")).text }

    assert_equal "outer", c.chat(model: "g", messages: user("x")).text
    assert_equal "inner", inner
  end

  def test_log_hook_sees_config_loading
    lines = []
    scripted([], log_level: :info, on_log: ->(level, msg) { lines << [level, msg] })

    assert_includes lines, [:info, "<buffer>: loaded 1 deployments in 1 groups"]
  end

  def test_log_hook_warns_about_unknown_keys
    lines = []
    name = lane
    client(config_for(name).merge(router_settings: { bogus_key: 1 }), on_log: ->(l, m) { lines << [l, m] })

    warn = lines.find { |_, m| m.include?("router_settings.bogus_key") }
    refute_nil warn, lines.inspect
    assert_equal :warn, warn[0]
    assert(lines.none? { |_, m| m.include?(TEST_KEY) })
  end

  def test_on_usage_needs_a_block
    c, = scripted([])
    assert_raises(ArgumentError) { c.on_usage }
    assert_raises(ArgumentError) { c.on_log }
  end
end
