# frozen_string_literal: true

# llmgw: an embeddable LLM gateway (libllmgw), from Ruby.
#
#   require "llmgw"
#   client = LLMGW::Client.new(config: "llmgw.yaml")
#   res = client.chat(model: "smart", messages: [{role: "user", content: "hi"}])
#   puts res.text, res.usage.prompt_tokens, res.cost_usd
require_relative "llmgw/version"
require_relative "llmgw/ffi"
require_relative "llmgw/errors"
require_relative "llmgw/response"
require_relative "llmgw/callbacks"
require_relative "llmgw/routing"
require_relative "llmgw/report"
require_relative "llmgw/call"
require_relative "llmgw/stream"
require_relative "llmgw/client"

module LLMGW
  # Path or name of the libllmgw that was loaded.
  def self.library
    Lib::LIBRARY
  end

  # Version of the loaded C library ("0.1.0").
  def self.library_version
    Lib.llmgw_version
  end
end
