# frozen_string_literal: true

require "json"

module LLMGW
  # The C callbacks. Each is one FFI::Function held in a constant, so it can
  # never be collected; its userdata is an integer id into a registry of Ruby
  # objects (a client's hooks, a stream in flight), so a collected object
  # is never reached from C. Nothing raised here unwinds into C: every
  # trampoline rescues, and what it rescued is raised later, after the C call
  # has returned.
  module Callbacks
    # id => object. Each operation is one Hash (or WeakMap) call, atomic under the GVL, and no Mutex
    # is taken, so the table is safe to use from any callback or finalizer.
    # Strong entries (a stream in flight) are removed by #unregister. Weak entries (a client's hooks,
    # whose handlers often close over the client itself) never keep their object alive: the client
    # holds its hooks, the gateway's releaser frees the C side first, and the entry then goes with GC.
    @strong = {}
    @weak = ObjectSpace::WeakMap.new

    class << self
      # Registers obj; returns its id (its object_id: unique, never reused, never 0).
      def register(obj, weak: false)
        id = obj.object_id
        weak ? @weak[id] = obj : @strong[id] = obj
        id
      end

      # Forgets a strong entry (weak ones leave with their object).
      def unregister(id)
        @strong.delete(id)
        nil
      end

      def lookup(userdata)
        return nil if userdata.nil? || userdata.null?

        id = userdata.address
        @strong[id] || @weak[id]
      end

      # Strong entries: streams in flight.
      def registered_count
        @strong.size
      end

      # Pointer to pass as userdata for id.
      def userdata(id)
        FFI::Pointer.new(id)
      end

      # Hook errors are kept per fiber (callbacks run on the fiber that made the call) and raised
      # by the binding once the C call has returned.
      def stash_error(error)
        Thread.current[:__llmgw_callback_error] ||= error
      end

      def take_error
        e = Thread.current[:__llmgw_callback_error]
        Thread.current[:__llmgw_callback_error] = nil
        e
      end

      # The usage record at ptr as a Hash with symbol keys.
      def usage_record(ptr)
        JSON.parse(Lib.with_buf { |buf| Lib.llmgw_usage_to_json(buf, ptr) }, symbolize_names: true)
      end
    end

    # llmgw_usage_cb(const llmgw_usage *usage, void *userdata)
    USAGE = FFI::Function.new(:void, %i[pointer pointer]) do |usage, userdata|
      begin
        Callbacks.lookup(userdata)&.usage(usage)
      rescue Exception => e # rubocop:disable Lint/RescueException -- must not unwind into C
        Callbacks.stash_error(e)
      end
      nil
    end

    # llmgw_log_cb(int level, const char *msg, void *userdata)
    LOG = FFI::Function.new(:void, %i[int pointer pointer]) do |level, msg, userdata|
      begin
        Callbacks.lookup(userdata)&.log(level, Lib.cstr(msg))
      rescue Exception => e # rubocop:disable Lint/RescueException
        Callbacks.stash_error(e)
      end
      nil
    end

    # llmgw_budget_alert_cb(const llmgw_budget_alert *alert, void *userdata)
    BUDGET_ALERT = FFI::Function.new(:void, %i[pointer pointer]) do |alert, userdata|
      begin
        Callbacks.lookup(userdata)&.budget_alert(alert)
      rescue Exception => e # rubocop:disable Lint/RescueException -- must not unwind into C
        Callbacks.stash_error(e)
      end
      nil
    end

    SCOPES = { 0 => :customer, 1 => :tag, 2 => :global }.freeze
    PERIODS = { 0 => :total, 1 => :daily, 2 => :monthly }.freeze

    # A budget alert as a Hash with symbol keys; money as exact *_nano_usd Integers and *_usd Floats.
    def self.alert_hash(ptr)
      a = Lib::BudgetAlert.new(ptr)
      { scope: SCOPES.fetch(a[:scope], a[:scope]), name: Lib.cstr(a[:name]), period: PERIODS.fetch(a[:period], a[:period]),
        period_start: a[:period_start].zero? ? nil : a[:period_start],
        period_end: a[:period_end].zero? ? nil : a[:period_end], threshold: a[:threshold],
        limit_nano_usd: a[:limit_nusd], spent_nano_usd: a[:spent_nusd], remaining_nano_usd: a[:remaining_nusd],
        limit_usd: a[:limit_nusd] / 1e9, spent_usd: a[:spent_nusd] / 1e9, remaining_usd: a[:remaining_nusd] / 1e9,
        now: a[:now], projected_exhaustion: a[:projected_exhaustion].negative? ? nil : a[:projected_exhaustion],
        shared: a[:shared] != 0 }
    end

    # Stream sink callbacks; their target (a Stream::Context) never raises and returns 0 or 1.
    ON_TEXT = FFI::Function.new(:int, %i[pointer size_t pointer]) do |text, len, userdata|
      ctx = Callbacks.lookup(userdata)
      ctx ? ctx.on_text(text, len) : 1
    end

    ON_REASONING = FFI::Function.new(:int, %i[pointer size_t pointer]) do |text, len, userdata|
      ctx = Callbacks.lookup(userdata)
      ctx ? ctx.on_reasoning(text, len) : 1
    end

    ON_TOOL_CALL = FFI::Function.new(:int, %i[pointer pointer]) do |delta, userdata|
      ctx = Callbacks.lookup(userdata)
      ctx ? ctx.on_tool_call(delta) : 1
    end

    ON_STREAM_USAGE = FFI::Function.new(:int, %i[pointer pointer]) do |_usage, _userdata|
      0 # the gateway's usage hook reports the record; the response carries it too
    end

    ON_DONE = FFI::Function.new(:void, %i[pointer pointer]) do |_response, _userdata|
      nil # the assembled response comes back through the out parameter
    end

    ON_ERROR = FFI::Function.new(:void, %i[pointer pointer]) do |error, userdata|
      Callbacks.lookup(userdata)&.on_error(error)
      nil
    end
  end
end
