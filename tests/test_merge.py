"""The template syntax of campaign texts (django_letsads.merge): placeholders, defaults, braces."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_letsads import merge


def test_fields_and_defaults_are_rendered_from_the_values():
    template = merge.parse("Вітаємо, {name|клієнте}! Код {code}. Стоп: {unsubscribe_url}")

    assert template.fields == ("name", "code", "unsubscribe_url")
    assert (
        template.render({"name": "Олена", "code": "17", "unsubscribe_url": "https://e.x/s/ab"})
        == "Вітаємо, Олена! Код 17. Стоп: https://e.x/s/ab"
    )
    assert template.render({"code": "1", "unsubscribe_url": "u", "name": ""}) == (
        "Вітаємо, клієнте! Код 1. Стоп: u"
    )


def test_double_braces_are_literal_braces_and_never_placeholders():
    template = merge.parse("{{name}} costs {{5}} {x}")

    assert template.fields == ("x",)
    assert template.render({"x": "!"}) == "{name} costs {5} !"
    assert merge.render("}}{{", {}) == "}{"


def test_a_missing_value_without_default_raises_naming_the_field():
    with pytest.raises(merge.MissingValueError) as caught:
        merge.render("Hi {name}", {})
    assert caught.value.field == "name"


def test_an_empty_default_renders_nothing():
    assert merge.render("Hi{name|}!", {}) == "Hi!"


def test_values_are_inserted_as_text_and_never_evaluated():
    values = {"name": "{code} {{x}} {0.__class__} %s <b>"}
    assert merge.render("{name}", values) == "{code} {{x}} {0.__class__} %s <b>"


@pytest.mark.parametrize(
    ("text", "code", "position"),
    [
        ("Hi {name", "UNCLOSED_BRACE", 3),
        ("Hi {na{me}", "UNCLOSED_BRACE", 3),
        ("Hi name}", "UNOPENED_BRACE", 7),
        ("Hi {}", "NO_FIELD_NAME", 3),
        ("Hi {first name}", "FIELD_WITH_SPACE", 3),
        ("Hi { name}", "FIELD_WITH_SPACE", 3),
        ("Hi {user.name}", "FIELD_WITH_DOT", 3),
        ("Hi {0[1]}", "BAD_FIELD_NAME", 3),
        ("Hi {name!r}", "BAD_FIELD_NAME", 3),
        ("Hi {name:>10}", "BAD_FIELD_NAME", 3),
    ],
)
def test_bad_templates_raise_a_value_error_with_code_and_position(text, code, position):
    with pytest.raises(ValueError, match="position") as caught:
        merge.parse(text)
    error = caught.value
    assert isinstance(error, merge.TemplateError)
    assert (error.code, error.position) == (code, position)


def test_names_may_be_in_any_script():
    assert merge.parse("{імя} {名前}").fields == ("імя", "名前")


def test_has_placeholders_is_false_only_for_texts_without_braces():
    assert not merge.has_placeholders("Sale -20% today!")
    assert merge.has_placeholders("Sale {{today}}")


NAMES = st.sampled_from(["name", "code", "імя", "x_1"])
LITERAL = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=12)
PART = st.one_of(
    LITERAL.map(lambda text: ("text", text, None)),
    st.tuples(
        st.just("field"), NAMES, st.one_of(st.none(), LITERAL.filter(lambda d: "|" not in d))
    ),
    st.sampled_from([("text", "{", None), ("text", "}", None)]),
)


@given(st.lists(PART, max_size=8), st.dictionaries(NAMES, st.text(max_size=20)))
def test_rendering_inserts_values_verbatim_and_evaluates_nothing(parts, data):
    source, expected, needs_value = [], [], False
    for kind, value, default in parts:
        if kind == "text":
            source.append(value.replace("{", "{{").replace("}", "}}"))
            expected.append(value)
            continue
        source.append("{" + value + ("" if default is None else "|" + default) + "}")
        if data.get(value):
            expected.append(data[value])
        elif default is None:
            needs_value = True
        else:
            expected.append(default)
    template = merge.parse("".join(source))

    if needs_value:
        with pytest.raises(merge.MissingValueError):
            template.render(data)
    else:
        assert template.render(data) == "".join(expected)


@given(st.text(max_size=80), st.dictionaries(NAMES, st.text(max_size=20)))
def test_any_text_either_parses_or_raises_a_template_error(text, data):
    positions = []
    try:
        merge.parse(text)
    except merge.TemplateError as exc:
        positions.append(exc.position)
    assert all(0 <= position < len(text) for position in positions)


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=60))
def test_a_text_without_braces_renders_to_itself(text):
    assert merge.render(text, {}) == text


@given(st.text(max_size=60))
def test_escaped_text_renders_back_to_the_original(text):
    escaped = text.replace("{", "{{").replace("}", "}}")
    assert merge.parse(escaped).fields == ()
    assert merge.render(escaped, {}) == text


# -- recipient data: whatever it holds, rendering raises only the documented errors -------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
ANY_DATA = st.one_of(
    st.none(),
    st.dictionaries(st.one_of(NAMES, st.text(max_size=8)), JSON, max_size=6),
    JSON,
)


@given(st.text(max_size=60), ANY_DATA)
def test_render_recipient_raises_only_the_documented_errors_whatever_the_data(text, data):
    from django_letsads.rendering import render_recipient

    try:
        rendered = render_recipient(text, data, unsubscribe_url="https://e.x/u")
    except (merge.TemplateError, merge.MissingValueError):
        return
    assert isinstance(rendered, str)


@given(
    st.lists(st.tuples(NAMES, LITERAL.filter(lambda d: "|" not in d)), min_size=1, max_size=5),
    ANY_DATA,
)
def test_a_template_whose_fields_all_have_defaults_renders_for_any_data(fields, data):
    from django_letsads.rendering import render_recipient

    text = "".join("{" + name + "|" + default + "}" for name, default in fields)

    assert isinstance(render_recipient(text, data), str)


@given(st.dictionaries(NAMES, JSON, min_size=1))
def test_values_are_inserted_as_their_text_and_nothing_in_them_is_evaluated(data):
    import json

    from django_letsads.rendering import render_recipient

    for name, value in data.items():
        expected = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if value is None or expected == "":
            expected = "-"
        assert render_recipient("{" + name + "|-}", data) == expected


@given(st.text(max_size=30).map(lambda s: s.replace("{", "").replace("}", "")))
def test_a_value_that_looks_like_a_template_or_a_format_spec_stays_as_it_is(junk):
    from django_letsads.rendering import render_recipient

    for value in ("{" + junk + "}", "{{" + junk + "}}", "{0.__class__}", "%s%(x)s", "{{x}}"):
        assert render_recipient("<{v}>", {"v": value}) == "<" + value + ">"
