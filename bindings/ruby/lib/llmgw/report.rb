# frozen_string_literal: true

require "json"
require "time"

module LLMGW
  # Cost reports and "what if" simulations over usage logs (report.h; docs/cost.md §3-4). They read
  # the JSON-lines logs a gateway writes (llmgw_settings: { log: { path: ... } } or $LLMGW_USAGE_LOG)
  # and return the C functions' JSON as Hashes with symbol keys; no client needed.
  module Report
    FORMATS = %w[json csv text].freeze
    COMMON = %i[by since until format now max_groups].freeze
    SIMULATE = %i[as map cache_hit_rate prices].freeze

    module_function

    def run(function, paths, opts, allowed)
      unknown = opts.keys - allowed
      raise ArgumentError, "unknown option(s): #{unknown.join(", ")}" unless unknown.empty?

      format = (opts[:format] || :json).to_s
      raise ArgumentError, "format: one of #{FORMATS.join(", ")}" unless FORMATS.include?(format)

      files = Array(paths).map { |p| p.respond_to?(:to_path) ? p.to_path : p.to_s }
      raise ArgumentError, "give at least one usage log" if files.empty?

      keep = [] # memory the options point into, alive until the call returns
      cstr = ->(s) { s.nil? ? nil : FFI::MemoryPointer.from_string(s.to_s).tap { |m| keep << m } }
      arr = FFI::MemoryPointer.new(:pointer, files.size)
      arr.write_array_of_pointer(files.map { |f| cstr.call(f) })
      ro = options(opts, format, cstr, keep)
      text = Lib.with_buf { |buf| Lib.public_send(function, buf, arr, files.size, ro) }
      format == "json" ? JSON.parse(text, symbolize_names: true) : text
    end

    def options(opts, format, cstr, keep)
      ro = Lib::ReportOptions.new
      rc = Lib.llmgw_report_options_init(ro, Lib::REPORT_OPTIONS_VERSION)
      raise Error.last(rc) unless rc.zero?

      ro[:by] = cstr.call(opts[:by])
      ro[:since] = cstr.call(time(opts[:since]))
      ro[:until] = cstr.call(time(opts[:until]))
      ro[:format] = cstr.call(format)
      ro[:now_us] = (opts[:now].to_r * 1_000_000).round if opts[:now]
      ro[:max_groups] = Integer(opts[:max_groups]) if opts[:max_groups]
      ro[:prices_path] = cstr.call(opts[:prices])
      ro[:as] = cstr.call(opts[:as])
      set_map(ro, opts[:map], cstr, keep) if opts[:map]
      if opts.key?(:cache_hit_rate) && !opts[:cache_hit_rate].nil?
        ro[:project_cache] = 1
        ro[:cache_hit_rate] = Float(opts[:cache_hit_rate])
      end
      ro
    end

    def set_map(ro, map, cstr, keep)
      pairs = map.is_a?(Hash) ? map.map { |from, to| "#{from}=#{to}" } : Array(map).map(&:to_s)
      return if pairs.empty?

      arr = FFI::MemoryPointer.new(:pointer, pairs.size)
      arr.write_array_of_pointer(pairs.map { |p| cstr.call(p) })
      keep << arr
      ro[:map] = arr
      ro[:map_count] = pairs.size
    end

    # RFC 3339 / date / span text as report.h takes it; Time and Date are converted.
    def time(value)
      case value
      when nil, String then value
      when Time then value.utc.iso8601(6)
      else
        return value.iso8601 if value.respond_to?(:iso8601)

        raise ArgumentError, "since/until: a String (RFC 3339, a date or a span like \"7d\"), a Time or a Date"
      end
    end
  end

  # A cost report over usage logs: spend, requests, tokens by kind, cache savings and error spend.
  #   LLMGW.cost_report("usage.jsonl", by: :customer, since: "7d")   # => { report:, by:, input:, totals:, groups: [...] }
  # Options: by: (:model default, :customer, :tag, :group, :provider, :day), since: / until: (RFC 3339, a
  # date, a span back from now like "36h", or a Time/Date), format: (:json => Hash; :csv / :text => String),
  # now: (a Time, for spans), max_groups:. A missing log or a bad option raises LLMGW::ConfigError.
  def self.cost_report(paths, **opts)
    Report.run(:llmgw_cost_report, paths, opts, Report::COMMON)
  end

  # Replays the token counts of usage logs against other prices.
  #   LLMGW.cost_simulate("usage.jsonl", as: "openai/gpt-4o-mini")
  #   LLMGW.cost_simulate(logs, map: { "gpt-4o" => "openai/gpt-4o-mini" }, cache_hit_rate: 0.3, by: :customer)
  # Also prices: (a LiteLLM-format price file over the built-in table) and the cost_report options.
  # Returns { scenario:, totals:, groups:, warnings: } with current, simulated and difference (negative:
  # a saving) per row; a target with no price raises LLMGW::NotFoundError.
  def self.cost_simulate(paths, **opts)
    Report.run(:llmgw_cost_simulate, paths, opts, Report::COMMON + Report::SIMULATE)
  end
end
