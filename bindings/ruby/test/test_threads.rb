# frozen_string_literal: true

require_relative "helper"

# One client shared by 8 Ruby threads, and proof that a call blocked in C
# lets other Ruby threads run (the GVL is released during the call).
class TestThreads < LLMGWTest::Case
  THREADS = 8
  PER_THREAD = 5

  def test_eight_threads_share_one_client
    name = lane
    mock.script(name, { steps: [{ text: "shared answer" }], then: "repeat_last" })
    c = client(config_for(name))
    hook_threads = Queue.new
    c.on_usage { |r| hook_threads << [Thread.current, r[:request_id], r[:status]] }
    start = Queue.new
    workers = Array.new(THREADS) do |i|
      Thread.new do
        start.pop
        prompt = (["word"] * (i + 1)).join(" ")
        Array.new(PER_THREAD) { c.chat(model: "g", messages: user(prompt)) }
      end
    end
    THREADS.times { start << :go }
    results = workers.map(&:value)

    results.each do |responses|
      assert_equal PER_THREAD, responses.size
      assert(responses.all? { |r| r.text == "shared answer" })
      assert_equal 1, responses.map { |r| r.usage.prompt_tokens }.uniq.size, "each thread got its own answers"
    end
    assert_equal THREADS, results.map { |rs| rs[0].usage.prompt_tokens }.uniq.size
    records = Array.new(hook_threads.size) { hook_threads.pop }
    assert_equal THREADS * PER_THREAD, records.size
    assert(records.all? { |_, _, status| status == "success" })
    assert_equal THREADS * PER_THREAD, records.map { |_, id, _| id }.uniq.size
    by_thread = records.group_by(&:first).transform_values(&:size)
    assert_equal workers.sort_by(&:object_id), by_thread.keys.sort_by(&:object_id),
                 "every hook ran on the thread that made the call"
    assert(by_thread.values.all? { |n| n == PER_THREAD })
    assert_equal THREADS * PER_THREAD, mock.request_count(name)
  end

  def test_eight_threads_stream_at_once
    text = "one two three four five six seven eight"
    name = lane
    mock.script(name, { steps: [{ text: text, event_delay_ms: 2 }], then: "repeat_last" })
    c = client(config_for(name))
    workers = Array.new(THREADS) do
      Thread.new do
        Array.new(3) do
          out = +""
          res = c.chat(model: "g", messages: user("x")) { |d| out << d }
          [out, res.text]
        end
      end
    end

    workers.map(&:value).flatten(1).each do |streamed, final|
      assert_equal text, streamed
      assert_equal text, final
    end
  end

  # A call that cannot return until this thread lets it: a second mock that never answers, stopped
  # at the end. While it hangs in C, this thread must be able to poll, and to complete a call of its own.
  def test_blocked_call_releases_the_gvl
    held = LLMGWTest::Mock.new
    begin
      hang = "hang"
      held.script(hang, [{ delay_ms: -1 }])
      cfg = { model_list: [deployment(hang, group: "slow", m: held), deployment(lane, group: "fast")],
              llmgw_settings: { max_attempts: 1 } }
      fast_lane = cfg[:model_list][1][:litellm_params][:api_base][%r{/lane/([^/]+)/}, 1]
      mock.script(fast_lane, [{ text: "fast answer" }])
      c = client(cfg)
      slow = Thread.new do
        c.chat(model: "slow", messages: user("x"), timeout: 60)
      rescue LLMGW::Error => e
        e
      end

      assert wait_for { held.request_count(hang) == 1 }, "the slow request reached the upstream"
      assert_equal "fast answer", c.chat(model: "fast", messages: user("x")).text
      assert slow.alive?, "the slow call is still inside C"
    ensure
      held.stop
    end
    err = slow.value
    assert_kind_of LLMGW::Error, err
    refute_instance_of LLMGW::TimeoutError, err, "ended by the upstream going away, not by the deadline"
  end

  private

  # Polls a condition: at most 2,000 tries 10 ms apart.
  def wait_for
    2000.times do
      return true if yield

      sleep 0.01
    end
    false
  end
end
