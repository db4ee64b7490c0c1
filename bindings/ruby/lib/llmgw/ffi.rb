# frozen_string_literal: true

require "ffi"
require_relative "loader"

module LLMGW
  # The C API, one attach_function per function used. Structs mirror
  # include/llmgw/*.h member for member (test/test_layout.rb compares every
  # offset and size with the C compiler's). Network calls are attached with
  # blocking: true, so the GVL is released while they run.
  module Lib
    extend FFI::Library

    LIBRARY = Loader.load_into(self)

    # Struct versions this binding was written against.
    GATEWAY_OPTIONS_VERSION = 1
    STREAM_SINK_VERSION = 1
    REPORT_OPTIONS_VERSION = 1
    BUDGET_ALERT_VERSION = 1

    LOG_LEVELS = { error: 1, warn: 2, info: 3, debug: 4 }.freeze

    # llmgw_buf (buf.h)
    class Buf < FFI::Struct
      layout :ptr, :pointer,
             :size, :size_t,
             :asize, :size_t
    end

    # struct llmgw_attempt (hooks.h). It "may grow at the end", yet llmgw_error.attempts is an array
    # of it, so the binding must know its exact size to index that array.
    class Attempt < FFI::Struct
      layout :deployment, :pointer,
             :provider, :pointer,
             :model, :pointer,
             :status, :int,
             :error_class, :int,
             :http_status, :int,
             :usage_known, :int,
             :billed, :int,
             :input_tokens, :uint64,
             :output_tokens, :uint64,
             :cache_read_tokens, :uint64,
             :cache_creation_tokens, :uint64,
             :reasoning_tokens, :uint64,
             :cost_nusd, :int64,
             :cost_source, :int,
             :latency_us, :int64,
             :wait_us, :int64,
             :retry_after_ms, :int64,
             :usage_estimated, :int,
             :input_cost_nusd, :int64,
             :output_cost_nusd, :int64,
             :group, :pointer,
             :route_rule, :pointer
    end

    # llmgw_error (errors.h)
    class ErrorInfo < FFI::Struct
      layout :code, :int,
             :error_class, :int,
             :message, :pointer,
             :provider, :pointer,
             :http_status, :int,
             :retry_after_ms, :int64,
             :attempts, :pointer,
             :attempt_count, :size_t
    end

    # llmgw_gateway_options (gateway.h), version 1. Strings and callbacks are
    # pointers: the caller keeps what they point to alive until
    # llmgw_gateway_new/open returns (the library copies strings).
    class GatewayOptions < FFI::Struct
      layout :version, :uint,
             :deadline_ms, :int64,
             :connect_timeout_ms, :int64,
             :first_byte_timeout_ms, :int64,
             :idle_timeout_ms, :int64,
             :attempt_timeout_ms, :int64,
             :max_response_bytes, :size_t,
             :max_stream_bytes, :size_t,
             :max_sse_line_bytes, :size_t,
             :max_headers, :uint,
             :max_header_bytes, :size_t,
             :max_attempts, :uint,
             :pool_size, :uint,
             :log_cb, :pointer,
             :log_userdata, :pointer,
             :log_level, :int,
             :usage_cb, :pointer,
             :usage_userdata, :pointer,
             :proxy, :pointer,
             :ca_path, :pointer,
             :seed, :uint64,
             :routing_strategy, :int,
             :max_fallbacks, :uint,
             :allowed_fails, :uint,
             :cooldown_ms, :int64,
             :breaker_disabled, :int,
             :retry_budget_percent, :int,
             :hedge_after_ms, :int64,
             :drop_params, :int,
             :cache_enabled, :int,
             :cache_ttl_ms, :int64,
             :cache_max_bytes, :size_t,
             :cache_max_entry_bytes, :size_t,
             :cache_namespace, :pointer,
             :cache_require_namespace, :int,
             :prices_path, :pointer,
             :tag_filtering, :int
    end

    # llmgw_tool_call_delta (stream.h)
    class ToolCallDelta < FFI::Struct
      layout :index, :size_t,
             :id, :pointer,
             :name, :pointer,
             :arguments, :pointer,
             :arguments_len, :size_t
    end

    # llmgw_stream_sink (stream.h), version 1
    class StreamSink < FFI::Struct
      layout :version, :uint,
             :on_text, :pointer,
             :on_reasoning, :pointer,
             :on_tool_call, :pointer,
             :on_usage, :pointer,
             :on_done, :pointer,
             :on_error, :pointer,
             :userdata, :pointer
    end

    # llmgw_report_options (report.h), version 1. Strings are pointers the caller keeps alive.
    class ReportOptions < FFI::Struct
      layout :version, :uint,
             :by, :pointer,
             :since, :pointer,
             :until, :pointer,
             :format, :pointer,
             :now_us, :int64,
             :max_groups, :size_t,
             :max_line_bytes, :size_t,
             :prices_path, :pointer,
             :as, :pointer,
             :map, :pointer,
             :map_count, :size_t,
             :project_cache, :int,
             :cache_hit_rate, :double
    end

    # llmgw_budget_alert (gateway.h), version 1: read-only, valid during the callback
    class BudgetAlert < FFI::Struct
      layout :version, :uint,
             :scope, :int,
             :name, :pointer,
             :period, :int,
             :period_start, :int64,
             :period_end, :int64,
             :threshold, :double,
             :limit_nusd, :int64,
             :spent_nusd, :int64,
             :remaining_nusd, :int64,
             :now, :int64,
             :projected_exhaustion, :int64,
             :shared, :int
    end

    # version.h
    attach_function :llmgw_version, [], :string

    # errors.h
    attach_function :llmgw_error_last, [], :pointer
    attach_function :llmgw_error_clear, [], :void
    attach_function :llmgw_error_class_str, [:int], :string
    attach_function :llmgw_status_str, [:int], :string

    # buf.h
    attach_function :llmgw_buf_dispose, [:pointer], :void

    # gateway.h, config.h
    attach_function :llmgw_gateway_options_init, %i[pointer uint], :int
    attach_function :llmgw_gateway_new, %i[pointer pointer], :int
    attach_function :llmgw_gateway_open, %i[pointer pointer pointer], :int
    attach_function :llmgw_gateway_open_buffer, %i[pointer pointer size_t pointer pointer], :int
    attach_function :llmgw_gateway_free, [:pointer], :void
    attach_function :llmgw_complete, %i[pointer pointer pointer], :int, blocking: true
    attach_function :llmgw_gateway_add_rule, %i[pointer pointer pointer pointer], :int
    attach_function :llmgw_gateway_set_classifier, %i[pointer pointer pointer], :int
    attach_function :llmgw_gateway_use_builtin_classifier, %i[pointer pointer pointer], :int
    attach_function :llmgw_gateway_on_budget_alert, %i[pointer pointer pointer], :int

    # request.h
    attach_function :llmgw_request_from_json, %i[pointer pointer size_t], :int
    attach_function :llmgw_request_set_deadline_ms, %i[pointer int64], :int
    attach_function :llmgw_request_free, [:pointer], :void
    attach_function :llmgw_request_cancel, [:pointer], :int
    attach_function :llmgw_request_model, [:pointer], :pointer
    attach_function :llmgw_request_to_json, %i[pointer pointer], :int
    attach_function :llmgw_request_customer, [:pointer], :pointer
    attach_function :llmgw_request_trace_id, [:pointer], :pointer
    attach_function :llmgw_request_tag_count, [:pointer], :size_t
    attach_function :llmgw_request_tag, %i[pointer size_t], :pointer
    attach_function :llmgw_request_metadata_json, %i[pointer pointer], :int

    # response.h, hooks.h
    attach_function :llmgw_response_free, [:pointer], :void
    attach_function :llmgw_response_to_json, %i[pointer pointer], :int
    attach_function :llmgw_response_usage, [:pointer], :pointer
    attach_function :llmgw_response_reasoning, [:pointer], :pointer
    attach_function :llmgw_usage_to_json, %i[pointer pointer], :int

    # report.h (they read files: the GVL is released)
    attach_function :llmgw_report_options_init, %i[pointer uint], :int
    attach_function :llmgw_cost_report, %i[pointer pointer size_t pointer], :int, blocking: true
    attach_function :llmgw_cost_simulate, %i[pointer pointer size_t pointer], :int, blocking: true

    # stream.h
    attach_function :llmgw_stream_sink_init, %i[pointer uint], :int
    attach_function :llmgw_complete_stream, %i[pointer pointer pointer pointer], :int, blocking: true

    module_function

    # A NUL-terminated UTF-8 string at ptr, or nil.
    def cstr(ptr)
      return nil if ptr.nil? || ptr.null?

      ptr.read_string.force_encoding(Encoding::UTF_8)
    end

    # Runs the block with an llmgw_buf, returns its contents as a String and disposes of it.
    # The block returns an llmgw status; a failure raises.
    def with_buf
      buf = Buf.new
      rc = yield buf.pointer
      raise LLMGW::Error.last(rc) if rc != 0

      buf[:ptr].null? ? +"" : buf[:ptr].read_bytes(buf[:size]).force_encoding(Encoding::UTF_8)
    ensure
      llmgw_buf_dispose(buf.pointer) if buf
    end
  end
end
