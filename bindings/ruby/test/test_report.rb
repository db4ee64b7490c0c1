# frozen_string_literal: true

require_relative "helper"
require "date"
require "fileutils"
require "pathname"

# LLMGW.cost_report / LLMGW.cost_simulate over a usage log written by a gateway in the test
# (llmgw_settings.log.path); totals are recomputed here from the log's own lines and the test's prices.
class TestReport < LLMGWTest::Case
  IN_NUSD = 1000 # the deployment's prices, nano-USD per token
  OUT_NUSD = 2000
  SIM_IN_NUSD = 500 # the simulation target's, from the test's price file
  SIM_OUT_NUSD = 1000
  SIM_WINDOW = 30
  # [customer, tags, prompt tokens, completion tokens]; then one request fails (HTTP 500)
  CALLS = [["acme", ["batch"], 10, 5], ["acme", %w[batch eu], 20, 7], ["globex", [], 30, 11]].freeze

  def setup
    super
    @dir = Dir.mktmpdir("llmgw-rb-report-")
    @log = File.join(@dir, "usage.jsonl")
    @prices = File.join(@dir, "prices.json")
    File.write(@prices, JSON.generate("sim-model" => { litellm_provider: "openai", mode: "chat",
                                                       input_cost_per_token: SIM_IN_NUSD / 1e9,
                                                       output_cost_per_token: SIM_OUT_NUSD / 1e9,
                                                       max_input_tokens: SIM_WINDOW }))
    ln = lane("report")
    mock.script(ln, CALLS.map { |_, _, p, c| { usage: { prompt_tokens: p, completion_tokens: c } } } + [{ status: 500 }])
    dep = deployment(ln, group: "cheap", model: "gpt-cheap",
                         input_cost_per_token: IN_NUSD / 1e9, output_cost_per_token: OUT_NUSD / 1e9)
    c = LLMGW::Client.new(config: { model_list: [dep], llmgw_settings: { max_attempts: 1, log: { path: @log } } })
    CALLS.each { |cust, tags, _, _| c.chat(model: "cheap", messages: user("hi"), llmgw: { customer: cust, tags: tags }) }
    assert_raises(LLMGW::ServerError) { c.chat(model: "cheap", messages: user("hi"), llmgw: { customer: "globex" }) }
    c.close # flushes the log
    @lines = File.readlines(@log).reject { |l| l.strip.empty? }.map { |l| JSON.parse(l) }
  end

  def teardown
    super
    FileUtils.rm_rf(@dir)
  end

  def sums(customer = :all)
    rows = @lines.select { |r| customer == :all || r["customer"] == customer }
    { requests: rows.size, failures: rows.count { |r| r["status"] == "failure" },
      input_tokens: rows.sum { |r| r["input_tokens"] }, output_tokens: rows.sum { |r| r["output_tokens"] },
      spend_nano_usd: rows.sum { |r| r["cost_nano_usd"] || 0 } }
  end

  def pick(row)
    row.slice(:requests, :failures, :input_tokens, :output_tokens, :spend_nano_usd)
  end

  def test_the_log_is_what_the_test_expects
    assert_equal 4, @lines.size
    assert_equal(CALLS.sum { |_, _, p, c| p * IN_NUSD + c * OUT_NUSD }, sums[:spend_nano_usd])
  end

  def test_report_by_customer
    rep = LLMGW.cost_report(@log, by: :customer)

    assert_equal %w[cost customer], rep.values_at(:report, :by)
    assert_equal 4, rep[:input][:records]
    assert_equal sums, pick(rep[:totals])
    assert_equal %w[acme globex], rep[:groups].map { |g| g[:key] }, "by spend, largest first"
    rep[:groups].each { |g| assert_equal sums(g[:key]), pick(g) }
    assert_equal 10 * IN_NUSD + 5 * OUT_NUSD + 20 * IN_NUSD + 7 * OUT_NUSD, rep[:groups][0][:spend_nano_usd]
  end

  def test_report_by_tag_default_and_paths
    rep = LLMGW.cost_report([Pathname(@log)], by: "tag")
    assert_equal({ "batch" => 2, "eu" => 1, nil => 2 }, rep[:groups].to_h { |g| [g[:key], g[:requests]] })
    rep = LLMGW.cost_report(@log)
    assert_equal "model", rep[:by]
    assert_equal ["openai/gpt-cheap"], rep[:groups].map { |g| g[:key] }
  end

  def test_windows
    assert_equal 0, LLMGW.cost_report(@log, since: Date.today + 2)[:totals][:requests]
    assert_equal 4, LLMGW.cost_report(@log, since: "1d", until: Time.now + 3600)[:totals][:requests]
    rep = LLMGW.cost_report(@log, until: "2000-01-01")
    assert_equal [0, 4], [rep[:totals][:requests], rep[:input][:outside_window]]
  end

  def test_text_formats
    csv = LLMGW.cost_report(@log, by: :customer, format: :csv)
    assert csv.start_with?("key,requests,")
    assert_equal 3, csv.strip.lines.size
    assert_includes LLMGW.cost_report(@log, format: :text), "openai/gpt-cheap"
  end

  def test_errors
    err = assert_raises(LLMGW::ConfigError) { LLMGW.cost_report(File.join(@dir, "missing.jsonl")) }
    assert_equal(-5, err.code)
    assert_includes err.message, "missing.jsonl"
    err = assert_raises(LLMGW::ConfigError) { LLMGW.cost_report(@log, by: :planet) }
    assert err.message.start_with?("by:")
    assert_raises(LLMGW::ConfigError) { LLMGW.cost_simulate(@log, as: "openai/sim-model", cache_hit_rate: 1.5) }
    assert_raises(LLMGW::NotFoundError) { LLMGW.cost_simulate(@log, as: "openai/no-such-model-xyz") }
    assert_raises(ArgumentError) { LLMGW.cost_report(@log, format: :xml) }
    assert_raises(ArgumentError) { LLMGW.cost_report(@log, planet: 1) }
    assert_raises(ArgumentError) { LLMGW.cost_report([]) }
  end

  # each record repriced at the target; with a hit rate, rounded half up per request
  def simulated(rate = nil)
    @lines.map do |r|
      miss = r["input_tokens"] * SIM_IN_NUSD + r["output_tokens"] * SIM_OUT_NUSD
      rate ? (miss * (1 - rate) + 0.5).floor : miss
    end
  end

  def test_simulate_as
    sim = LLMGW.cost_simulate(@log, as: "openai/sim-model", prices: @prices, by: :customer)
    t = sim[:totals]

    assert_equal "simulate", sim[:report]
    assert_equal "openai/sim-model", sim[:scenario][:as]
    assert_equal sums[:spend_nano_usd], t[:current_nano_usd]
    assert_equal simulated.sum, t[:simulated_nano_usd]
    assert_equal t[:simulated_nano_usd] - t[:current_nano_usd], t[:difference_nano_usd]
    acme = sim[:groups].find { |g| g[:key] == "acme" }
    assert_equal 10 * SIM_IN_NUSD + 5 * SIM_OUT_NUSD + 20 * SIM_IN_NUSD + 7 * SIM_OUT_NUSD, acme[:simulated_nano_usd]
    assert_equal 1, sim[:warnings].size
    w = sim[:warnings][0]
    assert_equal ["openai/sim-model", 1, 41], w.values_at(:target, :requests_too_large, :largest_request_tokens)
  end

  def test_simulate_map_and_cache_rate
    sim = LLMGW.cost_simulate(@log, map: { "gpt-cheap" => "openai/sim-model" }, prices: @prices, cache_hit_rate: 0.5)

    assert_equal "group", sim[:by]
    assert_equal 1, sim[:scenario][:map].size
    assert_equal simulated(0.5).sum, sim[:totals][:simulated_nano_usd]
    assert_equal 4, sim[:totals][:repriced]
    same = LLMGW.cost_simulate(@log, map: ["other-model=openai/sim-model"], prices: @prices)
    assert_equal [0, 0], same[:totals].values_at(:repriced, :difference_nano_usd)
  end
end
