# frozen_string_literal: true

require "json"

module LLMGW
  # A read-only look at a request, handed to a classifier (Client#classifier=). Valid only while
  # the classifier runs: keep the values, not the view.
  #
  #   model          the group or provider/model asked for
  #   messages       Array of Hashes (symbol keys), text (every text part, joined by "\n")
  #   message_count, tools?, images?, json_mode?, max_tokens (max_tokens or max_completion_tokens)
  #   body           the whole OpenAI request (Hash, symbol keys); view[:temperature]
  #   customer, tags, metadata, trace_id   the caller metadata (llmgw: {...}), read from the C request
  class RequestView
    def initialize(ptr)
      @ptr = ptr
      @body = nil
      @metadata = nil
    end

    def model
      Lib.cstr(Lib.llmgw_request_model(request)) || ""
    end

    def body
      @body ||= JSON.parse(Lib.with_buf { |b| Lib.llmgw_request_to_json(b, request) }, symbolize_names: true)
    end

    def [](name)
      body[name.to_sym]
    end

    def messages
      m = body[:messages]
      m.is_a?(Array) ? m : []
    end

    def message_count
      messages.size
    end

    def text
      messages.flat_map do |m|
        c = m.is_a?(Hash) ? m[:content] : nil
        case c
        when String then [c]
        when Array then c.filter_map { |p| p[:text] if p.is_a?(Hash) && p[:text].is_a?(String) }
        else []
        end
      end.join("\n")
    end

    def tools?
      t = body[:tools]
      t.is_a?(Array) && !t.empty?
    end

    def images?
      messages.any? do |m|
        c = m.is_a?(Hash) ? m[:content] : nil
        c.is_a?(Array) && c.any? { |p| p.is_a?(Hash) && p[:type] == "image_url" }
      end
    end

    def json_mode?
      rf = body[:response_format]
      rf.is_a?(Hash) && %w[json_object json_schema].include?(rf[:type])
    end

    def max_tokens
      [body[:max_tokens], body[:max_completion_tokens]].find { |v| v.is_a?(Integer) }
    end

    def customer
      Lib.cstr(Lib.llmgw_request_customer(request))
    end

    def tags
      req = request
      Array.new(Lib.llmgw_request_tag_count(req)) { |i| Lib.cstr(Lib.llmgw_request_tag(req, i)) }.compact
    end

    # The caller metadata as a new Hash of Strings ({} when none).
    def metadata
      @metadata ||= begin
        md = JSON.parse(Lib.with_buf { |b| Lib.llmgw_request_metadata_json(b, request) })
        md.is_a?(Hash) ? md.freeze : {}.freeze
      end
      @metadata.dup
    end

    def trace_id
      Lib.cstr(Lib.llmgw_request_trace_id(request))
    end

    def inspect
      @ptr ? "#<LLMGW::RequestView model=#{model.inspect}>" : "#<LLMGW::RequestView (closed)>"
    end

    # Called by the binding when the classifier returns.
    def close!
      @ptr = nil
    end

    private

    def request
      raise Error.new("llmgw: a RequestView is only valid while the classifier runs", error_class: "") unless @ptr

      @ptr
    end
  end

  # The classifier hook: Routing::CLASSIFY, registered with llmgw_gateway_set_classifier.
  module Routing
    class << self
      # Runs the classifier; returns a pointer to the group name or NULL. Never raises.
      def classify(hooks, ptr)
        fn = hooks&.classifier
        return FFI::Pointer::NULL if fn.nil? || ptr.null?

        view = RequestView.new(ptr)
        answer(fn.call(view))
      rescue Exception => e # rubocop:disable Lint/RescueException -- must not unwind into C
        warn_once(e)
        FFI::Pointer::NULL
      ensure
        view&.close!
      end

      private

      def answer(group)
        return FFI::Pointer::NULL if group.nil?

        group = group.to_s if group.is_a?(Symbol)
        raise TypeError, "the classifier must return a String, a Symbol or nil (got #{group.class})" unless group.is_a?(String)
        return FFI::Pointer::NULL if group.empty?

        # valid until this thread's next classification, as the C API requires
        mem = FFI::MemoryPointer.from_string(group)
        Thread.current.thread_variable_set(:__llmgw_classifier_answer, mem)
        mem
      end

      def warn_once(error)
        Kernel.warn("llmgw: the classifier raised #{error.class}: #{error.message}; the request keeps its group")
      rescue Exception # rubocop:disable Lint/RescueException
        nil
      end
    end

    # llmgw_classifier_cb(const llmgw_request *req, void *userdata) -> const char *
    CLASSIFY = FFI::Function.new(:pointer, %i[pointer pointer]) do |req, userdata|
      Routing.classify(Callbacks.lookup(userdata), req)
    end
  end
end
