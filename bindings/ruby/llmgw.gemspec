# frozen_string_literal: true

require_relative "lib/llmgw/version"

Gem::Specification.new do |s|
  s.name = "llmgw"
  s.version = LLMGW::VERSION
  s.summary = "Ruby binding for llmgw, the embeddable LLM gateway library"
  s.description = "One API over many LLM providers with routing, retries, failover, caching and cost " \
                  "accounting, running inside your process through libllmgw (ruby-ffi)."
  s.authors = ["llmgw contributors"]
  s.license = "MIT"
  s.required_ruby_version = ">= 3.1"
  s.files = Dir["lib/**/*.rb"] + ["README.md", "llmgw.gemspec"]   # gem build runs from bindings/ruby
  s.require_paths = ["lib"]
  # libllmgw itself is found at run time: $LLMGW_LIBRARY, a build tree, or the system loader.
  s.requirements << "libllmgw.so.0 (meson install, or the libllmgw0 package)"
  s.add_runtime_dependency "ffi", ">= 1.15", "< 2"
  s.add_development_dependency "minitest", "~> 5.15"
end
