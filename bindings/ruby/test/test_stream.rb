# frozen_string_literal: true

require_relative "helper"

# Streaming: deltas in order, the assembled response, the Enumerator form,
# and leaving a stream early (exception, break, throw) cancels it cleanly.
class TestStream < LLMGWTest::Case
  TEXT = "alpha beta gamma delta epsilon zeta"

  def test_block_receives_deltas_and_returns_the_response
    records = []
    c, ln = scripted([{ text: TEXT, usage: { prompt_tokens: 7, completion_tokens: 6 } }],
                     on_usage: ->(r) { records << r })
    deltas = []
    res = c.chat(model: "g", messages: user("stream please"), max_tokens: 20) { |d| deltas << d }

    assert_operator deltas.size, :>=, 2, "one delta per word from the mock"
    assert(deltas.all? { |d| d.is_a?(String) && d.encoding == Encoding::UTF_8 })
    assert_equal TEXT, deltas.join
    assert_instance_of LLMGW::Response, res
    assert_equal TEXT, res.text
    assert_equal "stop", res.finish_reason
    assert_equal 7, res.usage.prompt_tokens
    assert_equal 1, records.size
    assert_equal true, records[0][:stream]
    body = mock.requests(ln)[0]["body"]
    assert_equal true, body["stream"]
  end

  def test_chunks
    c, = scripted([{ text: TEXT, chunks: 3 }])
    deltas = []
    c.chat(model: "g", messages: user("x")) { |d| deltas << d }

    assert_equal 3, deltas.size
    assert_equal TEXT, deltas.join
  end

  def test_utf8_split_across_chunks_arrives_whole
    text = "héllo wörld ☃ ünïcödé"
    c, = scripted([{ text: text, chunks: 7 }])
    out = +""
    c.chat(model: "g", messages: user("x")) { |d| out << d }

    assert_equal text, out
    assert out.valid_encoding?
  end

  def test_enumerator_form
    c, = scripted([{ text: TEXT }])
    enum = c.stream(model: "g", messages: user("x"))
    assert_kind_of Enumerator, enum
    types = []
    text = +""
    res = enum.each do |ev|
      types << ev.type
      text << ev.text if ev.type == :text
    end

    assert_equal TEXT, text
    assert_equal [:text], types.uniq
    assert_equal TEXT, res.text
  end

  def test_exception_in_block_cancels_and_is_reraised
    records = []
    c, = scripted({ steps: [{ text: TEXT, event_delay_ms: 20 }], then: "repeat_last" },
                  on_usage: ->(r) { records << r })
    baseline = LLMGW::Callbacks.registered_count
    threads = Thread.list.size
    deltas = []
    boom = Class.new(StandardError)
    err = assert_raises(boom) do
      c.chat(model: "g", messages: user("x")) do |d|
        deltas << d
        raise boom, "stop here" if deltas.size == 2
      end
    end

    assert_equal "stop here", err.message
    assert_equal 2, deltas.size, "no delta reaches the block after it raised"
    # The C call has returned before the exception surfaced: its usage record is in, as a cancellation.
    assert_equal 1, records.size
    assert_equal "failure", records[0][:status]
    assert_equal "cancelled", records[0][:error_class]
    assert_equal true, records[0][:stream]
    assert_equal baseline, LLMGW::Callbacks.registered_count
    assert_equal threads, Thread.list.size, "the stream's helper thread has ended"
    assert_equal TEXT, c.chat(model: "g", messages: user("again")).text, "the client still works"
  end

  def test_break_cancels_and_returns_its_value
    records = []
    c, = scripted([{ text: TEXT, event_delay_ms: 20 }], on_usage: ->(r) { records << r })
    got = c.chat(model: "g", messages: user("x")) { |d| break "broke at #{d.strip}" }

    assert_equal "broke at alpha", got
    assert_equal 1, records.size
    assert_equal "cancelled", records[0][:error_class]
  end

  def test_throw_out_of_the_block
    c, = scripted({ steps: [{ text: TEXT }], then: "repeat_last" })
    caught = catch(:done) do
      c.chat(model: "g", messages: user("x")) { |d| throw :done, d }
      :not_thrown
    end

    assert_equal "alpha", caught
    assert_equal TEXT, c.chat(model: "g", messages: user("x")) { |_| nil }.text
  end

  def test_enumerator_external_iteration
    c, = scripted([{ text: TEXT }])
    enum = c.stream(model: "g", messages: user("x"))

    assert_equal "alpha", enum.next.text
    assert_equal " beta", enum.next.text
  end

  def test_stream_runs_once
    c, = scripted([{ text: TEXT }])
    stream = LLMGW::Stream.new(c, c.__send__(:build_request, "g", user("x"), {}))
    stream.each_event { |_| nil }
    assert_raises(ArgumentError) { stream.each_event { |_| nil } }
  end

  def test_reasoning_events
    c, = scripted([{ text: "answer", reasoning: "thinking hard" }])
    kinds = Hash.new { |h, k| h[k] = +"" }
    res = c.stream(model: "g", messages: user("x")).each { |ev| kinds[ev.type] << ev.text.to_s }

    assert_equal "thinking hard", kinds[:reasoning]
    assert_equal "answer", kinds[:text]
    assert_equal "thinking hard", res.reasoning
  end
end
