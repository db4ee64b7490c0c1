# frozen_string_literal: true

require_relative "helper"

# client.on_budget_alert: a customer budget of 100,000 nano-USD with the default thresholds (50%, 80%,
# 100%); each request costs 50,000 (20 input tokens at 1,000, 15 output tokens at 2,000).
class TestBudgetAlert < LLMGWTest::Case
  COST = 20 * 1000 + 15 * 2000
  LIMIT = 2 * COST

  def budget_client(**hooks)
    ln = lane("budget")
    mock.script(ln, { steps: [{ usage: { prompt_tokens: 20, completion_tokens: 15 } }], then: "repeat_last" })
    dep = deployment(ln, input_cost_per_token: 1e-6, output_cost_per_token: 2e-6)
    client({ model_list: [dep],
             llmgw_settings: { max_attempts: 1,
                               budgets: [{ customer: "acme", max_usd: LIMIT / 1e9, period: "total" }] } }, **hooks)
  end

  def ask(client, customer = "acme")
    client.chat(model: "g", messages: user("hi"), max_tokens: 15, llmgw: { customer: customer })
  end

  def test_thresholds_fire_once_each
    order = []
    c = budget_client(on_usage: ->(_r) { order << :usage })
    alerts = []
    c.on_budget_alert do |a|
      alerts << a
      order << :alert
    end
    ask(c)
    assert_equal [0.5], alerts.map { |a| a[:threshold] }
    assert_equal %i[alert usage], order, "before the request's usage hook"
    ask(c, "globex")
    ask(c)
    assert_equal [0.5, 0.8, 1.0], alerts.map { |a| a[:threshold] }
    assert_raises(LLMGW::BudgetExceededError) { ask(c) }
    assert_equal 3, alerts.size, "each threshold once"

    first = alerts.first
    last = alerts.last
    assert_equal [:customer, "acme", :total], first.values_at(:scope, :name, :period)
    assert_equal [LIMIT, COST, LIMIT - COST], first.values_at(:limit_nano_usd, :spent_nano_usd, :remaining_nano_usd)
    assert_equal [LIMIT, 0], last.values_at(:spent_nano_usd, :remaining_nano_usd)
    assert_in_delta LIMIT / 1e9, first[:limit_usd]
    assert_nil first[:period_end]
    assert_equal false, first[:shared]
    assert_equal last[:now], last[:projected_exhaustion], "already reached"
  end

  def test_raising_handler_is_raised_after_the_call
    c = budget_client
    got = []
    c.on_budget_alert { |_a| raise ArgumentError, "alert hook failed" }
    c.on_budget_alert { |a| got << a[:threshold] }
    err = assert_raises(ArgumentError) { ask(c) }

    assert_equal "alert hook failed", err.message
    assert_equal [0.5], got, "the other handlers still ran"
    assert_raises(ArgumentError) { c.on_budget_alert }
  end
end
