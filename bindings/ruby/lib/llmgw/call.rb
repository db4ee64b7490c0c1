# frozen_string_literal: true

module LLMGW
  # An llmgw_request (an FFI::AutoPointer) owned by the thread running its call (a stream's worker,
  # a call's helper), which frees it once; any thread may cancel it until then.
  class OwnedRequest
    attr_reader :pointer

    def initialize(pointer)
      @pointer = pointer
      @lock = Mutex.new
    end

    def cancel
      @lock.synchronize { Lib.llmgw_request_cancel(@pointer) unless @pointer.nil? }
    end

    def free
      @lock.synchronize do
        @pointer&.free
        @pointer = nil
      end
    end
  end

  # A non-streamed call (llmgw_complete) that Ctrl-C can interrupt.
  #
  # Ruby raises Interrupt on the main thread, and an FFI call waiting in C cannot be interrupted,
  # so a main thread inside llmgw_complete would see Ctrl-C only when the call returned (at its
  # deadline). A call made on the main thread therefore runs on a helper thread while the main
  # thread waits on a queue, which Interrupt (or Thread#raise, Timeout) does interrupt: the
  # request is then cancelled through llmgw_request_cancel() (the C call stops within about
  # 100 ms, class "cancelled", one usage record), the helper is joined and the exception goes on.
  # Calls from other threads run on the calling thread, with asynchronous interrupts deferred
  # until the C call has returned, so their hooks run on the thread that made them.
  #
  # Whichever thread runs it, #work owns the call's C resources (request, response, the count in
  # flight), as a stream's worker does.
  class Call
    # client: the Client; request: an AutoPointer to an llmgw_request (owned by this call).
    def initialize(client, request)
      @client = client
      @request = OwnedRequest.new(request)
    end

    # Runs the call; returns the Response or raises.
    def run
      gateway = begin
        @client.__send__(:enter)
      rescue Exception # rubocop:disable Lint/RescueException -- the request is ours to free
        @request.free
        raise
      end
      outcome = if Thread.current == Thread.main
                  on_helper(gateway)
                else
                  Thread.handle_interrupt(Object => :never) { work(gateway) }
                end
      finish(*outcome)
    end

    private

    # Runs #work on a helper thread; the caller waits interruptibly, and on any exception cancels,
    # joins and re-raises. Interrupts are deferred everywhere but in the wait itself.
    def on_helper(gateway)
      queue = Queue.new
      thread = nil
      Thread.handle_interrupt(Object => :never) do
        thread = begin
          Thread.new do # inherits the :never mask: nothing interrupts it while it is in C
            Thread.current.name = "llmgw-call"
            Thread.current.report_on_exception = false
            queue << work(gateway)
          end
        rescue ThreadError
          return work(gateway) # no thread to be had: run it here, uninterruptibly
        end
        outcome = Thread.handle_interrupt(Object => :immediate) { queue.pop }
        thread.join
        outcome
      rescue Exception # rubocop:disable Lint/RescueException -- Interrupt, Thread#raise: cancel, then go on
        @request.cancel
        thread&.join
        raise
      end
    end

    # The C call and everything that needs its pointers: [rc, response, error, hook_error]. Never raises.
    def work(gateway)
      out = FFI::MemoryPointer.new(:pointer)
      rc = @client.__send__(:in_call) { Lib.llmgw_complete(gateway, @request.pointer, out) }
      error = Error.snapshot(Lib.llmgw_error_last) unless rc.zero? # before any other llmgw call
      hook_error = Callbacks.take_error
      [rc, Client.response_from(out.read_pointer), error, hook_error]
    rescue Exception => e # rubocop:disable Lint/RescueException -- reported to the caller
      [-1, nil, nil, e]
    ensure
      @request.free
      @client.__send__(:leave)
    end

    def finish(rc, response, error, hook_error)
      raise hook_error if hook_error
      raise Error.from_snapshot(error) unless rc.zero?

      response
    end
  end
end
