# frozen_string_literal: true

module LLMGW
  # Every failure reported by llmgw. The subclass follows the error class
  # (DESIGN.md §4: "rate_limit", "auth", ...); the details come from
  # llmgw_error_last() of the thread that made the call.
  class Error < StandardError
    # llmgw_status code (negative Integer), e.g. -7 for a rate limit
    attr_reader :code
    # error class name: "rate_limit", "auth", ... ("" when the library gave none)
    attr_reader :error_class
    # HTTP status of the last upstream answer, or nil when none was received
    attr_reader :status
    # provider id ("openai"), or nil
    attr_reader :provider
    # server hint in milliseconds, or nil when unknown
    attr_reader :retry_after_ms
    # the attempt trail: an Array of Hashes (deployment, provider, model, status, error_class, http_status ...)
    attr_reader :attempts

    def initialize(message = nil, code: -1, error_class: "", status: nil, provider: nil,
                   retry_after_ms: nil, attempts: [])
      super(message || self.class.name)
      @code = code
      @error_class = error_class
      @status = status
      @provider = provider
      @retry_after_ms = retry_after_ms
      @attempts = attempts.freeze
    end

    # Seconds to wait before retrying (Float), or nil when unknown.
    def retry_after
      retry_after_ms && retry_after_ms / 1000.0
    end

    def to_h
      { class: error_class, message: message, code: code, status: status, provider: provider,
        retry_after_ms: retry_after_ms, attempts: attempts }
    end
  end

  class BadRequestError < Error; end
  class ContextWindowExceededError < BadRequestError; end
  class ContentPolicyError < BadRequestError; end
  class AuthenticationError < Error; end
  class NotFoundError < Error; end
  class RateLimitError < Error; end
  class QuotaExceededError < RateLimitError; end
  class TimeoutError < Error; end
  class ConnectionError < Error; end
  class StreamCutError < ConnectionError; end
  class ServerError < Error; end
  class BudgetExceededError < Error; end
  class ConfigError < Error; end
  class UnsupportedError < Error; end
  class CancelledError < Error; end
  class InvalidArgumentError < Error; end
  # A call on a client after #close.
  class ClientClosedError < Error; end

  class Error
    BY_CLASS = {
      "bad_request" => BadRequestError,
      "auth" => AuthenticationError,
      "not_found" => NotFoundError,
      "rate_limit" => RateLimitError,
      "quota_exceeded" => QuotaExceededError,
      "context_length_exceeded" => ContextWindowExceededError,
      "content_policy" => ContentPolicyError,
      "timeout" => TimeoutError,
      "server_error" => ServerError,
      "network" => ConnectionError,
      "stream_cut" => StreamCutError,
      "budget_exceeded" => BudgetExceededError,
      "config" => ConfigError,
      "unsupported" => UnsupportedError,
      "cancelled" => CancelledError
    }.freeze

    # By llmgw_status code, when the library named no class.
    BY_CODE = {
      -3 => InvalidArgumentError, -4 => ConfigError, -5 => NotFoundError, -6 => AuthenticationError,
      -7 => RateLimitError, -8 => TimeoutError, -9 => ServerError, -10 => BadRequestError,
      -11 => BudgetExceededError, -12 => CancelledError, -13 => UnsupportedError, -14 => CancelledError
    }.freeze

    class << self
      # A plain snapshot of an llmgw_error (pointer valid for the caller's moment only).
      def snapshot(ptr)
        e = Lib::ErrorInfo.new(ptr)
        count = e[:attempt_count]
        base = e[:attempts]
        trail = base.null? ? [] : Array.new(count) { |i| attempt_hash(base + i * Lib::Attempt.size) }
        { code: e[:code], error_class: class_name(e[:error_class]), message: Lib.cstr(e[:message]) || "",
          provider: Lib.cstr(e[:provider]), status: e[:http_status].zero? ? nil : e[:http_status],
          retry_after_ms: e[:retry_after_ms].negative? ? nil : e[:retry_after_ms], attempts: trail }
      end

      # The exception for a snapshot (see #snapshot).
      def from_snapshot(s)
        code = s[:code].zero? ? -1 : s[:code]
        klass = BY_CLASS[s[:error_class]] || BY_CODE[code] || Error
        message = s[:message].to_s.empty? ? (Lib.llmgw_status_str(code) || "llmgw error") : s[:message]
        klass.new(message, code: code, error_class: s[:error_class], status: s[:status],
                           provider: s[:provider], retry_after_ms: s[:retry_after_ms], attempts: s[:attempts])
      end

      # The exception for this thread's llmgw_error_last(); rc is the status the call returned.
      def last(rc = nil)
        s = snapshot(Lib.llmgw_error_last)
        s[:code] = rc if rc && s[:code].zero?
        from_snapshot(s)
      end

      private

      def class_name(n)
        n.zero? ? "" : (Lib.llmgw_error_class_str(n) || "")
      end

      def attempt_hash(ptr)
        a = Lib::Attempt.new(ptr)
        { deployment: Lib.cstr(a[:deployment]), provider: Lib.cstr(a[:provider]), model: Lib.cstr(a[:model]),
          status: a[:status], error_class: class_name(a[:error_class]),
          http_status: a[:http_status], retry_after_ms: a[:retry_after_ms].negative? ? nil : a[:retry_after_ms],
          group: Lib.cstr(a[:group]), route_rule: Lib.cstr(a[:route_rule]) }
      end
    end
  end
end
