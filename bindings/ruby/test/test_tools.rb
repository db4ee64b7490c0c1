# frozen_string_literal: true

require_relative "helper"

# Tools both ways: the model asks for calls (complete and streamed), and the
# application declares tools and sends results back, as OpenAI's shapes.
class TestTools < LLMGWTest::Case
  WEATHER = {
    type: "function",
    function: { name: "get_weather", description: "Weather for a city",
                parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }
  }.freeze

  CALLS = [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } },
           { id: "call_2", name: "get_weather", arguments: { city: "Oslo" } }].freeze

  def test_model_returns_tool_calls
    c, ln = scripted([{ tool_calls: CALLS }])
    res = c.chat(model: "g", messages: user("weather?"), tools: [WEATHER], tool_choice: "auto")

    assert_equal "tool_calls", res.finish_reason
    assert_equal %w[call_1 call_2], res.tool_calls.map(&:id)
    assert_equal %w[get_weather get_weather], res.tool_calls.map(&:name)
    assert_equal({ "city" => "Paris" }, res.tool_calls[0].parsed_arguments)
    assert_equal({ "city" => "Oslo" }, JSON.parse(res.tool_calls[1].arguments))
    assert_equal "", res.text

    body = mock.requests(ln)[0]["body"]
    assert_equal "get_weather", body["tools"][0]["function"]["name"]
    assert_equal ["city"], body["tools"][0]["function"]["parameters"]["required"]
    assert_equal "auto", body["tool_choice"]
  end

  def test_results_go_back_upstream
    name = lane
    mock.script(name, [{ tool_calls: [CALLS[0]] }, { text: "It is sunny in Paris." }])
    c = client(config_for(name))
    messages = user("weather in Paris?")
    first = c.chat(model: "g", messages: messages, tools: [WEATHER])
    messages += [first.message]
    first.tool_calls.each do |call|
      messages << { role: "tool", tool_call_id: call.id, content: JSON.generate(temp_c: 21) }
    end
    second = c.chat(model: "g", messages: messages, tools: [WEATHER])

    assert_equal "It is sunny in Paris.", second.text
    sent = mock.requests(name)[1]["body"]["messages"]
    assert_equal %w[user assistant tool], sent.map { |m| m["role"] }
    assert_equal "call_1", sent[1]["tool_calls"][0]["id"]
    assert_equal "get_weather", sent[1]["tool_calls"][0]["function"]["name"]
    assert_equal({ "city" => "Paris" }, JSON.parse(sent[1]["tool_calls"][0]["function"]["arguments"]))
    assert_equal "call_1", sent[2]["tool_call_id"]
    assert_equal '{"temp_c":21}', sent[2]["content"]
  end

  def test_tool_call_objects_serialize_in_openai_shape
    name = lane
    mock.script(name, [{ tool_calls: [CALLS[1]] }, { text: "ok" }])
    c = client(config_for(name))
    call = c.chat(model: "g", messages: user("x"), tools: [WEATHER]).tool_calls[0]
    c.chat(model: "g", tools: [WEATHER], messages: user("x") + [
             { role: "assistant", content: nil, tool_calls: [call] },
             { role: "tool", tool_call_id: call.id, content: "cold" }
           ])

    sent = mock.requests(name)[1]["body"]["messages"][1]["tool_calls"][0]
    assert_equal({ "id" => "call_2", "type" => "function",
                   "function" => { "name" => "get_weather", "arguments" => call.arguments } }, sent)
  end

  def test_streamed_tool_calls
    c, = scripted([{ tool_calls: CALLS }])
    deltas = []
    res = c.stream(model: "g", messages: user("x"), tools: [WEATHER]).each do |ev|
      deltas << ev.tool_call if ev.type == :tool_call
    end

    refute_empty deltas
    assert_equal [0, 1], deltas.map(&:index).uniq.sort
    first = deltas.find { |d| d.index.zero? && d.id }
    assert_equal "call_1", first.id
    assert_equal "get_weather", first.name
    args = deltas.select { |d| d.index == 1 }.map(&:arguments).join
    assert_equal({ "city" => "Oslo" }, JSON.parse(args))
    assert_equal "tool_calls", res.finish_reason
    assert_equal %w[call_1 call_2], res.tool_calls.map(&:id)
  end

  def test_text_block_ignores_tool_deltas_and_response_has_the_calls
    c, = scripted([{ tool_calls: [CALLS[0]] }])
    texts = []
    res = c.chat(model: "g", messages: user("x"), tools: [WEATHER]) { |d| texts << d }

    assert(texts.all? { |t| t.is_a?(String) })
    assert_equal({ "city" => "Paris" }, res.tool_calls[0].parsed_arguments)
  end
end
