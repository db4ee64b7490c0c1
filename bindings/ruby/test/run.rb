# frozen_string_literal: true

# Runs every test/test_*.rb with a reporter that prints one line per test
# and ends with the summary line tests/run-all.sh expects:
# "N passed, N failed[, N skipped]" (errors count as failed).
require_relative "helper"

module LLMGWTest
  class LineReporter < Minitest::AbstractReporter
    def initialize(io)
      super()
      @io = io
      @counts = Hash.new(0)
    end

    def record(result)
      name = "#{result.klass}##{result.name}"
      time = format("%.2fs", result.time)
      if result.skipped?
        @counts[:skipped] += 1
        @io.puts "skip  #{name} (#{result.failure.message})"
      elsif result.passed?
        @counts[:passed] += 1
        @io.puts "ok    #{name} #{time}"
      else
        @counts[:failed] += 1
        @io.puts "FAIL  #{name} #{time}"
        result.failures.each do |f|
          @io.puts f.message.lines.first(20).map { |l| "      #{l}" }.join.chomp
          next if f.is_a?(Minitest::UnexpectedError) # its message holds the backtrace

          @io.puts Minitest.filter_backtrace(f.backtrace || []).first(5).map { |l| "      at #{l}" }.join("\n")
        end
      end
    end

    def passed?
      @counts[:failed].zero?
    end

    def report
      line = "#{@counts[:passed]} passed, #{@counts[:failed]} failed"
      line += ", #{@counts[:skipped]} skipped" if @counts[:skipped].positive?
      @io.puts line
    end
  end
end

module Minitest
  def self.plugin_llmgw_lines_init(options)
    reporter.reporters.reject! { |r| r.is_a?(ProgressReporter) || r.is_a?(SummaryReporter) }
    reporter << LLMGWTest::LineReporter.new(options[:io])
  end
end
Minitest.extensions << "llmgw_lines"

Dir[File.join(__dir__, "test_*.rb")].sort.each { |f| require f }
