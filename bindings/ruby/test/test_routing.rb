# frozen_string_literal: true

require_relative "helper"

# Routing from Ruby: the classifier (a lambda or a block), rules and the built-in classifier, against
# two mock deployments (group "cheap" and group "smart", each on its own lane).
class TestRouting < LLMGWTest::Case
  TOOL = { type: "function", function: { name: "f", parameters: { type: "object" } } }.freeze

  def two_groups
    @cheap = lane("cheap")
    @smart = lane("smart")
    client({ model_list: [deployment(@cheap, group: "cheap", model: "gpt-cheap"),
                          deployment(@smart, group: "smart", model: "gpt-smart")],
             llmgw_settings: { max_attempts: 1 } })
  end

  def lanes
    [mock.request_count(@cheap), mock.request_count(@smart)]
  end

  def test_classifier_routes_by_its_answer
    c = two_groups
    seen = []
    c.classifier = lambda do |req|
      seen << { model: req.model, text: req.text, customer: req.customer, tags: req.tags,
                metadata: req.metadata, trace_id: req.trace_id, tools: req.tools?, images: req.images?,
                json: req.json_mode?, max_tokens: req.max_tokens, count: req.message_count,
                temperature: req[:temperature] }
      "smart" if req.metadata["tier"] == "pro" || req.text.include?("prove")
    end
    r1 = c.chat(model: "cheap", messages: user("hi"), max_tokens: 7)
    r2 = c.chat(model: "cheap", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "prove it" }],
                temperature: 0.5)
    r3 = c.chat(model: "cheap", messages: user("hi"),
                llmgw: { customer: "acme", tags: %w[t1 t2], metadata: { tier: "pro" }, trace_id: "tr-1" })

    assert_equal %w[cheap smart smart], [r1, r2, r3].map { |r| r.record[:group] }
    assert_equal [1, 2], lanes
    assert_equal "gpt-smart", mock.requests(@smart)[0]["body"]["model"]
    assert_equal "classifier", r2.record[:route_rule]
    assert_nil r1.record[:route_rule]
    assert_equal({ model: "cheap", text: "hi", customer: nil, tags: [], metadata: {}, trace_id: nil, tools: false,
                   images: false, json: false, max_tokens: 7, count: 1, temperature: nil }, seen[0])
    assert_equal "be brief\nprove it", seen[1][:text]
    assert_in_delta 0.5, seen[1][:temperature]
    assert_equal ["acme", %w[t1 t2], { "tier" => "pro" }, "tr-1"], seen[2].values_at(:customer, :tags, :metadata, :trace_id)
  end

  # The view asks the C request (llmgw_request_customer ... _metadata_json), so it shows what
  # llmgw_request_from_json parsed, however the llmgw member was spelled.
  def test_view_reads_caller_metadata_from_the_c_request
    c = two_groups
    seen = []
    c.classifier = lambda do |req|
      req.metadata["mutated"] = "x" # a copy: the next read is unaffected
      seen << [req.customer, req.tags, req.metadata, req.trace_id]
      req.metadata["tier"] == "pro" ? "smart" : nil
    end
    r1 = c.chat(model: "cheap", messages: user("hi"),
                "llmgw" => { "customer" => "c-9", "tags" => %w[a b c], "trace_id" => "tr-json",
                             "metadata" => { "tier" => "pro", "region" => "eu", "empty" => "" } })
    r2 = c.stream(model: "cheap", messages: user("hi"), llmgw: { tags: [:sym], metadata: { tier: :free } }).each { |_| nil }

    assert_equal ["c-9", %w[a b c], { "tier" => "pro", "region" => "eu", "empty" => "" }, "tr-json"], seen[0]
    assert_equal [nil, ["sym"], { "tier" => "free" }, nil], seen[1]
    assert_equal %w[smart cheap], [r1, r2].map { |r| r.record[:group] }
    assert_equal ["c-9", %w[a b c]], r1.record.values_at(:customer, :tags)
    assert_equal [1, 1], lanes
  end

  def test_block_form_tools_images_json_and_streams
    c = two_groups
    seen = []
    c.classifier do |req|
      seen << [req.tools?, req.images?, req.json_mode?, req.max_tokens, req.text]
      req.tools? || req.images? ? :smart : "cheap"
    end
    image = [{ role: "user", content: [{ type: "text", text: "what is this" },
                                       { type: "image_url", image_url: { url: "https://example.com/a.png" } }] }]
    c.chat(model: "cheap", messages: user("hi"), tools: [TOOL])
    c.chat(model: "cheap", messages: image, max_completion_tokens: 9)
    res = c.chat(model: "smart", messages: user("hi"), response_format: { type: "json_object" }) { |_| nil }

    assert_equal [[true, false, false, nil, "hi"], [false, true, false, 9, "what is this"],
                  [false, false, true, nil, "hi"]], seen
    assert_equal "cheap", res.record[:group], "a streamed request is classified too"
    assert_equal [1, 2], lanes
    assert_respond_to c.classifier, :call
  end

  def test_view_is_closed_after_the_call
    c = two_groups
    kept = []
    c.classifier = ->(req) { kept << req && nil }
    c.chat(model: "cheap", messages: user("hi"))

    assert_raises(LLMGW::Error) { kept[0].model }
  end

  def test_exceptions_and_bad_answers_leave_the_request_alone
    c = two_groups
    answers = [RuntimeError.new("boom"), 42, "", Interrupt.new]
    c.classifier = lambda do |_req|
      a = answers.shift
      raise a if a.is_a?(Exception)

      a
    end
    groups = []
    _, err = capture_io do
      4.times { groups << c.chat(model: "cheap", messages: user("hi")).record[:group] }
    end

    assert_equal ["cheap"] * 4, groups
    assert_equal 3, err.scan("the classifier raised").size
    assert_includes err, "RuntimeError: boom"
    assert_includes err, "TypeError"
    assert_includes err, "Interrupt"
    assert_equal [4, 0], lanes
  end

  def test_unknown_group_fails_the_request
    c = two_groups
    c.classifier = ->(_req) { "nope" }
    assert_raises(LLMGW::NotFoundError) { c.chat(model: "cheap", messages: user("hi")) }
    assert_equal [0, 0], lanes
  end

  def test_remove_and_replace
    c = two_groups
    c.classifier = ->(_req) { "smart" }
    c.chat(model: "cheap", messages: user("hi"))
    c.classifier = nil
    c.chat(model: "cheap", messages: user("hi"))
    c.classifier = ->(_req) { "cheap" }
    c.chat(model: "smart", messages: user("hi"))

    assert_equal [2, 1], lanes
    assert_raises(ArgumentError) { c.classifier = "smart" }
  end

  def test_eight_threads
    c = two_groups
    calls = Queue.new
    c.classifier = lambda do |req|
      calls << Thread.current
      req.metadata["n"].to_i.even? ? "smart" : nil
    end
    results = Queue.new
    threads = Array.new(8) do |n|
      Thread.new do
        3.times { results << [n, c.chat(model: "cheap", messages: user("hi"), llmgw: { metadata: { n: n.to_s } }).record[:group]] }
      end
    end
    threads.each(&:join)
    got = Array.new(results.size) { results.pop }
    callers = Array.new(calls.size) { calls.pop }

    assert_equal 24, got.size
    got.each { |n, group| assert_equal(n.even? ? "smart" : "cheap", group) }
    assert_equal 24, callers.size
    assert_equal threads.sort_by(&:object_id), callers.uniq.sort_by(&:object_id), "each request on its caller's thread"
    assert_equal [12, 12], lanes
  end

  def test_rules_and_builtin_classifier
    c = two_groups
    c.add_rule({ "metadata.tier" => { eq: "pro" } }, "smart", name: "pro-tier")
    c.add_rule('{"customer": {"in": ["big"]}}', "smart")
    r = c.chat(model: "cheap", messages: user("hi"), llmgw: { metadata: { tier: "pro" } })
    assert_equal %w[smart pro-tier], r.record.values_at(:group, :route_rule)
    assert_equal "smart", c.chat(model: "cheap", messages: user("hi"), llmgw: { customer: "big" }).record[:group]
    assert_equal "cheap", c.chat(model: "cheap", messages: user("hi")).record[:group]
    assert_raises(LLMGW::ConfigError) { c.add_rule({ customer: { bogus_op: 1 } }, "smart") }
    assert_raises(LLMGW::Error) { c.add_rule(nil, "no-such-group") }

    c.use_builtin_classifier("cheap", "smart")
    code = [{ role: "user", content: "fix this:\n```ruby\nputs 1/0\n```\n" }]
    r = c.chat(model: "cheap", messages: code, tools: [TOOL])
    assert_equal %w[smart classifier], r.record.values_at(:group, :route_rule)
    assert_equal "cheap", c.chat(model: "smart", messages: user("hi")).record[:group]
    c.classifier = ->(_req) { "smart" }
    assert_equal "smart", c.chat(model: "cheap", messages: user("hi")).record[:group]
    c.use_builtin_classifier(nil, nil)
    assert_raises(ArgumentError) { c.use_builtin_classifier("cheap", nil) }
    assert_equal [2, 4], lanes
  end

  def test_closed_client
    c = two_groups
    c.close
    assert_raises(LLMGW::ClientClosedError) { c.classifier = ->(_req) {} }
    assert_raises(LLMGW::ClientClosedError) { c.add_rule(nil, "smart") }
  end
end
