# frozen_string_literal: true

require_relative "helper"
require "open3"

# The FFI structs must match the C headers exactly. A probe program built by
# the C compiler prints offsetof/sizeof of every member the binding
# declares; any drift (a member added, moved, retyped or renamed in C) fails
# here, and a version bump of an options struct fails the version check.
class TestLayout < Minitest::Test
  STRUCTS = {
    LLMGW::Lib::Buf => "llmgw_buf",
    LLMGW::Lib::Attempt => "llmgw_attempt",
    LLMGW::Lib::ErrorInfo => "llmgw_error",
    LLMGW::Lib::GatewayOptions => "llmgw_gateway_options",
    LLMGW::Lib::ReportOptions => "llmgw_report_options",
    LLMGW::Lib::BudgetAlert => "llmgw_budget_alert",
    LLMGW::Lib::ToolCallDelta => "llmgw_tool_call_delta",
    LLMGW::Lib::StreamSink => "llmgw_stream_sink"
  }.freeze

  def include_dir
    File.join(LLMGWTest::REPO, "include")
  end

  # {"llmgw_buf" => {members: {"ptr" => [offset, size], ...}, size: n}, "VERSION" => {...}}
  def probe
    skip "headers not found at #{include_dir}" unless File.file?(File.join(include_dir, "llmgw", "gateway.h"))
    cc = ENV.fetch("CC", "").empty? ? "cc" : ENV["CC"]
    Dir.mktmpdir do |dir|
      src = File.join(dir, "probe.c")
      exe = File.join(dir, "probe")
      File.write(src, probe_source)
      begin
        out, status = Open3.capture2e(cc, "-std=c11", "-I", include_dir, "-o", exe, src)
      rescue Errno::ENOENT
        skip "no C compiler (#{cc}) to check struct layouts"
      end
      assert status.success?, "probe did not compile (a member the binding declares is missing in C?):\n#{out}"
      parse(IO.popen([exe], &:read))
    end
  end

  def probe_source
    lines = STRUCTS.flat_map do |klass, c_name|
      klass.members.map { |m| "  M(#{c_name}, #{m});" } +
        [%(  printf("%s SIZE %zu %zu\\n", "#{c_name}", sizeof(#{c_name}), (size_t)0);)]
    end
    <<~C
      #include <stddef.h>
      #include <stdio.h>
      #include <llmgw/buf.h>
      #include <llmgw/errors.h>
      #include <llmgw/hooks.h>
      #include <llmgw/gateway.h>
      #include <llmgw/stream.h>
      #include <llmgw/report.h>
      #define M(T, f) printf("%s %s %zu %zu\\n", #T, #f, offsetof(T, f), sizeof(((T *)0)->f))
      int main(void)
      {
      #{lines.join("\n")}
        printf("VERSION gateway_options %d 0\\n", LLMGW_GATEWAY_OPTIONS_VERSION);
        printf("VERSION stream_sink %d 0\\n", LLMGW_STREAM_SINK_VERSION);
        return 0;
      }
    C
  end

  def parse(text)
    text.lines.each_with_object(Hash.new { |h, k| h[k] = { members: {} } }) do |line, acc|
      type, member, a, b = line.split
      if member == "SIZE"
        acc[type][:size] = Integer(a)
      else
        acc[type][:members][member] = [Integer(a), Integer(b)]
      end
    end
  end

  def test_structs_match_the_headers
    c = probe
    STRUCTS.each do |klass, c_name|
      layout = klass.new.layout
      ruby = klass.members.to_h { |m| [m.to_s, [klass.offset_of(m), layout[m].size]] }
      assert_equal c[c_name][:members], ruby, "#{c_name}: [offset, size] per member"
      assert_equal c[c_name][:size], klass.size, "sizeof(#{c_name}): a member was added in C?"
    end
  end

  def test_versions_match_the_headers
    c = probe
    assert_equal c["VERSION"][:members]["gateway_options"][0], LLMGW::Lib::GATEWAY_OPTIONS_VERSION
    assert_equal c["VERSION"][:members]["stream_sink"][0], LLMGW::Lib::STREAM_SINK_VERSION
  end

  # Without a compiler: the loaded library accepts the versions mirrored here and no newer one.
  def test_library_accepts_exactly_the_mirrored_versions
    opts = LLMGW::Lib::GatewayOptions.new
    opts[:max_attempts] = 7
    assert_equal 0, LLMGW::Lib.llmgw_gateway_options_init(opts, LLMGW::Lib::GATEWAY_OPTIONS_VERSION)
    assert_equal LLMGW::Lib::GATEWAY_OPTIONS_VERSION, opts[:version]
    assert_equal 0, opts[:max_attempts], "init zeroes the struct"
    assert_equal(-4, LLMGW::Lib.llmgw_gateway_options_init(opts, LLMGW::Lib::GATEWAY_OPTIONS_VERSION + 1),
                 "the library knows a newer llmgw_gateway_options: mirror it")
    assert_equal(-4, LLMGW::Lib.llmgw_gateway_options_init(opts, 0))

    sink = LLMGW::Lib::StreamSink.new
    assert_equal 0, LLMGW::Lib.llmgw_stream_sink_init(sink, LLMGW::Lib::STREAM_SINK_VERSION)
    assert_equal(-4, LLMGW::Lib.llmgw_stream_sink_init(sink, LLMGW::Lib::STREAM_SINK_VERSION + 1))
    LLMGW::Lib.llmgw_error_clear
  end
end
