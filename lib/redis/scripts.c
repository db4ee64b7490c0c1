/*
 * lib/redis/scripts.c: the server-side Lua scripts. Each runs atomically in
 * Redis, so N processes on M hosts see one counter. Time is the server's
 * (TIME), so hosts with skewed clocks agree; Redis >= 5 replicates a
 * script's effects, which TIME needs (older servers are asked to, below).
 *
 * Key shapes (all under the configured prefix, docs/redis.md):
 *   rl:<deployment id>          hash "r:<second>" / "t:<second>": requests / tokens, 60 s of buckets
 *   pl:<deployment id>          zset lease -> expiry (ms): parallel requests in flight
 *   cd:<deployment id>          string "v1:<class>", TTL = remaining cooldown
 *   bs:<c|t|g>:<period>:<start>:<name> hash "s": spent (nano-USD); "a:<ppm>": that alert
 *                                      threshold (millionths of the limit) has fired this period
 *   br:<c|t|g>:<period>:<start>:<name> zset "<lease>|<amount>" -> expiry (ms): reservations
 *                                      (c customer, t tag, g every request: name total/daily/monthly)
 *   c:<cache key>               the cache envelope (cache_redis.c)
 *
 * Money in Lua is a double: exact up to 2^53 nano-USD (about 9 million USD).
 */
#include "../core/common.h"
#include "internal.h"

#define PRELUDE \
    "if redis.replicate_commands then redis.replicate_commands() end\n" \
    "local t = redis.call('TIME')\n"
#define NOW_MS "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

/* KEYS[1] rl; ARGV rpm, tpm, take (0/1), window s -> {admitted, wait_us, requests, tokens} */
static const char rate_admit[] =
    PRELUDE
    "local now, usec = tonumber(t[1]), tonumber(t[2])\n"
    "local rpm, tpm, win = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])\n"
    "local h = redis.call('HGETALL', KEYS[1])\n"
    "local req, tok, br, bt = 0, 0, {}, {}\n"
    "for i = 1, #h, 2 do\n"
    "  local kind, sec, v = string.sub(h[i], 1, 1), tonumber(string.sub(h[i], 3)), tonumber(h[i + 1]) or 0\n"
    "  if sec == nil or now - sec >= win then\n"
    "    redis.call('HDEL', KEYS[1], h[i])\n"
    "  elseif kind == 'r' then req = req + v; br[sec] = (br[sec] or 0) + v\n"
    "  else tok = tok + v; bt[sec] = (bt[sec] or 0) + v end\n"
    "end\n"
    "local function fits(r, k) return (rpm <= 0 or r < rpm) and (tpm <= 0 or k < tpm) end\n"
    "if fits(req, tok) then\n"
    "  if ARGV[3] == '1' then\n"
    "    redis.call('HINCRBY', KEYS[1], 'r:' .. t[1], 1)\n"
    "    redis.call('EXPIRE', KEYS[1], win + 1)\n"
    "  end\n"
    "  return {1, 0, req, tok}\n"
    "end\n"
    "local r, k = req, tok\n"
    "for dt = 1, win do\n"
    "  local gone = now + dt - win\n"
    "  r = r - (br[gone] or 0); k = k - (bt[gone] or 0)\n"
    "  if fits(r, k) then return {0, dt * 1000000 - usec, req, tok} end\n"
    "end\n"
    "return {0, win * 1000000, req, tok}\n";

/* KEYS[1] rl; ARGV tokens, window s */
static const char rate_tokens[] =
    PRELUDE
    "redis.call('HINCRBY', KEYS[1], 't:' .. t[1], ARGV[1])\n"
    "redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]) + 1)\n"
    "return 1\n";

/* KEYS[1] pl; ARGV max, lease, lease ms -> 1 taken, 0 full */
static const char parallel_acquire[] =
    PRELUDE NOW_MS
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
    "if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end\n"
    "local ms = tonumber(ARGV[3])\n"
    "redis.call('ZADD', KEYS[1], now + ms, ARGV[2])\n"
    "if redis.call('PTTL', KEYS[1]) < ms then redis.call('PEXPIRE', KEYS[1], ms) end\n"
    "return 1\n";

/* KEYS[1] cd; ARGV remaining ms, value -> 1 set, 0 a later reopening stands */
static const char cooldown_set[] =
    "local p = redis.call('PTTL', KEYS[1])\n"
    "local ms = tonumber(ARGV[1])\n"
    "if p < ms then redis.call('SET', KEYS[1], ARGV[2], 'PX', ms) return 1 end\n"
    "return 0\n";

/* KEYS[1] cd -> {} or {value, pttl} */
static const char cooldown_get[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then return {} end\n"
    "return {v, redis.call('PTTL', KEYS[1])}\n";

/*
 * KEYS bs[1..n], br[1..n]; ARGV amount, lease, lease ms, limit[1..n]
 * -> {1, 0, 0} reserved on all, or {0, index, spent + reserved} refused
 */
static const char budget_reserve[] =
    PRELUDE NOW_MS
    "local n = #KEYS / 2\n"
    "local amount = tonumber(ARGV[1])\n"
    "for i = 1, n do\n"
    "  local z = KEYS[n + i]\n"
    "  redis.call('ZREMRANGEBYSCORE', z, '-inf', now)\n"
    "  local held, m = 0, redis.call('ZRANGE', z, 0, -1)\n"
    "  for j = 1, #m do held = held + (tonumber(string.match(m[j], '|(%d+)$')) or 0) end\n"
    "  local spent = tonumber(redis.call('HGET', KEYS[i], 's') or '0') or 0\n"
    "  local limit = tonumber(ARGV[3 + i])\n"
    "  if spent >= limit or spent + held + amount > limit then return {0, i - 1, spent + held} end\n"
    "end\n"
    "local ms, member = tonumber(ARGV[3]), ARGV[2] .. '|' .. ARGV[1]\n"
    "for i = 1, n do\n"
    "  local z = KEYS[n + i]\n"
    "  redis.call('ZADD', z, now + ms, member)\n"
    "  if redis.call('PTTL', z) < ms then redis.call('PEXPIRE', z, ms) end\n"
    "end\n"
    "return {1, 0, 0}\n";

/*
 * KEYS bs[1..n] (current period), br[1..n] (reservation's period);
 * ARGV member, actual, expireat[1..n], alerts[1..n] ("amount:ppm,..." or "")
 * -> {spent, claimed, reached} per budget: the spend after this settle; bit
 * j of reached: alert j's amount is reached; of claimed: this call set
 * field "a:<ppm>" of the spend hash (HSETNX), so it fires here and nowhere else
 */
static const char budget_settle[] =
    "local n = #KEYS / 2\n"
    "local out = {}\n"
    "for i = 1, n do\n"
    "  redis.call('ZREM', KEYS[n + i], ARGV[1])\n"
    "  local spent = redis.call('HINCRBY', KEYS[i], 's', ARGV[2])\n"
    "  local e = tonumber(ARGV[2 + i])\n"
    "  if e > 0 then redis.call('EXPIREAT', KEYS[i], e) end\n"
    "  local claimed, reached, bit = 0, 0, 1\n"
    "  for amount, ppm in string.gmatch(ARGV[2 + n + i] or '', '(%d+):(%d+)') do\n"
    "    if spent >= tonumber(amount) then\n"
    "      reached = reached + bit\n"
    "      if redis.call('HSETNX', KEYS[i], 'a:' .. ppm, 1) == 1 then claimed = claimed + bit end\n"
    "    end\n"
    "    bit = bit * 2\n"
    "  end\n"
    "  out[3 * i - 2] = spent\n"
    "  out[3 * i - 1] = claimed\n"
    "  out[3 * i] = reached\n"
    "end\n"
    "return out\n";

/* KEYS bs, br -> {spent (string), reserved} */
static const char budget_status[] =
    PRELUDE NOW_MS
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)\n"
    "local held, m = 0, redis.call('ZRANGE', KEYS[2], 0, -1)\n"
    "for j = 1, #m do held = held + (tonumber(string.match(m[j], '|(%d+)$')) or 0) end\n"
    "return {redis.call('HGET', KEYS[1], 's') or '0', held}\n";

const char *const llmgw__redis_scripts[LLMGW__SCRIPT__COUNT] = {
    [LLMGW__SCRIPT_RATE_ADMIT] = rate_admit,
    [LLMGW__SCRIPT_RATE_TOKENS] = rate_tokens,
    [LLMGW__SCRIPT_PARALLEL_ACQUIRE] = parallel_acquire,
    [LLMGW__SCRIPT_COOLDOWN_SET] = cooldown_set,
    [LLMGW__SCRIPT_COOLDOWN_GET] = cooldown_get,
    [LLMGW__SCRIPT_BUDGET_RESERVE] = budget_reserve,
    [LLMGW__SCRIPT_BUDGET_SETTLE] = budget_settle,
    [LLMGW__SCRIPT_BUDGET_STATUS] = budget_status,
};
