# frozen_string_literal: true

require_relative "helper"

# close, use after close, close while a call is in flight, the block form,
# and clients left to the garbage collector.
class TestLifecycle < LLMGWTest::Case
  def test_close_is_idempotent_and_later_use_raises
    c, = scripted([{ text: "x" }])
    enum = c.stream(model: "g", messages: user("x"))
    assert_nil c.close
    assert_nil c.close
    assert c.closed?

    assert_raises(LLMGW::ClientClosedError) { c.chat(model: "g", messages: user("x")) }
    assert_raises(LLMGW::ClientClosedError) { c.chat(model: "g", messages: user("x")) { |_| nil } }
    assert_raises(LLMGW::ClientClosedError) { c.stream(model: "g", messages: user("x")) }
    assert_raises(LLMGW::ClientClosedError) { enum.each { |_| nil } }
    assert_raises(LLMGW::ClientClosedError) { c.on_usage { |_| nil } }
    assert_kind_of LLMGW::Error, LLMGW::ClientClosedError.new
  end

  def test_block_form_closes
    name = lane
    mock.script(name, [{ text: "in block" }])
    kept = nil
    text = LLMGW::Client.open(config: config_for(name)) do |c|
      kept = c
      c.chat(model: "g", messages: user("x")).text
    end

    assert_equal "in block", text
    assert kept.closed?
  end

  # close() from another thread while a call hangs in C: close waits for the call, whose usage hook
  # (which runs inside the C call) therefore comes first.
  def test_close_waits_for_calls_in_flight
    held = LLMGWTest::Mock.new
    events = Queue.new
    begin
      held.script("hang", [{ delay_ms: -1 }])
      c = LLMGW::Client.new(config: { model_list: [deployment("hang", m: held)], llmgw_settings: { max_attempts: 1 } })
      c.on_usage { |_| events << :call_finished }
      caller = Thread.new do
        c.chat(model: "g", messages: user("x"))
      rescue LLMGW::Error => e
        e
      end
      assert wait_for { held.request_count("hang") == 1 }
      closer = Thread.new { c.close; events << :closed }
      assert wait_for { closer.status == "sleep" }, "close is waiting"
      assert caller.alive?
    ensure
      held.stop
    end
    closer.join
    assert_kind_of LLMGW::Error, caller.value
    assert_equal %i[call_finished closed], Array.new(2) { events.pop }
    assert c.closed?
  end

  # Handlers that close over their client (the common case) must not keep it alive.
  def test_unclosed_clients_are_freed_by_gc
    name = lane
    mock.script(name, { steps: [{ text: "x" }], then: "repeat_last" })
    GC.start
    before = ObjectSpace.each_object(LLMGW::Client).count
    Thread.new do
      20.times do
        c = LLMGW::Client.new(config: config_for(name))
        c.on_usage { |_| c.closed? }
        c.chat(model: "g", messages: user("x"))
      end
    end.join
    assert_equal before + 20, ObjectSpace.each_object(LLMGW::Client).count
    5.times { GC.start(full_mark: true, immediate_sweep: true) }

    assert_operator ObjectSpace.each_object(LLMGW::Client).count, :<=, before + 10, "most were collected"
  end

  def test_library_identity
    assert_match(/\A\d+\.\d+\.\d+/, LLMGW.library_version)
    assert_equal LLMGW::VERSION, LLMGW.library_version
    refute_empty LLMGW.library
  end

  private

  def wait_for
    2000.times do
      return true if yield

      sleep 0.01
    end
    false
  end
end
