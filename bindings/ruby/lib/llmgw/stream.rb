# frozen_string_literal: true

module LLMGW
  # One streamed event: type is :text or :reasoning (with text) or :tool_call (with tool_call).
  StreamEvent = Struct.new(:type, :text, :tool_call, keyword_init: true)
  # A fragment of a tool call: id and name come with the first fragment of call `index`.
  ToolCallDelta = Struct.new(:index, :id, :name, :arguments, keyword_init: true)

  # Runs llmgw_complete_stream on a worker thread and hands its events to the
  # caller's thread through a queue. The caller's block therefore runs in
  # plain Ruby, never inside a C callback: an exception, break, throw or
  # return in it works as usual. When the block leaves early, an Interrupt
  # (Ctrl-C) or Thread#raise reaches the caller while it waits for an event,
  # or Client#close is called (from any thread), the stream is cancelled
  # through llmgw_request_cancel() (the C call stops within about 100 ms even
  # while the upstream is silent, class "cancelled", one usage record) and
  # the caller waits for the C call to return before the exception goes on,
  # so nothing of the stream outlives the call.
  class Stream
    # What the worker's C callbacks reach through the registry. Never raises.
    class Context
      attr_reader :error

      def initialize(queue)
        @queue = queue
        @cancelled = false
        @error = nil
      end

      def cancel!
        @cancelled = true
      end

      def on_text(ptr, len)
        deliver(:text, text: ptr.read_bytes(len).force_encoding(Encoding::UTF_8))
      end

      def on_reasoning(ptr, len)
        deliver(:reasoning, text: ptr.read_bytes(len).force_encoding(Encoding::UTF_8))
      end

      def on_tool_call(ptr)
        d = Lib::ToolCallDelta.new(ptr)
        args = d[:arguments].null? ? +"" : d[:arguments].read_bytes(d[:arguments_len]).force_encoding(Encoding::UTF_8)
        deliver(:tool_call, tool_call: ToolCallDelta.new(index: d[:index], id: Lib.cstr(d[:id]),
                                                          name: Lib.cstr(d[:name]), arguments: args))
      end

      def on_error(ptr)
        @error = Error.snapshot(ptr)
      rescue Exception => e # rubocop:disable Lint/RescueException -- never unwind into C
        Callbacks.stash_error(e)
      end

      private

      def deliver(type, **fields)
        return 1 if @cancelled

        @queue << StreamEvent.new(type: type, **fields)
        0
      rescue Exception => e # rubocop:disable Lint/RescueException
        Callbacks.stash_error(e)
        1
      end
    end

    # client: the Client; request: an AutoPointer to an llmgw_request (owned by this stream).
    def initialize(client, request)
      @client = client
      @request = OwnedRequest.new(request) # the worker frees it; a caller leaving early cancels it
      @queue = nil
      @thread = nil
      @ctx = nil
      @cancel_reason = nil
    end

    # Runs the stream, yielding each StreamEvent; returns the assembled Response.
    # A stream runs once.
    def each_event(&block)
      raise ArgumentError, "a stream runs once" if @queue

      @queue = Queue.new
      consume(&block)
    end

    private

    def consume
      finished = false
      start
      loop do
        item = @queue.pop
        next yield(item) if item.is_a?(StreamEvent)

        finished = true
        return finish(item)
      end
    ensure
      cancel_and_wait unless finished || @thread.nil?
    end

    def start
      ctx = @ctx = Context.new(@queue) # set before #enter: Client#close may cancel from then on
      gw = @client.__send__(:enter, self)
      @thread = Thread.new { work(gw, ctx) }
    rescue StandardError
      @client.__send__(:leave, self) if gw
      raise
    end

    # Stops the C call (from any thread): its callbacks return non-zero, and
    # llmgw_request_cancel() ends it even while the upstream is silent. reason: the message of the
    # CancelledError the consumer then gets.
    def cancel(reason = nil)
      @cancel_reason ||= reason
      @ctx.cancel!
      @request.cancel
    end

    def cancel_and_wait
      cancel
      loop { break if @queue.pop.is_a?(Array) }
      @thread.join
    end

    def finish(item)
      _tag, rc, response, error, hook_error = item
      @thread.join
      raise hook_error if hook_error
      if rc != 0
        error = error.merge(message: @cancel_reason) if @cancel_reason && error && error[:error_class] == "cancelled"
        raise Error.from_snapshot(error || { code: rc, error_class: "", message: "" })
      end

      response
    end

    # The worker: its own thread, asynchronous interrupts deferred while it is in C.
    def work(gw, ctx)
      Thread.current.name = "llmgw-stream"
      Thread.current.report_on_exception = false
      Thread.handle_interrupt(Object => :never) do
        @queue << run(gw, ctx)
      ensure
        @client.__send__(:leave, self)
      end
    end

    def run(gw, ctx)
      id = Callbacks.register(ctx)
      sink = sink_for(id)
      out = FFI::MemoryPointer.new(:pointer)
      rc = @client.__send__(:in_call) { Lib.llmgw_complete_stream(gw, @request.pointer, sink, out) }
      error = rc.zero? ? nil : (ctx.error || Error.snapshot(Lib.llmgw_error_last))
      hook_error = Callbacks.take_error
      response = Client.response_from(out.read_pointer)
      [:end, rc, response, error, hook_error]
    rescue Exception => e # rubocop:disable Lint/RescueException -- reported to the caller's thread
      [:end, -1, nil, nil, e]
    ensure
      Callbacks.unregister(id) if id
      @request.free
    end

    def sink_for(id)
      sink = Lib::StreamSink.new
      rc = Lib.llmgw_stream_sink_init(sink, Lib::STREAM_SINK_VERSION)
      raise Error.last(rc) if rc != 0

      sink[:on_text] = Callbacks::ON_TEXT
      sink[:on_reasoning] = Callbacks::ON_REASONING
      sink[:on_tool_call] = Callbacks::ON_TOOL_CALL
      sink[:on_usage] = Callbacks::ON_STREAM_USAGE
      sink[:on_done] = Callbacks::ON_DONE
      sink[:on_error] = Callbacks::ON_ERROR
      sink[:userdata] = Callbacks.userdata(id)
      sink
    end
  end
end
