#!/usr/bin/env python3
"""Expected outputs of the Jinja features chat templates use, rendered by jinja2 in the
environment transformers uses for chat templates (see transformers/utils/chat_template_utils.py,
_compile_jinja_template):

    ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                  extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    filters["tojson"] = json.dumps with ensure_ascii=False, indent, separators, sort_keys
    globals["raise_exception"], globals["strftime_now"]

AssistantTracker (the {% generation %} tag) is re-created here with the same effect on the text
(the body is rendered in place); strftime_now uses a fixed time, 2024-07-26 13:05:09, so the
output is repeatable.

    pip install jinja2 && python make_jinja_cases.py > jinja-features.jsonl

Each line: {"name", "template", "variables", "rendered"} or {…, "error", "error_type"}.
"""
import json
import sys
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

NOW = datetime(2024, 7, 26, 13, 5, 9)


class Generation(jinja2.ext.Extension):
    """{% generation %}…{% endgeneration %}: transformers records where the body starts and
    ends; the rendered text is the body's."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                    extensions=[Generation, jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Zürich?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Zürich", "days": 2}}}]},
    {"role": "tool", "content": "{\"temp\": 3}"},
    {"role": "assistant", "content": "  It is 3 °C.  "},
]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city, in °C",
                                           "parameters": {"type": "object", "properties": {
                                               "city": {"type": "string"}, "days": {"type": "integer"}},
                                               "required": ["city"]}}}]
BASE = {"messages": MESSAGES, "tools": TOOLS, "add_generation_prompt": True, "bos_token": "<s>", "eos_token": "</s>",
        "words": ["b", "A", "c", "a"], "nums": [3, 1, 2], "d": {"z": 1, "a": 2, "items": "key named items"},
        "text": "  Hello, World!\n  second line\n\nfourth  ", "empty": [], "nothing": None, "flag": False,
        "unicode": "e\u0301t\u00e9 \r\n✓ 𝄞", "big": 12345678901, "f": 2.5, "neg": -7}

CASES = [
    # ---- whitespace control: trim_blocks, lstrip_blocks, - and +
    ("trim_blocks", "{% if true %}\nyes\n{% endif %}\nafter", {}),
    ("lstrip_blocks", "a\n    {% if true %}\n    b\n    {% endif %}\nc", {}),
    ("lstrip_tabs_and_spaces", "x\n \t {% for i in [1, 2] %}\n\t{{ i }}\n \t{% endfor %}\ny", {}),
    ("lstrip_not_after_text", "a {% if true %}b{% endif %} c\n", {}),
    ("lstrip_not_before_variable", "a\n    {{ 'v' }}\n    {% if true %}w{% endif %}", {}),
    ("minus_strips_newlines", "a  \n\n  {%- if true -%}  \n\n  b  \n  {%- endif -%}\n\n  c", {}),
    ("variable_minus", "a \n {{- 'b' -}} \n c", {}),
    ("plus_keeps_lstrip", "a\n    {%+ if true %}b{% endif %}", {}),
    ("plus_keeps_trim", "{% if true +%}\nb{% endif %}", {}),
    ("comments", "a\n  {# a comment #}\nb {#- strip -#}   c\n{# last #}", {}),
    ("raw_block", "{% raw %}{{ not evaluated }} {% if %}{% endraw %}\nx", {}),
    ("raw_minus", "a   {%- raw -%}   {{ x }}   {%- endraw -%}   b", {}),
    ("trailing_newline_dropped", "line\n", {}),
    ("only_one_trailing_newline_dropped", "line\n\n", {}),
    ("crlf_normalized", "a\r\nb\rc\r\n{% if true %}\r\nd{% endif %}", {}),
    ("block_end_then_spaces", "{% set x = 1 %}   \n{{ x }}", {}),
    ("trim_after_comment", "{# c #}\nx", {}),
    ("newline_inside_tags", "{{\n  'a'\n  ~ 'b'\n}}|{%\nif true\n%}c{%\nendif\n%}", {}),
    ("generation_tag", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content | trim }}{% endgeneration %}{% endif %}|{% endfor %}", {}),

    ("lstrip_comment_line", "a\n    {# note #}\n    b", {}),
    ("lstrip_at_template_start", "   {% if true %}x{% endif %}", {}),
    ("no_lstrip_after_variable_same_line", "{{ 'v' }}   {% if true %}x{% endif %}", {}),
    ("lstrip_after_minus_end", "{% if true -%}\n   {% if true %}y{% endif %}{% endif %}", {}),
    ("trim_only_one_newline", "{% if true %}\n\nx{% endif %}", {}),
    ("variable_end_keeps_newline", "{{ 'a' }}\nb", {}),
    ("braces_inside_tags", "{{ '}}' }}|{{ {'a': {'b': 1}} }}|{% set x = {'k': [1, {'m': 2}]} %}{{ x.k[1].m }}|{{ '{%' ~ '%}' }}", {}),
    ("minus_in_expression_not_control", "{{ 5 -2 }}|{% set n = 3 -1 %}{{ n }}", {}),
    ("lstrip_unicode_space", "a\n\u3000\u00a0{% if true %}b{% endif %}", {}),
    ("minus_strips_unicode_space", "a\u3000\u2028 {{- 'b' }}", {}),
    ("raw_lstrip", "x\n    {% raw %}\n  {{ y }}\n    {% endraw %}\nz", {}),
    ("comment_with_minus_end_only", "a\n{# c -#}\n   b", {}),
    ("whitespace_control_on_for_else", "{%- for x in empty -%}\n  {{ x }}\n{%- else -%}\n  none\n{%- endfor -%}\n!", {}),

    # ---- loops
    ("loop_counters", "{% for w in words %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", {}),
    ("loop_prev_next", "{% for w in words %}[{{ loop.previtem }}|{{ w }}|{{ loop.nextitem }}]{% endfor %}", {}),
    ("loop_prev_undefined_is_defined", "{% for w in words %}{{ loop.previtem is defined }},{{ loop.nextitem is defined }};{% endfor %}", {}),
    ("loop_cycle", "{% for w in words %}{{ loop.cycle('odd', 'even') }} {% endfor %}", {}),
    ("loop_changed", "{% for n in [1, 1, 2, 2, 1] %}{% if loop.changed(n) %}{{ n }}{% endif %}{% endfor %}", {}),
    ("loop_depth", "{% for w in words[:1] %}{{ loop.depth }}{{ loop.depth0 }}{% endfor %}", {}),
    ("loop_else", "{% for x in empty %}no{% else %}empty{% endfor %}|{% for x in nums %}{{ x }}{% else %}never{% endfor %}", {}),
    ("loop_filter", "{% for m in messages if m.role != 'tool' %}{{ loop.index }}/{{ loop.length }}:{{ m.role }}{{ ',' if not loop.last }}{% endfor %}", {}),
    ("loop_filter_empty_runs_else", "{% for n in nums if n > 5 %}{{ n }}{% else %}none over 5{% endfor %}", {}),
    ("loop_nested_outer_loop", "{% for a in [1, 2] %}{% set outer = loop %}{% for b in 'xy' %}{{ outer.index }}{{ loop.index }}{{ b }} {% endfor %}{% endfor %}", {}),
    ("loop_break_continue", "{% for n in range(10) %}{% if n is odd %}{% continue %}{% endif %}{% if n > 6 %}{% break %}{% endif %}{{ n }}{% endfor %}", {}),
    ("loop_break_inner_only", "{% for a in [1, 2] %}{% for b in [1, 2, 3] %}{% if b == 2 %}{% break %}{% endif %}{{ a }}{{ b }} {% endfor %}{% endfor %}", {}),
    ("loop_over_dict", "{% for k in d %}{{ k }}={{ d[k] }};{% endfor %}", {}),
    ("loop_over_items", "{% for k, v in d.items() %}{{ k }}:{{ v }} {% endfor %}|{% for k, v in d|items %}{{ k }}{% endfor %}", {}),
    ("loop_over_string", "{% for c in 'héllo' %}[{{ c }}]{% endfor %}", {}),
    ("loop_unpack_tuples", "{% for a, b in [(1, 'x'), [2, 'y']] %}{{ a }}{{ b }}{% endfor %}", {}),
    ("loop_over_undefined", "{% for x in missing %}x{% else %}nothing{% endfor %}", {}),
    ("loop_over_none_fails", "{% for x in nothing %}x{% endfor %}", {}),
    ("loop_unpack_wrong_count", "{% for a, b in [[1, 2, 3]] %}{% endfor %}", {}),
    ("loop_range", "{{ range(3)|list }} {{ range(2, 8, 2)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }}", {}),
    ("loop_messages_pairs", "{% for m in messages[1:] %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('alternate!') }}{% endif %}{% endfor %}", {}),

    # ---- scoping and set
    ("set_in_loop_does_not_leak", "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}", {}),
    ("set_in_loop_iteration_fresh", "{% for i in [1, 2] %}{% if i == 1 %}{% set y = 5 %}{% endif %}[{{ y }}]{% endfor %}", {}),
    ("set_in_if_leaks", "{% if true %}{% set z = 'in if' %}{% endif %}{{ z }}", {}),
    ("namespace", "{% set ns = namespace(count=0, last=none) %}{% for m in messages %}{% set ns.count = ns.count + 1 %}{% set ns.last = m.role %}{% endfor %}{{ ns.count }} {{ ns.last }}", {}),
    ("namespace_from_dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c is defined }}", {}),
    ("namespace_set_non_namespace_fails", "{% set x = 1 %}{% set x.y = 2 %}", {}),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, d = 'xy' %}{{ c }}{{ d }}", {}),
    ("set_block", "{% set block %}\n  Hello {{ 'there' }}\n{% endset %}[{{ block }}]", {}),
    ("set_block_filtered", "{% set shout | upper | trim %}  quiet words  {% endset %}[{{ shout }}]", {}),
    ("set_block_namespace", "{% set ns = namespace(text='') %}{% set ns.text %}body{{ 1 + 1 }}{% endset %}{{ ns.text }}", {}),
    ("set_overrides_variable", "{% set messages = messages[1:3] %}{{ messages|length }}", {}),
    ("with_block", "{% with a = 1, b = 'x' %}{{ a }}{{ b }}{% set a = 5 %}{{ a }}{% endwith %}[{{ a }}]", {}),
    ("filter_block", "{% filter upper %}hello {{ 'world' }}{% endfilter %}", {}),
    ("print_tag", "{% print 'a', 1 %}", {}),

    ("set_in_for_else_block", "{% for i in [] %}{% else %}{% set z = 1 %}[{{ z }}]{% endfor %}[{{ z }}]", {}),
    ("set_in_filter_block", "{% filter upper %}{% set inner = 'x' %}{{ inner }}{% endfilter %}[{{ inner }}]", {}),
    ("set_in_generation_block", "{% generation %}{% set g = 'x' %}{{ g }}{% endgeneration %}[{{ g }}]", {}),
    ("set_in_set_block", "{% set outer %}{% set inner = 'x' %}{{ inner }}{% endset %}{{ outer }}[{{ inner }}]", {}),
    ("with_values_see_outer_scope", "{% set a = 'outer' %}{% with a = 'inner', b = a %}{{ a }} {{ b }}{% endwith %}", {}),
    ("loop_variable_shadows_and_restores", "{% set x = 'outer' %}{% for x in [1, 2] %}{{ x }}{% endfor %}{{ x }}", {}),
    ("loop_variable_after_loop", "{% for i in [1] %}{% endfor %}[{{ i }}][{{ loop }}]", {}),
    ("set_loop_variable_in_body", "{% for x in [1, 2] %}{% set x = x * 10 %}{{ x }}{% endfor %}", {}),
    ("loop_filter_sees_outer_names", "{% set limit = 1 %}{% for n in nums if n > limit %}{{ n }}{% endfor %}", {}),
    ("macro_defined_in_if", "{% if true %}{% macro m() %}m{% endmacro %}{% endif %}{{ m() }}", {}),
    ("macro_defined_in_loop", "{% for i in [1, 2] %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}", {}),
    ("macro_sees_loop_of_caller_not", "{% macro m() %}[{{ loop is defined }}]{% endmacro %}{% for i in [1] %}{{ m() }}{% endfor %}", {}),
    ("namespace_in_macro", "{% set ns = namespace(n=0) %}{% macro bump() %}{% set ns.n = ns.n + 1 %}{% endmacro %}{{ bump() }}{{ bump() }}{{ ns.n }}", {}),
    ("nested_loop_set_outer_not_visible", "{% for a in [1, 2] %}{% set s = a %}{% for b in [1] %}{{ s }}{% set s = 'inner' %}{{ s }}{% endfor %}{{ s }};{% endfor %}", {}),
    ("if_set_then_read_in_same_loop_iteration", "{% for m in messages %}{% if loop.first %}{% set first_role = m.role %}{% endif %}[{{ first_role }}]{% endfor %}", {}),
    ("set_messages_inside_if_at_top", "{% if messages[0].role == 'system' %}{% set sys = messages[0].content %}{% set messages = messages[1:] %}{% endif %}{{ sys }}|{{ messages|length }}|{% for m in messages %}{{ m.role[0] }}{% endfor %}", {}),

    # ---- macros
    ("macro_basic", "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }} {{ greet(greeting='Yo', name='Cy') }}", {}),
    ("macro_missing_argument", "{% macro m(a, b) %}[{{ a }}][{{ b }}][{{ b is defined }}]{% endmacro %}{{ m(1) }}", {}),
    ("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}", {}),
    ("macro_too_many_arguments", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}", {}),
    ("macro_unknown_keyword", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}", {}),
    ("macro_sees_late_globals", "{% macro m() %}{{ late }}{% endmacro %}{% set late = 'late' %}{{ m() }}", {}),
    ("macro_local_set", "{% set x = 'outer' %}{% macro m() %}{% set x = 'inner' %}{{ x }}{% endmacro %}{{ m() }}{{ x }}", {}),
    ("macro_recursive", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}", {}),
    ("macro_render_content", "{% macro render(content) %}{% if content is string %}{{ content }}{% else %}{% for part in content %}{{ part.text }}{% endfor %}{% endif %}{% endmacro %}{{ render('plain') }}|{{ render([{'type': 'text', 'text': 'a'}, {'type': 'text', 'text': 'b'}]) }}", {}),
    ("macro_defaults_see_arguments", "{% macro m(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ m(3) }}", {}),
    ("macro_in_loop_whitespace", "{% macro item(x) %}\n  - {{ x }}\n{% endmacro %}\n{% for n in nums %}\n{{ item(n) }}\n{% endfor %}", {}),
    ("macro_printed", "{% macro m() %}{% endmacro %}{{ m }}", {}),

    # ---- expressions
    ("arithmetic", "{{ 7 + 2 }} {{ 7 - 2 }} {{ 7 * 2 }} {{ 7 / 2 }} {{ 8 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -2 }} {{ 2 ** 3 ** 2 }}", {}),
    ("float_arithmetic", "{{ 0.1 + 0.2 }} {{ 1.5 * 2 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1e16 }} {{ 1.5e-7 }} {{ 3.0 }} {{ f * 2 }} {{ 1_000 + 0x10 + 0o10 + 0b10 }}", {}),
    ("precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ -2 ** 2 }} {{ not true or true }} {{ not (true or true) }} {{ 'a' ~ (1 + 2) }} {{ 1 ~ 2 * 3 }}", {}),
    ("concat_binds_tighter_than_plus", "{{ 1 + 2 ~ 3 }}", {}),
    ("unary_minus_filter", "{{ -3|abs }} {{ -neg|abs }} {{ - 3 }}", {}),
    ("string_concat", "{{ 'a' + 'b' }} {{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 3 }} {{ [1] + [2] }} {{ [0] * 3 }} {{ 'x' 'y' }}", {}),
    ("concat_undefined_is_empty", "[{{ 'a' ~ missing ~ 'b' }}]", {}),
    ("add_str_int_fails", "{{ 'a' + 1 }}", {}),
    ("add_undefined_fails", "{{ missing + 1 }}", {}),
    ("compare_chain", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 2 >= 2 }} {{ none == none }} {{ missing == missing }}", {}),
    ("compare_mixed_fails", "{{ 'a' < 1 }}", {}),
    ("in_operator", "{{ 'ell' in 'hello' }} {{ 2 in nums }} {{ 'a' in d }} {{ 'q' not in d }} {{ 'x' in missing }} {{ 1 in [1.0] }}", {}),
    ("and_or_values", "[{{ none or 'default' }}] [{{ 'first' or 'second' }}] [{{ '' and 'x' }}] [{{ 'x' and 'y' }}] [{{ missing or 'm' }}]", {}),
    ("conditional_expression", "{{ 'yes' if nums else 'no' }} {{ 'yes' if empty else 'no' }} [{{ 'only' if false }}] {{ 'a' if false else 'b' if false else 'c' }}", {}),
    ("literals", "{{ [1, 'two', 3.0, none, true, [false]] }} {{ {'a': 1, 'b': {'c': [1, 2]}} }} {{ (1,) }} {{ () }} {{ (1, 2) }} {{ {} }} {{ [] }}", {}),
    ("print_values", "{{ none }} {{ true }} {{ false }} {{ 1.0 }} {{ big }} {{ nothing }} [{{ missing }}] {{ d }} {{ messages[1] }}", {}),
    ("print_strings_repr", "{{ ['it\\'s', 'say \"hi\"', 'both \\' \"', 'tab\\t', 'nl\\n', 'back\\\\', 'é✓', '\\x07'] }}", {}),
    ("print_views", "{{ d.keys() }} {{ d.values() }} {{ d.items() }} {{ range(3) }} {{ range(1, 9, 2) }}", {}),
    ("string_escapes", "{{ 'a\\tb\\\\c\\x41\\u00e9\\U0001F600\\101\\'' }}|{{ \"q\\\"\" }}|{{ 'keep \\d' }}", {}),
    ("attribute_vs_item", "{{ d.items is defined }} {{ d['items'] }} {{ d.z }} {{ d['z'] }} {{ messages.0.role }} {{ messages[-1].role }} [{{ messages[99] }}] [{{ d.nope }}]", {}),
    ("attribute_of_missing_key_chain", "[{{ d.nope.deeper }}]", {}),
    ("attribute_of_undefined_fails", "{{ missing.attr }}", {}),
    ("item_index_out_of_range_attribute", "{{ messages[10].role }}", {}),
    ("dict_get_method", "{{ d.get('z') }} {{ d.get('nope') }} {{ d.get('nope', 'fallback') }} {{ messages[2].get('tool_calls')[0].function.name }}", {}),
    ("dict_keys_values", "{{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }} {{ d.keys()|length }}", {}),
    ("list_methods", "{{ nums.index(2) }} {{ nums.count(3) }} {{ words.count('z') }}", {}),
    ("list_append_is_unsafe", "{{ nums.append(4) }}", {}),
    ("dict_update_is_unsafe", "{% set x = d.update({'q': 1}) %}", {}),
    ("slicing", "{{ nums[1:] }} {{ nums[:-1] }} {{ nums[::-1] }} {{ nums[::2] }} {{ nums[-2:] }} {{ nums[5:] }} {{ nums[1:2] }} {{ 'hello'[1:4] }} {{ 'hello'[::-1] }} {{ nums[-10:10] }}", {}),
    ("slicing_steps", "{{ range(10)|list|batch(3)|list }} {{ (range(10)|list)[8:2:-2] }} {{ (range(10)|list)[::-3] }}", {}),
    ("unicode_code_points", "{{ unicode|length }} {{ unicode[0] }}|{{ unicode[1] }}|{{ unicode[-1] }} {{ unicode[:2] == 'e\u0301' }} {{ unicode[:2] == '\u00e9' }}", {}),
    ("string_methods", "[{{ text.strip() }}] [{{ text.lstrip() }}] [{{ text.rstrip() }}] [{{ 'xxhixx'.strip('x') }}] {{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }}", {}),
    ("string_methods_2", "{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith(('x', 'lo')) }} {{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'hello wORLD it\\'s'.title() }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'ab'.replace('', '-') }} {{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.count('l') }}", {}),
    ("string_methods_3", "{{ ', '.join(words) }} {{ 'l1\\nl2\\r\\nl3'.splitlines() }} {{ 'ab'.center(6, '*') }} {{ '7'.zfill(3) }} {{ 'abc'.capitalize() }} {{ '12'.isdigit() }} {{ 'prefix_x'.removeprefix('prefix_') }} {{ '{} and {name}'.format(1, name='two') }}", {}),
    ("percent_format", "{{ '%s is %d years, %.2f%%' % ('Ann', 30, 1.5) }} {{ '%05d|%-4s|%r' % (42, 'a', 'b') }} {{ 'single %s' % 'x' }}", {}),

    ("unicode_case", "{{ 'straße ǆemal ﬃ'|upper }} {{ 'İSTANBUL ΟΔΥΣΣΕΥΣ ΑΣ Σ'|lower }} {{ 'ǆemal ǅx'|capitalize }} {{ 'ǆemal hello\\'world'.title() }} {{ \"hello'world\"|title }} {{ 'İ'|lower|length }} {{ 'ΑΣ ΟΔΥΣΣΕΥΣ-ΣΑΣ'|title }} {{ 'ΑΣ ΟΔΥΣΣΕΥΣ'.title() }} {{ 'ΣΑΣ'|capitalize }}", {}),
    ("unicode_whitespace", "[{{ '\\u3000\\x1c a \\x85\\u00a0'|trim }}] {{ 'a\\u00a0b\\u2003c\\x1fd'.split() }} {{ 'x\\u2028y\\x0cz'.splitlines() }} {{ '\\u200bq'|trim|length }}", {}),
    ("unicode_sort_and_compare", "{{ ['é', 'z', 'E', 'e\\u0301', 'Z', 'a']|sort }} {{ 'é' > 'z' }} {{ 'e\\u0301' == 'é' }} {{ ['b', 'B', 'a']|sort(case_sensitive=true) }}", {}),
    ("unicode_tojson", "{{ '\\u2028\\u0085\\x7f\\ud7ff'|tojson }} {{ '\\u2028'|tojson(ensure_ascii=true) }}", {}),
    ("unicode_repr", "{{ ['\\u00a0', '\\u2028', '\\x85', '\\u200b', 'é', '\\U0001F600', '\\ue000', '\\x7f'] }}", {}),
    ("percent_edge", "{{ '%s|%s' % (none, [1]) }} {{ '%d' % 3.9 }} {{ '%5.1f|%-6.2f|%+d' % (3.14159, 2.5, 4) }} {{ '%%' % () }} {{ '%.2s' % 'abc' }}", {}),
    ("round_and_float_repr", "{{ 0.5|round }} {{ 1.5|round }} {{ 2.5|round(0) }} {{ 1.005|round(2) }} {{ 1e22 }} {{ 1/3 }} {{ 2/3*3 }} {{ 100.0 }} {{ -0.0 }} {{ 123456789.123456789 }}", {}),

    # ---- filters
    ("filter_trim_upper_lower", "[{{ text|trim }}] [{{ 'xxhixx'|trim('x') }}] {{ 'mIxEd'|upper }} {{ 'mIxEd'|lower }}", {}),
    ("filter_title_capitalize", "{{ 'hello wORLD-foo (bar) it\\'s'|title }} | {{ 'hELLO wORLD'|capitalize }}", {}),
    ("filter_length_count", "{{ messages|length }} {{ 'héllo'|length }} {{ d|count }} {{ missing|length }} {{ empty|length }}", {}),
    ("filter_length_of_generator_fails", "{{ messages|selectattr('role', 'equalto', 'user')|length }}", {}),
    ("filter_default", "{{ missing|default('dflt') }} {{ none|default('dflt') }} {{ ''|default('dflt', true) }} {{ 0|d('zero', boolean=true) }} {{ 'set'|default('dflt') }} [{{ missing|default }}]", {}),
    ("filter_first_last", "{{ nums|first }} {{ nums|last }} {{ 'abc'|first }} {{ 'abc'|last }} {{ d|first }} [{{ empty|first }}] {{ messages|selectattr('role', 'equalto', 'user')|first|attr('role') }}", {}),
    ("filter_last_of_generator_fails", "{{ messages|selectattr('role')|last }}", {}),
    ("filter_join", "{{ words|join }} {{ words|join(', ') }} {{ nums|join('-') }} {{ messages|join('|', attribute='role') }} {{ [1, none, 'x']|join(',') }}", {}),
    ("filter_replace", "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 123|replace('2', 'x') }}", {}),
    ("filter_list_string_int_float", "{{ 'abc'|list }} {{ d|list }} {{ 1|string ~ 2 }} {{ '42'|int + 1 }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ '0x1A'|int(0, 16) }} {{ '0b11'|int(base=2) }} {{ 3.9|int }} {{ '2.5'|float }} {{ 'nan?'|float }} {{ true|int }} {{ ' 1_000 '|int }}", {}),
    ("filter_items", "{{ d|items|list }} {{ missing|items|list }}", {}),
    ("filter_items_non_mapping_fails", "{{ nums|items|list }}", {}),
    ("filter_selectattr", "{{ messages|selectattr('role', 'equalto', 'user')|list|length }} {{ messages|selectattr('tool_calls')|list|length }} {{ messages|selectattr('tool_calls', 'defined')|map(attribute='role')|list }} {{ messages|rejectattr('role', 'in', ['system', 'tool'])|map(attribute='role')|list }}", {}),
    ("filter_map_dotted", "{{ messages[2].tool_calls|map(attribute='function.name')|list }} {{ messages|map(attribute='tool_calls.0.type', default='-')|list }}", {}),
    ("filter_selectattr_dotted_missing_fails", "{{ messages|selectattr('tool_calls.0.function.name', 'eq', 'get_weather')|map(attribute='role')|list }}", {}),
    ("filter_select_reject", "{{ nums|select('odd')|list }} {{ nums|reject('odd')|list }} {{ [0, 1, '', 'a', none]|select|list }} {{ nums|select('greaterthan', 1)|list }} {{ nums|select('divisibleby', 3)|list }}", {}),
    ("filter_map", "{{ messages|map(attribute='role')|list }} {{ words|map('upper')|list }} {{ messages|map(attribute='name', default='anon')|list }} {{ nums|map('string')|join }} {{ [[1, 2], [3]]|map('length')|list }} {{ ['a b', 'c']|map('replace', ' ', '_')|list }}", {}),
    ("filter_generator_truthiness", "{% if messages|selectattr('role', 'equalto', 'nobody') %}always true{% endif %}|{% if messages|selectattr('role', 'equalto', 'nobody')|list %}{% else %}empty list{% endif %}", {}),
    ("filter_generator_once", "{% set g = nums|map('string') %}{{ g|join }}|{{ g|join }}|{{ g|list }}", {}),
    ("filter_sort", "{{ words|sort }} {{ words|sort(case_sensitive=true) }} {{ words|sort(reverse=true) }} {{ messages|sort(attribute='role')|map(attribute='role')|list }} {{ [[2, 'b'], [1, 'z'], [2, 'a']]|sort }}", {}),
    ("filter_sort_mixed_fails", "{{ [1, 'a']|sort }}", {}),
    ("filter_dictsort", "{{ d|dictsort }} {{ d|dictsort(reverse=true) }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }} {{ {'B': 1, 'a': 2}|dictsort(case_sensitive=true) }}", {}),
    ("filter_unique", "{{ words|unique|list }} {{ words|unique(case_sensitive=true)|list }} {{ messages|unique(attribute='role')|map(attribute='role')|list }}", {}),
    ("filter_reverse", "{{ 'abc'|reverse }} {{ nums|reverse|list }} {{ d|reverse|list }}", {}),
    ("filter_min_max_sum", "{{ nums|min }} {{ nums|max }} {{ words|min }} {{ words|max(case_sensitive=true) }} {{ nums|sum }} {{ nums|sum(start=10) }} {{ [{'n': 1}, {'n': 2}]|sum(attribute='n') }} [{{ empty|max }}]", {}),
    ("filter_batch", "{{ nums|batch(2)|list }} {{ nums|batch(2, 'x')|list }}", {}),
    ("filter_indent", "[{{ 'a\\nb\\n\\nc'|indent }}] [{{ 'a\\nb'|indent(2, true) }}] [{{ 'a\\n\\nb'|indent('> ', blank=true) }}] [{{ 'a\\n'|indent(first=true) }}]", {}),
    ("filter_round_abs", "{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 2.1|round(0, 'ceil') }} {{ 2.9|round(method='floor') }} {{ 42|round }} {{ 1234|round(-2) }} {{ -3.5|abs }} {{ -2|abs }}", {}),
    ("filter_center_wordcount_format", "[{{ 'ab'|center(7) }}] {{ 'one two, three'|wordcount }} {{ '%s=%s'|format('a', 1) }} {{ '%(x)s!'|format(x='kw') }}", {}),
    ("filter_attr", "{{ messages[0]|attr('role') }} [{{ d|attr('z') }}] {{ d|attr('items') is defined }}", {}),
    ("filter_chain_precedence", "{{ 'a' + ' b '|trim + 'c' }} {{ (' x ' ~ 'y ')|trim }} {{ messages[1]['content']|upper|replace('Z', 'z') }}", {}),
    ("filter_string_of_list", "{{ [1, 'a']|string }} {{ none|string }}", {}),

    # ---- tojson
    ("tojson_tools", "{{ tools|tojson }}", {}),
    ("tojson_indent", "{{ tools[0]|tojson(indent=2) }}|{{ [1, [], {}, [2]]|tojson(indent=4) }}|{{ {'a': 1}|tojson(indent='\\t') }}|{{ [1, 2]|tojson(indent=0) }}", {}),
    ("tojson_separators_sort", "{{ {'b': 1, 'a': [1, 2]}|tojson(separators=(',', ':')) }} {{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }} {{ {'b': 1, 'a': 2}|tojson(indent=1, separators=(', ', ' = ')) }}", {}),
    ("tojson_text", "{{ 'Zürich \"quoted\" \\\\ /\\n\\t\\x01\\x7f✓😀'|tojson }} {{ 'Zürich ✓😀\\x7f'|tojson(ensure_ascii=true) }} {{ '<script>&'|tojson }}", {}),
    ("tojson_numbers", "{{ [1, -2, 2.5, 1e16, 1.5e-7, 0.1 + 0.2, 3.0, true, false, none]|tojson }} {{ {1: 'int key', 2.5: 'float key', true: 'bool key', none: 'none key'}|tojson }}", {}),
    ("tojson_positional_is_ensure_ascii", "{{ 'é'|tojson(2) }}", {}),
    ("tojson_tuple_and_nested", "{{ (1, 'a')|tojson }} {{ messages[2]|tojson }}", {}),
    ("tojson_undefined_fails", "{{ missing|tojson }}", {}),
    ("tojson_generator_fails", "{{ nums|map('string')|tojson }}", {}),

    # ---- tests
    ("tests_types", "{{ none is none }} {{ 1 is number }} {{ true is number }} {{ 1.5 is float }} {{ 1 is integer }} {{ true is integer }} {{ true is boolean }} {{ 'a' is string }} {{ d is mapping }} {{ nums is sequence }} {{ d is sequence }} {{ 'a' is sequence }} {{ 1 is iterable }} {{ missing is iterable }} {{ range(2) is iterable }}", {}),
    ("tests_defined", "{{ missing is defined }} {{ missing is undefined }} {{ nothing is defined }} {{ d.z is defined }} {{ d.nope is defined }} {{ messages[2].tool_calls is defined }} {{ messages[0].tool_calls is not defined }} {{ not missing is defined }}", {}),
    ("tests_values", "{{ 3 is odd }} {{ 3 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'a' is in 'abc' }} {{ 2 is in nums }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ none is sameas none }} {{ false is sameas false }}", {}),
    ("tests_comparisons", "{{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is ne 2 }} {{ 1 is lt 2 }} {{ 2 is le 2 }} {{ 3 is gt 2 }} {{ 2 is ge 3 }} {{ 1 is lessthan 2 }} {{ 1 is greaterthan 2 }}", {}),
    ("tests_symbol_names_are_not_names", "{{ 1 is == 1 }}", {}),
    ("tests_callable_filter_test", "{{ range is callable }} {{ 'x' is callable }} {{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }}", {}),
    ("tests_not", "{{ nothing is not none }} {{ 'x' is not string }} {{ missing is not defined and true }}", {}),

    # ---- globals, errors
    ("raise_exception", "{% if messages[0].role == 'system' %}{{ raise_exception('System messages are not supported: ' ~ messages[0].content) }}{% endif %}", {}),
    ("raise_exception_in_macro", "{% macro check(m) %}{% if m.role not in ['user', 'assistant'] %}{{ raise_exception('Unknown role ' + m.role) }}{% endif %}{% endmacro %}{% for m in messages %}{{ check(m) }}{% endfor %}", {}),
    ("strftime_now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %j %p %I %y') }}", {}),
    ("dict_global", "{{ dict(a=1, b=2) }} {{ dict([('x', 1)]) }}", {}),
    ("range_too_big", "{{ range(200000)|length }}", {}),
    ("call_not_callable", "{{ 'x'() }}", {}),
    ("call_undefined", "{{ missing() }}", {}),
    ("division_by_zero", "{{ 1 / 0 }}", {}),
    ("unhashable_key", "{{ {[1]: 2} }}", {}),
    ("undefined_in_loop_filter_message", "{{ messages[0].nope.deeper }}", {}),

    # ---- syntax errors (jinja2 refuses them before rendering)
    ("syntax_unclosed_if", "{% if true %}yes", {}),
    ("syntax_unknown_tag", "{% frobnicate %}", {}),
    ("syntax_do_tag_not_enabled", "{% do nums.append(1) %}", {}),
    ("syntax_unknown_filter", "{{ 1|nofilter }}", {}),
    ("syntax_unknown_test", "{{ 1 is nothing }}", {}),
    ("syntax_bad_expression", "{{ 1 + }}", {}),
    ("syntax_unclosed_variable", "{{ 1 ", {}),
    ("syntax_unclosed_comment", "{# oops", {}),
    ("syntax_unbalanced_bracket", "{{ [1, 2) }}", {}),
    ("syntax_break_outside_loop", "{% break %}", {}),
    ("syntax_nesting_mistake", "{% for x in nums %}{% endif %}", {}),
    ("syntax_bad_char", "{{ 1 ! 2 }}", {}),
]

# Templates written for these tests in the style of real models' chat templates (a system message
# taken out of the list, tools printed with tojson, tool calls and results, content as text or a
# list of parts, macros), each rendered with several conversations.
LLAMA_STYLE = """{{- bos_token }}
{%- if not date_string is defined %}
    {%- set date_string = strftime_now("%d %b %Y") %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}
{#- The system message, if any, leaves the list #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\\n" }}
{%- endif %}
{{- "Today Date: " + date_string + "\\n\\n" }}
{%- if tools is not none %}
    {{- "You may call these functions:\\n\\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\\n\\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {%- if not (message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("Only one tool call at a time!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
        {{- '{"name": "' + tool_call.name + '", "parameters": ' + tool_call.arguments | tojson + "}" }}
        {%- for name, value in tool_call.arguments | items %}
            {{- ' ' ~ name ~ '=' ~ value }}{% if not loop.last %},{% endif %}
        {%- endfor %}
        {{- "<|eom_id|>" }}
    {%- else %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
        {%- if message.content is mapping or message.content is iterable and message.content is not string %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
"""

MISTRAL_STYLE = """{%- set ns = namespace(system=none, user_count=0) %}
{%- if messages[0]["role"] == "system" %}
    {%- set ns.system = messages[0]["content"] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}
{%- for message in loop_messages | rejectattr("role", "equalto", "tool") | selectattr("tool_calls", "undefined") %}
    {%- if (message["role"] == "user") != (loop.index0 % 2 == 0) %}
        {{- raise_exception("After the optional system message, roles must alternate user/assistant/user/assistant/...") }}
    {%- endif %}
{%- endfor %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message["role"] == "user" %}
        {%- set ns.user_count = ns.user_count + 1 %}
        {%- if tools is not none and (message == user_messages[-1]) %}
            {{- "[AVAILABLE_TOOLS] [" }}
            {%- for tool in tools %}
                {%- set tool = tool.function %}
                {{- '{"type": "function", "function": {' }}
                {%- for key, val in tool.items() if key != "return" %}
                    {%- if val is string %}
                        {{- '"' + key + '": "' + val + '"' }}
                    {%- else %}
                        {{- '"' + key + '": ' + val|tojson }}
                    {%- endif %}
                    {%- if not loop.last %}
                        {{- ", " }}
                    {%- endif %}
                {%- endfor %}
                {{- "}}" }}
                {{- ", " if not loop.last else "" }}
            {%- endfor %}
            {{- "][/AVAILABLE_TOOLS]" }}
        {%- endif %}
        {%- if loop.last and ns.system is not none %}
            {{- "[INST] " + ns.system + "\\n\\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- elif message.tool_calls is defined and message.tool_calls is not none %}
        {{- "[TOOL_CALLS] [" }}
        {%- for tool_call in message.tool_calls %}
            {%- set out = tool_call.function|tojson %}
            {{- out[:-1] }}
            {{- ', "id": "' + (loop.index|string).rjust(9, "0") + '"}' }}
            {%- if not loop.last %}{{- ", " }}{% else %}{{- "]" + eos_token }}{%- endif %}
        {%- endfor %}
    {%- elif message["role"] == "assistant" %}
        {{- " " + message["content"]|trim + eos_token }}
    {%- elif message["role"] == "tool" %}
        {{- '[TOOL_RESULTS] {"content": ' + message.content|tojson + '}[/TOOL_RESULTS]' }}
    {%- else %}
        {{- raise_exception("Only user, assistant and tool roles are supported, with the exception of an initial optional system message!") }}
    {%- endif %}
{%- endfor %}
{{- "(" ~ ns.user_count ~ " user turns)" }}
"""

HERMES_STYLE = """{%- macro json_to_python_type(json_spec) %}
{%- set basic_type_map = {
    "string": "str",
    "number": "float",
    "integer": "int",
    "boolean": "bool"
} %}
{%- if basic_type_map[json_spec.type] is defined %}
    {{- basic_type_map[json_spec.type] }}
{%- elif json_spec.type == "array" %}
    {{- "list[" +  json_to_python_type(json_spec["items"]) + "]" }}
{%- elif json_spec.type == "object" %}
    {%- if json_spec.additionalProperties is defined %}
        {{- "dict[str, " + json_to_python_type(json_spec.additionalProperties) + ']' }}
    {%- else %}
        {{- "dict" }}
    {%- endif %}
{%- elif json_spec.type is iterable %}
    {{- "Union[" }}
    {%- for t in json_spec.type %}
        {{- json_to_python_type({"type": t}) }}
        {%- if not loop.last %}
            {{- "," }}
        {%- endif %}
    {%- endfor %}
    {{- "]" }}
{%- else %}
    {{- "Any" }}
{%- endif %}
{%- endmacro %}

{{- bos_token }}
{%- if tools %}
{{- '<|im_start|>system\\nFunctions:\\n' }}
{%- for tool in tools %}
    {%- if tool.function is defined %}
        {%- set tool = tool.function %}
    {%- endif %}
    {{- '{"type": "function", "function": ' }}
    {{- '{"name": "' + tool.name + '", ' }}
    {{- '"description": "' + tool.name + '(' }}
    {%- for param_name, param_fields in tool.parameters.properties|items %}
        {{- param_name + ": " + json_to_python_type(param_fields) }}
        {%- if not loop.last %}
            {{- ", " }}
        {%- endif %}
    {%- endfor %}
    {{- ")" }}
    {%- if tool.return is defined %}
        {{- " -> " + json_to_python_type(tool.return) }}
    {%- endif %}
    {{- " - " + tool.description + "\\n\\n" }}
    {{- '"parameters": ' }}
    {{- tool.parameters|tojson }}
    {{- "}" }}
{%- endfor %}
{{- "<|im_end|>\\n" }}
{%- endif %}
{%- for message in messages %}
    {%- if message.role == "user" or message.role == "system" or (message.role == "assistant" and message.tool_calls is not defined) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
    {%- for tool_call in message.tool_calls %}
       {{- '\\n<tool_call>\\n' }}
           {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '{' }}
            {{- '"name": "' }}
            {{- tool_call.name }}
            {{- '"' }}
            {%- if tool_call.arguments is defined %}
                {{- ', ' }}
                {{- '"arguments": ' }}
                {{- tool_call.arguments|tojson }}
            {%- endif %}
            {{- '}' }}
            {{- '\\n</tool_call>' }}
    {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.previtem and loop.previtem.role != "tool" %}
            {{- '<|im_start|>tool\\n' }}
        {%- endif %}
        {{- '<tool_response>\\n' }}
        {{- message.content }}
        {%- if not loop.last %}
            {{- '\\n</tool_response>\\n' }}
        {%- else %}
            {{- '\\n</tool_response>' }}
        {%- endif %}
        {%- if not loop.last and loop.nextitem.role != "tool" %}
            {{- '<|im_end|>' }}
        {%- elif loop.last %}
            {{- '<|im_end|>' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

RICH_TOOLS = TOOLS + [{"type": "function", "function": {
    "name": "search", "description": "Search the web", "return": {"type": "array", "items": {"type": "string"}},
    "parameters": {"type": "object", "properties": {
        "query": {"type": "string"}, "limit": {"type": ["integer", "number"]},
        "filters": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "boolean"}}},
        "weights": {"type": "array", "items": {"type": "number"}}, "extra": {}},
        "required": ["query"]}}}]
SIMPLE = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": " Hello! "}, {"role": "user", "content": "Bye"}]
WITH_SYSTEM = [{"role": "system", "content": " Be terse. "}] + SIMPLE
BAD_ORDER = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
TWO_CALLS = [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
    {"type": "function", "function": {"name": "a", "arguments": {}}},
    {"type": "function", "function": {"name": "b", "arguments": {"q": 1}}}]}]
TOOL_TURNS = MESSAGES[1:] + [{"role": "user", "content": "And tomorrow?"}]
PART_CONTENT = [{"role": "user", "content": "q"}, {"role": "assistant", "tool_calls": [
    {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Bern"}}}]},
    {"role": "tool", "content": {"temp": [3, 4], "unit": "°C"}}]

for style, template in [("llama_style", LLAMA_STYLE), ("mistral_style", MISTRAL_STYLE), ("hermes_style", HERMES_STYLE)]:
    for label, messages, tools, extra in [
        ("simple", SIMPLE, None, {}),
        ("system", WITH_SYSTEM, None, {"date_string": "1 Jan 2025"}),
        ("bad_order", BAD_ORDER, None, {}),
        ("tools", TOOL_TURNS, RICH_TOOLS, {}),
        ("two_calls", TWO_CALLS, TOOLS, {}),
        ("part_content", PART_CONTENT, TOOLS, {}),
        ("system_tools_no_prompt", [{"role": "system", "content": "S"}] + TOOL_TURNS, TOOLS, {"add_generation_prompt": False}),
    ]:
        variables = {"messages": messages, "tools": tools}
        variables.update(extra)
        CASES.append((f"{style}_{label}", template, variables))
# A type name that is a string but not in the map: the macro recurses on its letters forever,
# until Python's recursion limit (a real bug pattern; the interpreter must stop, not crash).
CASES.append(("hermes_style_endless_recursion", HERMES_STYLE, {"messages": SIMPLE, "tools": [{"type": "function", "function": {
    "name": "f", "description": "d", "parameters": {"type": "object", "properties": {"x": {"type": ["integer", "null"]}}}}}]}))


def main():
    out = sys.stdout
    for name, template, overrides in CASES:
        variables = dict(BASE)
        variables.update(overrides)
        case = {"name": name, "template": template, "variables": variables}
        try:
            case["rendered"] = env.from_string(template).render(**variables)
        except Exception as e:  # noqa: BLE001 — the message and type are the expectation
            case["error"] = str(e)
            case["error_type"] = type(e).__name__
        out.write(json.dumps(case, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
