# frozen_string_literal: true

module LLMGW
  # Finds libllmgw: $LLMGW_LIBRARY (or $LLMGW_LIB), else a build tree of the
  # repository this binding sits in (build*/lib/libllmgw.so*, newest first),
  # else the system loader (libllmgw.so.0). A failure names every place tried.
  module Loader
    ENV_VARS = %w[LLMGW_LIBRARY LLMGW_LIB].freeze
    SYSTEM_NAMES = %w[libllmgw.so.0 llmgw].freeze

    module_function

    # The repository root when this file is inside one (bindings/ruby/lib/llmgw), else nil.
    def repo_root
      root = File.expand_path("../../../..", __dir__)
      File.file?(File.join(root, "include", "llmgw", "llmgw.h")) ? root : nil
    end

    def build_tree_candidates
      root = repo_root
      return [] unless root

      libs = Dir.glob(File.join(root, "build*", "lib", "libllmgw.so*")).select { |p| File.file?(p) }
      libs.sort_by { |p| [-File.mtime(p).to_f, p] }
    end

    # [[source, path_or_name], ...] in the order they are tried.
    def candidates
      ENV_VARS.each do |var|
        path = ENV.fetch(var, "")
        return [[var, path]] unless path.empty?   # an explicit choice is never second-guessed
      end
      build_tree_candidates.map { |p| ["build tree", p] } + SYSTEM_NAMES.map { |n| ["system loader", n] }
    end

    # Loads the library into `lib` (a module extending FFI::Library); returns the path or name used.
    def load_into(lib)
      tried = []
      candidates.each do |source, name|
        begin
          lib.ffi_lib(name)
          return name
        rescue LoadError => e
          tried << "  #{name} (#{source}): #{e.message.lines.first&.strip}"
        end
      end
      raise LoadError, "llmgw: cannot load libllmgw; tried:\n#{tried.join("\n")}\n" \
                       "Build it (meson setup build && ninja -C build) or set LLMGW_LIBRARY to its path."
    end
  end
end
