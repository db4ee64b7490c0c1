# frozen_string_literal: true

require_relative "helper"
require "open3"
require "rbconfig"

# Finding libllmgw: $LLMGW_LIBRARY (or $LLMGW_LIB), the build tree, the system loader.
class TestLoader < Minitest::Test
  def with_env(vars)
    saved = vars.keys.to_h { |k| [k, ENV[k]] }
    vars.each { |k, v| v.nil? ? ENV.delete(k) : ENV[k] = v }
    yield
  ensure
    saved.each { |k, v| v.nil? ? ENV.delete(k) : ENV[k] = v }
  end

  def test_explicit_path_is_the_only_candidate
    with_env("LLMGW_LIBRARY" => "/opt/x/libllmgw.so", "LLMGW_LIB" => "/other.so") do
      assert_equal [["LLMGW_LIBRARY", "/opt/x/libllmgw.so"]], LLMGW::Loader.candidates
    end
    with_env("LLMGW_LIBRARY" => nil, "LLMGW_LIB" => "/other.so") do
      assert_equal [["LLMGW_LIB", "/other.so"]], LLMGW::Loader.candidates
    end
  end

  def test_build_tree_then_system_loader
    with_env("LLMGW_LIBRARY" => nil, "LLMGW_LIB" => nil) do
      list = LLMGW::Loader.candidates
      sources = list.map(&:first)
      assert_equal ["system loader", "system loader"], sources.last(2)
      assert_equal %w[libllmgw.so.0 llmgw], list.last(2).map(&:last)
      build = list.take_while { |s, _| s == "build tree" }.map(&:last)
      assert_equal LLMGW::Loader.build_tree_candidates, build
      assert(build.all? { |p| p.start_with?(File.join(LLMGWTest::REPO, "build")) && p.include?("/lib/libllmgw.so") })
    end
  end

  def test_repo_root_is_found_from_the_source_tree
    assert_equal LLMGWTest::REPO, LLMGW::Loader.repo_root
  end

  def test_missing_library_is_a_clear_load_error
    env = { "LLMGW_LIBRARY" => "/nonexistent/libllmgw.so.0", "LLMGW_LIB" => nil }
    lib = File.expand_path("../lib", __dir__)
    out, status = Open3.capture2e(env, RbConfig.ruby, "-I", lib, "-e", 'require "llmgw"')

    refute status.success?
    assert_match(/LoadError/, out)
    assert_match(/cannot load libllmgw/, out)
    assert_match(%r{/nonexistent/libllmgw\.so\.0 \(LLMGW_LIBRARY\)}, out)
    assert_match(/set LLMGW_LIBRARY/, out)
  end
end
