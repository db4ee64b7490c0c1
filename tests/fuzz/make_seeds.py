#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (all but fuzz_aws_eventstream, which has its own
script) into corpus/<target>/, from the project's fixtures and from small inputs written here.

    tests/fuzz/make_seeds.py                    rewrite tests/fuzz/corpus/* (committed)
    tests/fuzz/make_seeds.py --extra DIR OUT    also write seeds derived at run time from DIR
                                                (../shared: never committed) under OUT/<target>/

Provider targets take a mode byte first (fuzz_provider.c): 0 parse a 200 body, 1 | seed << 1 a
stream, 2 | status index << 2 an error body; the compat target then takes a member index.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')
STATUSES = [400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529, 200]
STREAM_SEEDS = [0, 7, 40]          # 1-byte feeds, up to 8, up to 41


def compat_members():
    """Member order of llmgw__compat_providers[] (its index selects the member)."""
    src = open(os.path.join(ROOT, 'lib', 'providers', 'compat.c')).read()
    table = re.search(r'llmgw__compat_providers\[\] = \{(.*?)\};', src, re.S).group(1)
    return re.findall(r'&(\w+)_provider', table)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


class Corpus:
    def __init__(self, out):
        self.out = out
        self.count = 0

    def put(self, target, name, data):
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
        self.count += 1


def status_of(name):
    m = re.search(r'error_(\d{3})', name)
    return int(m.group(1)) if m else 400


def provider_file(c, target, prefix, name, data):
    """One fixture into a provider corpus, by its name: response, error or stream."""
    stem = os.path.splitext(name)[0]
    if name.endswith(('.sse', '.ndjson', '.bin')):
        for s in STREAM_SEEDS:
            c.put(target, '%s.s%d' % (stem, s), bytes([1 | s << 1]) + prefix + data)
        return
    if 'error' in name:
        st = status_of(name)
        c.put(target, stem + '.err', bytes([2 | STATUSES.index(st if st in STATUSES else 400) << 2]) + prefix + data)
        if st == 200:
            c.put(target, stem + '.resp', bytes([0]) + prefix + data)
        return
    if name.startswith(('response', 'deepseek_response')):
        c.put(target, stem + '.resp', bytes([0]) + prefix + data)


def provider_corpora(c):
    for p in ['openai', 'azure', 'anthropic', 'gemini', 'bedrock', 'cohere', 'ollama']:
        d = os.path.join(FIXTURES, p)
        for name in sorted(os.listdir(d)):
            if name.startswith(('response', 'error', 'stream')):
                provider_file(c, p, b'', name, read(os.path.join(d, name)))
    # OpenAI's wire format is also spoken by Azure and the compat family
    for p in ['azure', 'compat']:
        d = os.path.join(FIXTURES, p)
        for name in sorted(os.listdir(d)):
            if name.endswith('.sse'):
                provider_file(c, 'openai', b'', p + '_' + name, read(os.path.join(d, name)))
    members = compat_members()
    d = os.path.join(FIXTURES, 'compat')
    for name in sorted(os.listdir(d)):
        member = name.split('_')[0]
        if member in members:
            provider_file(c, 'compat', bytes([members.index(member)]), name, read(os.path.join(d, name)))
    # Bedrock streams: the event-stream seeds without their schedule byte
    d = os.path.join(HERE, 'corpus', 'aws_eventstream')
    for name in sorted(os.listdir(d)):
        provider_file(c, 'bedrock', b'', 'stream_' + name, read(os.path.join(d, name))[1:])
    for target, data in OWN_STREAMS.items():
        for i, s in enumerate(data):
            provider_file(c, target, b'', 'stream_own%d.sse' % i, s.encode())


OWN_STREAMS = {
    'openai': [
        'data: {"id":"c1","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},'
        '"finish_reason":null}]}\n\ndata: {"id":"c1","choices":[{"index":0,"delta":{"content":" there"},'
        '"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,'
        '"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":1}}}\n\n'
        'data: [DONE]\n\n',
        ': keep-alive\r\ndata: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1",'
        '"type":"function","function":{"name":"get","arguments":"{\\"a\\""}}]}}]}\r\n\r\n'
        'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]},'
        '"finish_reason":"tool_calls"}]}\r\n\r\ndata: {"choices":[],"usage":{"prompt_tokens":1,'
        '"completion_tokens":1}}\r\n\r\ndata: [DONE]\r\n\r\n',
    ],
}


def framing_corpus(c):
    for p in ['openai', 'azure', 'anthropic', 'gemini', 'cohere', 'compat']:
        d = os.path.join(FIXTURES, p)
        for name in sorted(os.listdir(d)):
            if name.endswith('.sse'):
                data = read(os.path.join(d, name))
                c.put('framing', '%s_%s.0' % (p, name), bytes([0]) + data)
                c.put('framing', '%s_%s.14' % (p, name), bytes([14]) + data.replace(b'\n', b'\r\n'))
    d = os.path.join(FIXTURES, 'ollama')
    for name in sorted(os.listdir(d)):
        if name.endswith('.ndjson'):
            c.put('framing', name + '.1', bytes([1]) + read(os.path.join(d, name)))
    own = [b'\xef\xbb\xbfdata: a\r\rdata:b\ndata\n\nevent: x\r\ndata: 1\r\ndata: 2\r\n\r\n: c\nid: 7\nretry: 5\n\n'
           b'data: unfinished',
           b'event: e\n\ndata:  two spaces\n\n\r\n\r\ndata: [DONE]\n\n']
    for i, data in enumerate(own):
        c.put('framing', 'own%d.0' % i, bytes([0]) + data)
        c.put('framing', 'own%d.2' % i, bytes([2]) + data)
    c.put('framing', 'own_ndjson.3', bytes([3]) + b'{"a":1}\r\n\n{"b":2}\n{"c"')


def config_corpora(c):
    for target, ext in [('config_json', '.json'), ('config_yaml', '.yaml')]:
        for d in [os.path.join(ROOT, 'examples', 'config'), os.path.join(ROOT, 'tests', 'config', 'data')]:
            for name in sorted(os.listdir(d)):
                if name.endswith(ext):
                    c.put(target, os.path.basename(d) + '_' + name, read(os.path.join(d, name)))
    own = {
        'model_list': [
            {'model_name': 'smart', 'litellm_params': {'model': 'openai/gpt-4o', 'api_key': 'os.environ/LLMGW_FUZZ_KEY',
                                                       'api_base': 'os.environ/LLMGW_FUZZ_BASE', 'rpm': 60,
                                                       'weight': 2, 'timeout': 30}},
            {'model_name': 'smart', 'litellm_params': {'model': 'anthropic/claude-sonnet-4-5',
                                                       'api_key': '${ANTHROPIC_API_KEY}'}},
            {'model_name': 'fast', 'litellm_params': {'model': 'bedrock/anthropic.claude-3-5-haiku-20241022-v1:0',
                                                      'aws_region_name': 'us-east-1',
                                                      'aws_secret_access_key': 'os.environ/AWS_SECRET_ACCESS_KEY'}},
        ],
        'router_settings': {'routing_strategy': 'least-busy', 'num_retries': 2, 'fallbacks': [{'smart': ['fast']}],
                            'redis_password': 'os.environ/REDIS_PASSWORD', 'cooldown_time': 30},
        'litellm_settings': {'cache': True, 'cache_params': {'type': 'local', 'ttl': 60}},
    }
    c.put('config_json', 'own_env.json', json.dumps(own, indent=1).encode())
    yaml_own = ('model_list:\n  - model_name: smart\n    litellm_params:\n      model: openai/gpt-4o\n'
                '      api_key: os.environ/LLMGW_FUZZ_KEY\n      api_base: "os.environ/LLMGW_FUZZ_BASE"\n'
                '  - model_name: &a smart2\n    litellm_params: {model: gemini/gemini-2.5-flash, '
                'api_key: "${GEMINI_API_KEY}"}\nrouter_settings:\n  fallbacks: [{*a: [smart]}]\n'
                '  num_retries: 0x2\n  redis_password: os.environ/REDIS_PASSWORD\n'
                'litellm_settings: {drop_params: yes, cache: off}\n')
    c.put('config_yaml', 'own_env.yaml', yaml_own.encode())


def json_corpus(c):
    for p in ['openai', 'anthropic', 'gemini', 'cohere']:
        d = os.path.join(FIXTURES, p)
        for name in sorted(os.listdir(d)):
            if name.endswith('.json') and name.startswith(('response', 'error')):
                c.put('json', p + '_' + name, read(os.path.join(d, name)))
    own = [b'\xef\xbb\xbf {"a": [1, -0.5e+3, 01, 1., true, false, null, "\\u00zz\\ud83d\\ude00\\n"]}\r\n',
           b'\x01[ {"": {}}, [], "\\"", -1E-2 ]', b'{"a":1}  x', b'[1,]', b'"\\ud800"', b'1e', b'-', b'"ab',
           b'[' * 70 + b']' * 70, b'{"\\u0000":"\\/"}', b'123456789012345678901234567890e-400']
    for i, data in enumerate(own):
        c.put('json', 'own%d.json' % i, data)


def request_corpus(c):
    for p in sorted(os.listdir(FIXTURES)):
        d = os.path.join(FIXTURES, p)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name == 'request_canonical.json' or name.endswith('.request.json'):
                c.put('request', p + '_' + name, read(os.path.join(d, name)))
    own = [
        {'model': 'smart', 'messages': [{'role': 'system', 'content': 'Be terse.'},
                                        {'role': 'user', 'content': [{'type': 'text', 'text': 'Hi'},
                                                                     {'type': 'image_url', 'image_url': {
                                                                         'url': 'data:image/png;base64,iVBORw0KGgo=',
                                                                         'detail': 'low'}}]},
                                        {'role': 'assistant', 'content': None, 'tool_calls': [
                                            {'id': 'c1', 'type': 'function',
                                             'function': {'name': 'f', 'arguments': '{"a":1}'}}]},
                                        {'role': 'tool', 'tool_call_id': 'c1', 'content': '42'}],
         'max_tokens': 100, 'temperature': 0.5, 'top_p': 1, 'stop': ['\n\n'], 'seed': 7, 'user': 'u1',
         'tools': [{'type': 'function', 'function': {'name': 'f', 'description': 'd',
                                                     'parameters': {'type': 'object', 'properties': {}}}}],
         'tool_choice': {'type': 'function', 'function': {'name': 'f'}},
         'response_format': {'type': 'json_schema', 'json_schema': {'name': 's', 'schema': {'type': 'object'},
                                                                    'strict': True}},
         'llmgw': {'customer': 'c', 'tags': ['t'], 'trace_id': 'x', 'metadata': {'k': 'v'}},
         'cache': {'no-cache': True, 'ttl': 60, 'namespace': 'n'}, 'drop_params': True,
         'frequency_penalty': 0.5, 'stream': True, 'stream_options': {'include_usage': True}},
        {'model': 'openai/gpt-4o', 'messages': [{'role': 'developer', 'content': 'x'},
                                                {'role': 'user', 'content': 'y', 'name': 'n'}],
         'max_completion_tokens': 5, 'response_format': {'type': 'json_object'}, 'tool_choice': 'required',
         'logit_bias': {'50256': -100}, 'n': 1, 'reasoning_effort': 'low'},
    ]
    for i, r in enumerate(own):
        c.put('request', 'own%d.json' % i, json.dumps(r).encode())


def prices_corpus(c):
    own = {
        'sample_spec': {'max_tokens': 'LEGACY', 'input_cost_per_token': 0.0, 'mode': 'chat'},
        'gpt-4o': {'litellm_provider': 'openai', 'mode': 'chat', 'input_cost_per_token': 2.5e-06,
                   'output_cost_per_token': 1e-05, 'cache_read_input_token_cost': 1.25e-06,
                   'max_input_tokens': 128000, 'max_output_tokens': 16384},
        'gemini/gemini-2.5-pro': {'litellm_provider': 'gemini', 'mode': 'chat', 'input_cost_per_token': 1.25e-06,
                                  'input_cost_per_token_above_200k_tokens': 2.5e-06,
                                  'output_cost_per_token': 1e-05, 'output_cost_per_token_above_200k_tokens': 1.5e-05,
                                  'output_cost_per_reasoning_token': 1e-05},
        'anthropic/claude-sonnet-4-5': {'litellm_provider': 'anthropic', 'mode': 'chat',
                                        'input_cost_per_token': 3e-06, 'output_cost_per_token': 1.5e-05,
                                        'cache_creation_input_token_cost': 3.75e-06,
                                        'cache_read_input_token_cost': 3e-07},
        'together_ai/x': {'litellm_provider': 'together_ai', 'input_cost_per_token': '2e-7',
                          'output_cost_per_token': 0},
        'embed': {'litellm_provider': 'openai', 'mode': 'embedding', 'input_cost_per_token': 1e-07},
        'bad': {'litellm_provider': 'openai', 'mode': 'chat', 'input_cost_per_token': -1},
        'huge': {'litellm_provider': 'openai', 'mode': 'chat', 'input_cost_per_token': 1e300},
        'fallback_generalizations': {},
    }
    c.put('prices', 'own.json', json.dumps(own, indent=1).encode())
    c.put('prices', 'own_dup.json', b'{"a":{"mode":"chat","input_cost_per_token":1e-6,"output_cost_per_token":2e-6},'
                                    b'"a":{"mode":"chat","input_cost_per_token":3e-6,"output_cost_per_token":4e-6}}')
    for s in [b'2.50', b'1.25e-6', b'0.000000000000001', b'1e3', b'00001.5000']:
        c.put('prices', 'decimal_' + s.decode(), s)


def extra_corpora(c, extra):
    """Seeds derived from a directory outside the project (../shared), written under OUT only."""
    fixtures = os.path.join(extra, 'fixtures')
    for p in ['openai', 'anthropic', 'cohere', 'ollama']:
        d = os.path.join(fixtures, p)
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                if name.startswith(('response', 'error', 'stream')):
                    provider_file(c, p, b'', 'shared_' + name, read(os.path.join(d, name)))
    cat = os.path.join(extra, 'data', 'model_prices_and_context_window.json')
    if os.path.isfile(cat):
        entries = list(json.load(open(cat)).items())
        for i in range(0, min(len(entries), 400), 40):       # slices of 40 entries: small enough to mutate
            c.put('prices', 'shared_slice%d.json' % i, json.dumps(dict(entries[i:i + 40])).encode())


def main(argv):
    if len(argv) == 3 and argv[0] == '--extra':
        c = Corpus(argv[2])
        extra_corpora(c, argv[1])
    elif not argv:
        c = Corpus(os.path.join(HERE, 'corpus'))
        provider_corpora(c)
        framing_corpus(c)
        config_corpora(c)
        json_corpus(c)
        request_corpus(c)
        prices_corpus(c)
    else:
        sys.exit(__doc__)
    print('%d seeds written under %s' % (c.count, c.out))


if __name__ == '__main__':
    main(sys.argv[1:])
