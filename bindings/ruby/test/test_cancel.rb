# frozen_string_literal: true

require_relative "helper"

# Leaving a stream whose upstream has gone silent, closing its client, or interrupting a call: the
# mock sends a few events (or nothing), then nothing until the client hangs up. Without llmgw_request_cancel() the C call would wait for the idle timeout
# (30 s here) and end as "timeout" / "stream_cut"; these tests assert it ends as "cancelled", with
# its usage record, and that the client goes on working.
class TestCancel < LLMGWTest::Case
  STALL = { text: "alpha beta gamma delta", stall_after_events: 3, stall_ms: -1 }.freeze
  BOUND_S = 60 # only a bound for helper waits; never asserted

  def stalling
    records = []
    c, = scripted({ steps: [STALL], then: "default" }, settings: { idle_timeout_ms: 30_000 },
                                                       on_usage: ->(r) { records << r })
    [c, records]
  end

  def assert_cancelled(client, records, stream: true)
    assert_equal 1, records.size
    assert_equal %w[failure cancelled], records[0].values_at(:status, :error_class)
    assert_equal stream, records[0][:stream]
    assert_equal 0, LLMGW::Callbacks.registered_count
    assert_equal [], helper_threads
    assert_equal "Hello from the mock upstream.", client.chat(model: "g", messages: user("again")).text
  end

  # The binding's own threads (stream workers, call helpers) still alive.
  def helper_threads
    Thread.list.select { |t| %w[llmgw-stream llmgw-call].include?(t.name) && t.alive? }
  end

  # Runs the block with Ruby's default SIGINT handler (raise Interrupt in the main thread) while a
  # helper waits (bounded) until ready.call holds, then sends SIGINT to this process. Without that
  # state (a regression), no signal is sent and the block's own assertions fail.
  def interrupt_when(ready)
    skip "SIGINT goes to the main thread" unless Thread.current == Thread.main
    done = false
    helper = Thread.new do
      (BOUND_S * 100).times do
        break if done
        next sleep(0.01) unless ready.call

        Process.kill("INT", Process.pid)
        break
      end
    end
    previous = trap("INT", "DEFAULT") # Ruby's own handler: raise Interrupt in the main thread
    begin
      yield
    ensure
      done = true
      helper.join
      trap("INT", previous)
    end
  end

  def test_break_out_of_each
    c, records = stalling
    got = c.stream(model: "g", messages: user("x")).each do |ev|
      break ev.text if ev.text == " beta"
    end

    assert_equal " beta", got
    assert_cancelled(c, records)
  end

  def test_exception_from_the_block
    c, records = stalling
    assert_raises(ArgumentError) do
      c.chat(model: "g", messages: user("x")) { |d| raise ArgumentError, "enough" if d == " beta" }
    end
    assert_cancelled(c, records)
  end

  def test_interrupt_while_waiting_for_an_event
    c, records = stalling
    waiter = Thread.current
    deltas = []
    # once the caller sits in the stream's queue (the upstream is silent), Ctrl-C it
    interrupt_when(-> { deltas.size >= 2 && waiter.status == "sleep" }) do
      assert_raises(Interrupt) do
        c.chat(model: "g", messages: user("x")) { |d| deltas << d }
      end
    end

    assert_equal ["alpha", " beta"], deltas
    assert_cancelled(c, records)
  end

  def test_thread_raise_while_waiting
    c, records = stalling
    deltas = []
    worker = Thread.new do
      Thread.current.report_on_exception = false
      c.chat(model: "g", messages: user("x")) { |d| deltas << d }
    end
    (BOUND_S * 100).times do
      break if deltas.size >= 2 && worker.status == "sleep"

      sleep 0.01
    end
    worker.raise(Interrupt)
    assert_raises(Interrupt) { worker.join }
    assert_cancelled(c, records)
  end

  # A non-streamed call from the main thread runs its C call on a helper thread, so Ctrl-C reaches the
  # caller while the upstream is silent, and the request is cancelled before Interrupt goes on.
  def test_interrupt_during_a_call
    records = []
    c, name = scripted({ steps: [{ delay_ms: -1 }], then: "default" },
                       settings: { deadline_ms: 30_000 },
                       on_usage: ->(r) { records << r })
    waiter = Thread.current
    interrupt_when(-> { waiter.status == "sleep" && mock.request_count(name) == 1 }) do
      assert_raises(Interrupt) { c.chat(model: "g", messages: user("x")) }
    end

    assert_equal 1, mock.request_count(name) # it was waiting on the upstream
    assert_cancelled(c, records, stream: false)
  end

  # Thread#raise (as Timeout uses) reaches a main-thread call the same way.
  def test_thread_raise_during_a_call
    skip "the helper thread is used on the main thread only" unless Thread.current == Thread.main
    records = []
    c, name = scripted({ steps: [{ delay_ms: -1 }], then: "default" }, settings: { deadline_ms: 30_000 },
                                                                        on_usage: ->(r) { records << r })
    waiter = Thread.current
    done = false
    raiser = Thread.new do
      (BOUND_S * 100).times do
        break if done
        next sleep(0.01) unless waiter.status == "sleep" && mock.request_count(name) == 1

        waiter.raise(IOError, "stop now")
        break
      end
    end
    begin
      error = assert_raises(IOError) { c.chat(model: "g", messages: user("x")) }
    ensure
      done = true
      raiser.join
    end

    assert_equal "stop now", error.message
    assert_cancelled(c, records, stream: false)
  end

  # Client#close from another thread while a stream runs (its upstream silent): the stream is
  # cancelled, its consumer gets CancelledError, and close returns once the C call has.
  def test_close_cancels_a_stream_running_on_another_thread
    c, records = stalling
    deltas = Queue.new
    consumer = Thread.new do
      c.chat(model: "g", messages: user("x")) { |d| deltas << d }
    rescue LLMGW::Error => e
      e
    end
    assert_equal ["alpha", " beta"], Array.new(2) { deltas.pop }
    (BOUND_S * 100).times do
      break if consumer.status == "sleep"

      sleep 0.01
    end
    assert_nil c.close
    error = consumer.value

    assert_kind_of LLMGW::CancelledError, error
    assert_equal "cancelled", error.error_class
    assert_equal "llmgw: the client was closed", error.message
    assert_equal 1, records.size
    assert_equal %w[failure cancelled], records[0].values_at(:status, :error_class)
    assert_equal 0, LLMGW::Callbacks.registered_count
    assert_equal [], helper_threads
    assert c.closed?
  end
end
