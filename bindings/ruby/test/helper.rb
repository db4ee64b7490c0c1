# frozen_string_literal: true

# Test support: the llmgw-mock upstream as a child process (one per run, plus
# extra ones a test may start and stop), its control plane, and clients
# pointed at its lanes through the openai provider.
$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))

require "minitest/autorun"
require "net/http"
require "json"
require "tmpdir"
require "io/wait"
require "llmgw"

module LLMGWTest
  TEST_KEY = "sk-test-RUBYSECRET0123456789abcdef"
  REPO = File.expand_path("../../..", __dir__)

  def self.build_dir
    dir = ENV.fetch("LLMGW_BUILD_DIR", "")
    dir.empty? ? File.join(REPO, "build-ci", "gcc") : dir
  end

  def self.mock_path
    path = ENV.fetch("LLMGW_MOCK", "")
    path.empty? ? File.join(build_dir, "examples", "mock", "llmgw-mock") : path
  end

  # A running llmgw-mock: spawn, read its base URL line, stop with SIGTERM.
  class Mock
    attr_reader :base_url, :pid

    def initialize
      path = LLMGWTest.mock_path
      raise "llmgw-mock not found at #{path} (set LLMGW_BUILD_DIR or LLMGW_MOCK)" unless File.executable?(path)

      reader, writer = IO.pipe
      @pid = Process.spawn(path, "--host", "127.0.0.1", "--port", "0", out: writer, in: File::NULL)
      writer.close
      raise "llmgw-mock printed nothing within 20 s" unless reader.wait_readable(20)

      @base_url = reader.gets.to_s.strip
      reader.close
      raise "llmgw-mock: unexpected first line #{@base_url.inspect}" unless @base_url.start_with?("http://127.0.0.1:")
    end

    def stop
      return unless @pid

      Process.kill("TERM", @pid)
      Process.wait(@pid)
      @pid = nil
    rescue Errno::ESRCH, Errno::ECHILD
      @pid = nil
    end

    # Base URL of a lane for the openai provider (the vendor SDK's convention: .../v1).
    def lane_url(lane)
      "#{base_url}/lane/#{lane}/v1"
    end

    # Replace a lane's script (Array of steps or {"steps":..., "then":...}).
    def script(lane, steps)
      res = post("/__mock/script/#{lane}", JSON.generate(steps))
      raise "mock script refused: #{res.body}" unless res.is_a?(Net::HTTPOK)
    end

    # Requests received on a lane, bodies parsed.
    def requests(lane)
      JSON.parse(get("/__mock/requests/#{lane}").body).map do |r|
        r.merge("body" => (JSON.parse(r["body"]) rescue r["body"]))
      end
    end

    def request_count(lane)
      requests(lane).size
    end

    private

    def http
      uri = URI(base_url)
      Net::HTTP.start(uri.host, uri.port, open_timeout: 10, read_timeout: 30) { |h| yield h }
    end

    def get(path)
      http { |h| h.get(path) }
    end

    def post(path, body)
      http { |h| h.post(path, body, "content-type" => "application/json") }
    end
  end

  @lock = Mutex.new
  @lane_seq = 0

  # The mock shared by the whole run (started on first use, stopped after the run).
  def self.shared_mock
    @lock.synchronize do
      @shared_mock ||= begin
        m = Mock.new
        Minitest.after_run { m.stop }
        m
      end
    end
  end

  def self.next_lane(tag)
    @lock.synchronize { "rb-#{tag}-#{@lane_seq += 1}" }
  end

  def mock
    LLMGWTest.shared_mock
  end

  # A fresh lane name for one test.
  def lane(tag = "t")
    LLMGWTest.next_lane(tag)
  end

  # A model_list entry: group `group` served by openai/<model> on `lane` of mock m.
  def deployment(lane, group: "g", model: "gpt-test", m: mock, **extra)
    params = { model: "openai/#{model}", api_base: m.lane_url(lane), api_key: TEST_KEY }
    info = extra.delete(:model_info)
    entry = { model_name: group, litellm_params: params.merge(extra) }
    entry[:model_info] = info if info
    entry
  end

  # A config Hash for one deployment; max_attempts 1 unless given.
  def config_for(lane, max_attempts: 1, settings: {}, **dep)
    { model_list: [deployment(lane, **dep)], llmgw_settings: { max_attempts: max_attempts }.merge(settings) }
  end

  def user(text)
    [{ role: "user", content: text }]
  end
end

module LLMGWTest
  # Base class: every test gets fresh lanes and closes the clients it made.
  class Case < Minitest::Test
    include LLMGWTest

    def setup
      @clients = []
    end

    def teardown
      @clients.each(&:close)
    end

    def client(config = nil, **kw)
      c = LLMGW::Client.new(config: config, **kw)
      @clients << c
      c
    end

    # A client with one deployment (group "g") on a fresh lane scripted with `steps`; returns [client, lane].
    def scripted(steps, max_attempts: 1, **kw)
      name = lane
      mock.script(name, steps) if steps
      hooks = kw.slice(:on_usage, :on_log, :log_level)
      [client(config_for(name, max_attempts: max_attempts, **kw.except(:on_usage, :on_log, :log_level)), **hooks), name]
    end
  end
end
