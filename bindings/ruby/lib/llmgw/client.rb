# frozen_string_literal: true

require "json"

module LLMGW
  # A gateway: deployments, routing, retries, cache, accounting. Safe to
  # share between threads; each call releases the GVL while it waits.
  #
  #   client = LLMGW::Client.new(config: "llmgw.yaml")
  #   client = LLMGW::Client.new(model_list: [...], router_settings: {num_retries: 2})
  #   res = client.chat(model: "smart", messages: [{role: "user", content: "hi"}], max_tokens: 100)
  #   client.chat(model: "smart", messages: msgs) { |delta| print delta }
  class Client
    # Top-level sections of a config file (LiteLLM's vocabulary plus llmgw_settings) accepted as keywords.
    CONFIG_SECTIONS = %i[model_list router_settings litellm_settings settings llmgw_settings].freeze

    # Hooks and their handlers; reached from C through the callback registry.
    class Hooks
      # The classifier (a callable or nil); read by Routing::CLASSIFY on every request.
      attr_accessor :classifier

      def initialize
        @classifier = nil
        @usage = [].freeze
        @log = [].freeze
        @alert = [].freeze
        @lock = Mutex.new
      end

      def add_usage(handler)
        @lock.synchronize { @usage = (@usage + [handler]).freeze }
      end

      def add_log(handler)
        @lock.synchronize { @log = (@log + [handler]).freeze }
      end

      # Adds a budget alert handler; true when it is the first (the C hook is then registered).
      def add_alert(handler)
        @lock.synchronize do
          @alert = (@alert + [handler]).freeze
          @alert.size == 1
        end
      end

      def budget_alert(ptr)
        handlers = @alert
        return if handlers.empty?

        alert = Callbacks.alert_hash(ptr)
        handlers.each do |h|
          h.call(alert.dup)
        rescue Exception => e # rubocop:disable Lint/RescueException -- the others still run
          Callbacks.stash_error(e)
        end
      end

      def usage(ptr)
        handlers = @usage
        return if handlers.empty?

        record = Callbacks.usage_record(ptr)
        handlers.each { |h| h.call(record) }
      end

      def log(level, message)
        handlers = @log
        return if handlers.empty?

        name = Lib::LOG_LEVELS.key(level) || level
        handlers.each { |h| h.call(name, message) }
      end
    end

    # LLMGW::Client.open(...) { |client| ... } closes the client when the block ends.
    def self.open(**kwargs)
      client = new(**kwargs)
      return client unless block_given?

      begin
        yield client
      ensure
        client.close
      end
    end

    # config: a path (.json/.yaml), a Hash of the same tree, nil (search $LLMGW_CONFIG, ./llmgw.yaml|json,
    # $XDG_CONFIG_HOME/llmgw/config.yaml|json, else vendors' env vars only) or false (env vars only).
    # Keywords model_list:, router_settings:, litellm_settings: (or settings:), llmgw_settings: build
    # a config Hash (merged over a Hash config). log_level: :error, :warn (default), :info or :debug
    # for the #on_log handlers. on_usage: and on_log: take a callable registered before the gateway
    # opens (so on_log also sees what loading the config logs).
    def initialize(config: nil, log_level: :warn, on_usage: nil, on_log: nil, **options)
      unknown = options.keys - CONFIG_SECTIONS
      raise ArgumentError, "unknown option(s): #{unknown.join(", ")}" unless unknown.empty?

      @hooks = Hooks.new
      @hooks.add_usage(on_usage) if on_usage
      @hooks.add_log(on_log) if on_log
      @state = Mutex.new
      @idle = ConditionVariable.new
      @in_flight = 0
      @streams = {}.compare_by_identity # streams running, cancelled by #close
      @closed = false
      # Weakly registered: a handler closing over this client must not keep it alive.
      @hooks_id = Callbacks.register(@hooks, weak: true)
      @gateway = open_gateway(resolve_config(config, options), gateway_options(log_level))
    end

    # Registers a handler for the usage record of every request (a Hash with symbol keys: provider,
    # deployment_id, input_tokens, output_tokens, cost_usd, cache_hit, attempts, trail ...). Runs on the
    # thread running the C call (the caller's, or a helper thread for streams and for calls made on the
    # main thread, see Call), once per request, failures included. An exception in it is raised
    # from that call once the call has returned.
    def on_usage(&block)
      raise ArgumentError, "on_usage needs a block" unless block

      check_open
      @hooks.add_usage(block)
      self
    end

    # Registers a handler for the library's log lines: |level, message| (level :error, :warn ...).
    def on_log(&block)
      raise ArgumentError, "on_log needs a block" unless block

      check_open
      @hooks.add_log(block)
      self
    end

    # Registers a handler for budget alerts: |alert| a Hash (scope: :customer/:tag/:global, name:, period:
    # :total/:daily/:monthly, threshold: 0.8, limit_/spent_/remaining_nano_usd: Integers and the same in
    # *_usd, period_start:, period_end:, now:, projected_exhaustion: Unix seconds or nil, shared:). It fires
    # once per budget, period and threshold (by default 50%, 80%, 100% of the limit), on the thread whose
    # request settled the spend, before that request's usage hook. An exception in it is raised from that
    # call once the call has returned (the other handlers still run).
    def on_budget_alert(&block)
      raise ArgumentError, "on_budget_alert needs a block" unless block

      check_open
      return self unless @hooks.add_alert(block)

      gateway = enter
      begin
        rc = Lib.llmgw_gateway_on_budget_alert(gateway, Callbacks::BUDGET_ALERT, Callbacks.userdata(@hooks_id))
        raise Error.last(rc) unless rc.zero?
      ensure
        leave
      end
      self
    end

    # Routes requests by a callable |request| -> group name (String/Symbol) or nil (keep the group asked
    # for), given an LLMGW::RequestView valid during the call. It runs when no routing rule matched, on
    # the thread running the C call (the caller's, or a helper thread for streams and for calls made on the
    # main thread). An exception in it is
    # reported with Kernel#warn and the request keeps its group; a name that is no known group fails the
    # request with NotFoundError. nil removes it.
    def classifier=(callable)
      raise ArgumentError, "the classifier must respond to #call (or be nil)" unless callable.nil? || callable.respond_to?(:call)

      gateway = enter
      begin
        @hooks.classifier = callable
        fn = callable ? Routing::CLASSIFY : nil
        rc = Lib.llmgw_gateway_set_classifier(gateway, fn, callable ? Callbacks.userdata(@hooks_id) : nil)
        raise Error.last(rc) unless rc.zero?
      ensure
        leave
      end
    end

    # With a block: sets it as the classifier (client.classifier { |req| ... }). Returns the classifier.
    def classifier(&block)
      self.classifier = block if block
      @hooks.classifier
    end

    # Appends a routing rule, evaluated in order before the classifier: requests matching condition (a
    # Hash such as { "metadata.tier" => { eq: "pro" } }, JSON text, or nil for always; docs/routing.md)
    # go to group target. A bad rule raises ConfigError.
    def add_rule(condition, target, name: nil)
      raise ArgumentError, "a rule target is a non-empty String" unless target.is_a?(String) && !target.empty?

      cond = condition.is_a?(Hash) ? JSON.generate(condition) : condition
      raise ArgumentError, "a rule condition is a Hash, JSON text or nil" unless cond.nil? || cond.is_a?(String)

      gateway_call(:llmgw_gateway_add_rule, name, cond, target)
    end

    # The built-in heuristic classifier: requests that look complex (long input, code blocks, tools,
    # images, a deep conversation) go to group complex, the rest to simple; (nil, nil) turns it off. A
    # classifier set with #classifier= takes precedence.
    def use_builtin_classifier(simple, complex)
      raise ArgumentError, "give both groups, or neither" if simple.nil? != complex.nil?

      gateway_call(:llmgw_gateway_use_builtin_classifier, simple, complex)
    end

    # A chat completion. params are OpenAI Chat Completions members (max_tokens:, temperature:, tools:,
    # tool_choice:, response_format:, ...), plus llmgw: {customer:, tags:, trace_id:, metadata:, cache:}
    # and timeout: (seconds for this request). Without a block returns a Response; with one, streams:
    # the block gets each text delta (a String), and the assembled Response is returned at the end.
    def chat(model:, messages:, **params, &block)
      request = build_request(model, messages, params)
      return complete(request) unless block

      Stream.new(self, request).each_event { |ev| block.call(ev.text) if ev.type == :text }
    end

    # A streamed chat as an Enumerator of StreamEvent (:text, :reasoning, :tool_call); #each returns
    # the assembled Response. The request starts when iteration starts.
    def stream(model:, messages:, **params)
      request = build_request(model, messages, params)
      stream = Stream.new(self, request)
      Enumerator.new { |y| stream.each_event { |ev| y << ev } }
    end

    # Cancels the streams running (on any thread: each ends with CancelledError, "the client was
    # closed", and its usage record), waits for the other calls in flight, then frees the gateway.
    # Idempotent; later calls raise ClientClosedError.
    def close
      raise Error.new("llmgw: #close called from a callback of this client", error_class: "") if calling?

      streams = @state.synchronize do
        return nil if @closed

        @closed = true
        @streams.keys
      end
      streams.each { |s| s.__send__(:cancel, "llmgw: the client was closed") }
      gateway = @state.synchronize do
        @idle.wait(@state) while @in_flight.positive?
        @gateway
      end
      gateway.free
      nil
    end

    def closed?
      @state.synchronize { @closed }
    end

    def inspect
      "#<LLMGW::Client#{closed? ? " closed" : ""}>"
    end

    # Builds a Response from an llmgw_response pointer and frees it (nil for NULL).
    def self.response_from(ptr)
      return nil if ptr.null?

      resp = FFI::AutoPointer.new(ptr, Lib.method(:llmgw_response_free))
      begin
        completion = JSON.parse(Lib.with_buf { |b| Lib.llmgw_response_to_json(b, resp) }, symbolize_names: true)
        record = Callbacks.usage_record(Lib.llmgw_response_usage(resp))
        Response.new(completion, record, Lib.cstr(Lib.llmgw_response_reasoning(resp)) || "")
      ensure
        resp.free
      end
    end

    private

    # A short C call on the open gateway with String arguments (nil: NULL); raises on failure.
    def gateway_call(name, *strings)
      gateway = enter
      begin
        args = strings.map { |v| v.nil? ? nil : FFI::MemoryPointer.from_string(v.to_s) }
        rc = Lib.public_send(name, gateway, *args)
        raise Error.last(rc) unless rc.zero?
      ensure
        leave
      end
      nil
    end

    def check_open
      raise ClientClosedError.new("llmgw: the client is closed", error_class: "") if closed?
    end

    # True inside a C call of this client on this thread (that is, in one of its callbacks).
    def calling?
      (Thread.current[:__llmgw_calls] || []).include?(self)
    end

    # Marks this thread as inside a C call of this client for the block.
    def in_call
      calls = (Thread.current[:__llmgw_calls] ||= [])
      calls.push(self)
      yield
    ensure
      calls.pop
    end

    # Counts a call in flight and returns the gateway; every enter is paired with one leave.
    # A hook must not call its own client (the C library forbids waiting on one's own gateway).
    # A stream passes itself, so that #close can cancel it until its #leave.
    def enter(stream = nil)
      raise Error.new("llmgw: a callback cannot call its own client", error_class: "") if calling?

      @state.synchronize do
        raise ClientClosedError.new("llmgw: the client is closed", error_class: "") if @closed

        @streams[stream] = true if stream
        @in_flight += 1
        @gateway
      end
    end

    def leave(stream = nil)
      @state.synchronize do
        @streams.delete(stream) if stream
        @in_flight -= 1
        @idle.broadcast if @in_flight.zero?
      end
    end

    # On the main thread, the C call runs on a helper thread so that Ctrl-C can cancel it (Call).
    def complete(request)
      Call.new(self, request).run
    end

    def build_request(model, messages, params)
      check_open
      timeout = params.delete(:timeout)
      body = params.reject { |k, _| %i[stream stream_options].include?(k.to_sym) }
      body = body.merge(model: model, messages: messages)
      json = JSON.generate(body)
      out = FFI::MemoryPointer.new(:pointer)
      text = FFI::MemoryPointer.from_string(json)
      rc = Lib.llmgw_request_from_json(out, text, json.bytesize)
      raise Error.last(rc) unless rc.zero?

      request = FFI::AutoPointer.new(out.read_pointer, Lib.method(:llmgw_request_free))
      set_deadline(request, timeout) if timeout
      request
    end

    def set_deadline(request, seconds)
      raise ArgumentError, "timeout must be a positive number of seconds" unless seconds.is_a?(Numeric) && seconds.positive?

      rc = Lib.llmgw_request_set_deadline_ms(request, (seconds * 1000).ceil)
      raise Error.last(rc) unless rc.zero?
    end

    def gateway_options(log_level)
      level = Lib::LOG_LEVELS.fetch(log_level) { raise ArgumentError, "log_level: one of #{Lib::LOG_LEVELS.keys.join(", ")}" }
      opts = Lib::GatewayOptions.new
      rc = Lib.llmgw_gateway_options_init(opts, Lib::GATEWAY_OPTIONS_VERSION)
      raise Error.last(rc) unless rc.zero?

      opts[:usage_cb] = Callbacks::USAGE
      opts[:usage_userdata] = Callbacks.userdata(@hooks_id)
      opts[:log_cb] = Callbacks::LOG
      opts[:log_userdata] = Callbacks.userdata(@hooks_id)
      opts[:log_level] = level
      opts
    end

    # [:path, String] | [:json, String] | [:none, nil]
    def resolve_config(config, sections)
      inline = sections.compact
      case config
      when Hash
        [:json, JSON.generate(config.merge(inline))]
      when String, ->(c) { c.respond_to?(:to_path) }
        raise ArgumentError, "config: a path cannot be combined with #{inline.keys.join(", ")}" unless inline.empty?

        [:path, config.respond_to?(:to_path) ? config.to_path : config]
      when nil, false
        return [:json, JSON.generate(inline)] unless inline.empty?

        path = config.nil? ? Client.default_config_path : nil
        path ? [:path, path] : [:none, nil]
      else
        raise ArgumentError, "config: a path, a Hash, nil or false (got #{config.class})"
      end
    end

    def open_gateway((kind, value), opts)
      out = FFI::MemoryPointer.new(:pointer)
      rc = case kind
           when :path
             Lib.llmgw_gateway_open(out, FFI::MemoryPointer.from_string(value), opts)
           when :json
             Lib.llmgw_gateway_open_buffer(out, FFI::MemoryPointer.from_string(value), value.bytesize,
                                           FFI::MemoryPointer.from_string("json"), opts)
           else
             Lib.llmgw_gateway_new(out, opts)
           end
      error = Callbacks.take_error
      raise Error.last(rc) unless rc.zero?

      gateway = FFI::AutoPointer.new(out.read_pointer, Lib.method(:llmgw_gateway_free))
      raise error if error

      gateway
    end

    # docs/conventions.md §1: $LLMGW_CONFIG, ./llmgw.yaml|json, $XDG_CONFIG_HOME/llmgw/config.yaml|json.
    def self.default_config_path
      env = ENV.fetch("LLMGW_CONFIG", "")
      return env unless env.empty?

      xdg = ENV.fetch("XDG_CONFIG_HOME", "")
      xdg = File.join(Dir.home, ".config") if xdg.empty? && ENV.key?("HOME")
      candidates = %w[llmgw.yaml llmgw.yml llmgw.json].map { |n| File.join(Dir.pwd, n) }
      candidates += %w[config.yaml config.yml config.json].map { |n| File.join(xdg, "llmgw", n) } unless xdg.to_s.empty?
      candidates.find { |p| File.file?(p) }
    end
  end
end
