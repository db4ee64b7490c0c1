# frozen_string_literal: true

require "json"

module LLMGW
  # Token counts in OpenAI's meaning: prompt_tokens counts every input token
  # (cache reads and writes included), completion_tokens includes reasoning.
  Usage = Struct.new(:prompt_tokens, :completion_tokens, :total_tokens, :cached_tokens,
                     :cache_creation_tokens, :reasoning_tokens, keyword_init: true) do
    alias_method :input_tokens, :prompt_tokens
    alias_method :output_tokens, :completion_tokens
  end

  # A complete tool call of the answer; arguments is the JSON text the model wrote.
  ToolCall = Struct.new(:id, :name, :arguments, keyword_init: true) do
    # The arguments parsed (raises JSON::ParserError when the model wrote invalid JSON).
    def parsed_arguments
      JSON.parse(arguments.to_s.empty? ? "{}" : arguments)
    end

    # OpenAI's shape, as it goes back in an assistant message.
    def to_h
      { id: id, type: "function", function: { name: name, arguments: arguments } }
    end

    def to_json(*args)
      to_h.to_json(*args)
    end
  end

  # The normalized answer to one chat call. Everything is copied out of the
  # C response, which is freed before this object is returned.
  class Response
    # the OpenAI "chat.completion" object (symbol keys)
    attr_reader :completion
    # the usage record (symbol keys; docs/conventions.md §9): cost, provider, attempts, latency ...
    attr_reader :record
    # reasoning ("thinking") text when the provider surfaced it, else ""
    attr_reader :reasoning

    def initialize(completion, record, reasoning = "")
      @completion = completion.freeze
      @record = record.freeze
      @reasoning = reasoning.freeze
    end

    # The assistant message: {role:, content:, tool_calls: [...]} (ready to append to messages).
    def message
      choice[:message] || {}
    end

    def text
      message[:content] || ""
    end
    alias to_s text

    def tool_calls
      @tool_calls ||= (message[:tool_calls] || []).map do |tc|
        fn = tc[:function] || {}
        ToolCall.new(id: tc[:id], name: fn[:name], arguments: fn[:arguments])
      end.freeze
    end

    def finish_reason
      choice[:finish_reason]
    end

    def id
      completion[:id]
    end

    # The model that answered.
    def model
      record[:model] || completion[:model]
    end

    def provider
      record[:provider]
    end

    def deployment
      record[:deployment_id]
    end

    # USD as a Float for display, or nil when no price is known (never a silent 0).
    def cost_usd
      record[:cost_usd]
    end

    # Exact cost in integer nano-USD, or nil when unknown.
    def cost_nano_usd
      record[:cost_nano_usd]
    end

    def cache_hit?
      record[:cache_hit] == true
    end

    def attempts
      record[:trail] || []
    end

    def usage
      @usage ||= Usage.new(prompt_tokens: record[:input_tokens], completion_tokens: record[:output_tokens],
                           total_tokens: record[:total_tokens], cached_tokens: record[:cache_read_tokens],
                           cache_creation_tokens: record[:cache_creation_tokens],
                           reasoning_tokens: record[:reasoning_tokens]).freeze
    end

    # The chat.completion object plus an :llmgw member holding the usage record (as `llmgw --json` prints).
    def to_h
      completion.merge(llmgw: record)
    end

    def to_json(*args)
      to_h.to_json(*args)
    end

    def inspect
      "#<LLMGW::Response provider=#{provider.inspect} model=#{model.inspect} " \
        "finish_reason=#{finish_reason.inspect} text=#{text[0, 60].inspect}>"
    end

    private

    def choice
      (completion[:choices] || [])[0] || {}
    end
  end
end
