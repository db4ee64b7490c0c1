# frozen_string_literal: true

module LLMGW
  # The binding's version; it follows the C library's (llmgw_version()).
  VERSION = "0.1.0"
end
