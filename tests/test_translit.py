# ruff: noqa: RUF001 - Cyrillic letters and typographic marks are the subject here
"""Transliteration (text.transliterate) and GSM-7 twins (text.gsm7_suggestions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_letsads import text
from django_letsads.gsm7 import TWINS, replace_twins, ucs2_characters
from django_letsads.translit import outgoing_text

#: The examples of the table in Cabinet of Ministers resolution No. 55 of 27 January 2010.
RESOLUTION_EXAMPLES = [
    ("Алушта", "Alushta"),
    ("Андрій", "Andrii"),
    ("Борщагівка", "Borshchahivka"),
    ("Борисенко", "Borysenko"),
    ("Вінниця", "Vinnytsia"),
    ("Володимир", "Volodymyr"),
    ("Гадяч", "Hadiach"),
    ("Богдан", "Bohdan"),
    ("Згурський", "Zghurskyi"),
    ("Ґалаґан", "Galagan"),
    ("Ґорґани", "Gorgany"),
    ("Донецьк", "Donetsk"),
    ("Дмитро", "Dmytro"),
    ("Рівне", "Rivne"),
    ("Олег", "Oleh"),
    ("Есмань", "Esman"),
    ("Єнакієве", "Yenakiieve"),
    ("Гаєвич", "Haievych"),
    ("Короп'є", "Koropie"),
    ("Житомир", "Zhytomyr"),
    ("Жанна", "Zhanna"),
    ("Жежелів", "Zhezheliv"),
    ("Закарпаття", "Zakarpattia"),
    ("Казимирчук", "Kazymyrchuk"),
    ("Медвин", "Medvyn"),
    ("Михайленко", "Mykhailenko"),
    ("Іванків", "Ivankiv"),
    ("Іващенко", "Ivashchenko"),
    ("Їжакевич", "Yizhakevych"),
    ("Кадиївка", "Kadyivka"),
    ("Мар'їне", "Marine"),
    ("Йосипівка", "Yosypivka"),
    ("Стрий", "Stryi"),
    ("Олексій", "Oleksii"),
    ("Київ", "Kyiv"),
    ("Коваленко", "Kovalenko"),
    ("Лебедин", "Lebedyn"),
    ("Леонід", "Leonid"),
    ("Миколаїв", "Mykolaiv"),
    ("Маринич", "Marynych"),
    ("Ніжин", "Nizhyn"),
    ("Наталія", "Nataliia"),
    ("Одеса", "Odesa"),
    ("Онищенко", "Onyshchenko"),
    ("Полтава", "Poltava"),
    ("Петро", "Petro"),
    ("Решетилівка", "Reshetylivka"),
    ("Рибчинський", "Rybchynskyi"),
    ("Суми", "Sumy"),
    ("Соломія", "Solomiia"),
    ("Тернопіль", "Ternopil"),
    ("Троць", "Trots"),
    ("Ужгород", "Uzhhorod"),
    ("Уляна", "Uliana"),
    ("Фастів", "Fastiv"),
    ("Філіпчук", "Filipchuk"),
    ("Харків", "Kharkiv"),
    ("Христина", "Khrystyna"),
    ("Біла Церква", "Bila Tserkva"),
    ("Стеценко", "Stetsenko"),
    ("Чернівці", "Chernivtsi"),
    ("Шевченко", "Shevchenko"),
    ("Шостка", "Shostka"),
    ("Кишеньки", "Kyshenky"),
    ("Щербухи", "Shcherbukhy"),
    ("Гоща", "Hoshcha"),
    ("Гаращенко", "Harashchenko"),
    ("Юрій", "Yurii"),
    ("Корюківка", "Koriukivka"),
    ("Яготин", "Yahotyn"),
    ("Ярошенко", "Yaroshenko"),
    ("Костянтин", "Kostiantyn"),
    ("Знам'янка", "Znamianka"),
    ("Феодосія", "Feodosiia"),
    ("Згорани", "Zghorany"),
    ("Розгон", "Rozghon"),
    ("Олексіївка", "Oleksiivka"),
    ("Жданов", "Zhdanov"),
    ("Юрчишин", "Yurchyshyn"),
]


@pytest.mark.parametrize(("cyrillic", "latin"), RESOLUTION_EXAMPLES)
def test_the_resolutions_examples(cyrillic: str, latin: str) -> None:
    assert text.transliterate(cyrillic) == latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("ЮРІЙ ЩЕРБА", "YURII SHCHERBA"),  # all caps stays all caps, letter groups too
        ("ЗГОРАНИ", "ZGHORANY"),
        ("Я", "Ya"),  # one capital letter is a capitalised word
        ("ЄС", "YES"),
        ("юрій", "yurii"),
        ("Ювілей: 25 років!", "Yuvilei: 25 rokiv!"),  # digits and punctuation kept
        ("Знижка на iPhone", "Znyzhka na iPhone"),  # Latin kept
        ("Знам’янка", "Znamianka"),  # the typographic apostrophe is the apostrophe too
        ("Знамʼянка", "Znamianka"),  # and the modifier letter the spelling rules prefer
        ("‘Ярошенко’", "'Yaroshenko'"),  # quotes around a word are not apostrophes
        ("ʼЯрошенкоʼ", "'Yaroshenko'"),  # even the modifier letter
        ("Пів-Яготина", "Piv-Yahotyna"),  # a hyphen starts a new word
    ],
)
def test_case_digits_latin_and_apostrophes(cyrillic: str, latin: str) -> None:
    assert text.transliterate(cyrillic) == latin


def test_russian_table() -> None:
    assert text.transliterate("Съешь ещё этих мягких булок", "ru") == (
        "Sesh eshchyo etikh myagkikh bulok"
    )
    assert text.transliterate("Юрий Щукин", language="ru") == "Yuriy Shchukin"


@pytest.mark.parametrize("language", ["en", "", "UK", None])
def test_unknown_language_names_the_supported_ones(language: str) -> None:
    with pytest.raises(ValueError, match="supported: 'uk', 'ru'"):
        text.transliterate("Привіт", language)


UKRAINIAN = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
ALPHABET = UKRAINIAN + UKRAINIAN.upper() + "'’ʼ 0123456789.,!?-:\n"


@given(st.text(alphabet=ALPHABET))
def test_ukrainian_output_is_gsm7_and_at_most_four_times_longer(value: str) -> None:
    result = text.transliterate(value)
    assert text.is_gsm7(result)
    assert len(result) <= 4 * len(value)


@given(st.text())
def test_any_text_transliterates_without_error(value: str) -> None:
    assert isinstance(text.transliterate(value, "ru"), str)


def test_outgoing_text_transliterates_only_when_asked() -> None:
    assert outgoing_text(False, "Привіт") == "Привіт"
    assert outgoing_text(True, "Привіт") == "Pryvit"


# -- GSM-7 twins ----------------------------------------------------------------------------------


def test_a_curly_apostrophe_costs_two_segments() -> None:
    value = "It’s our autumn sale: " + "x" * 120
    assert text.analyze(value).segments == 3
    [suggestion] = text.gsm7_suggestions(value)
    assert (suggestion.character, suggestion.replacement) == ("’", "'")
    assert suggestion.positions == (2,)
    assert (suggestion.segments_before, suggestion.segments_after) == (3, 1)
    assert suggestion.segments_after_all == 1
    assert text.analyze(replace_twins(value)).segments == 1


def test_one_of_several_offenders_alone_saves_nothing() -> None:
    value = "“Sale” – " + "x" * 140
    suggestions = {s.character: s for s in text.gsm7_suggestions(value)}
    assert set(suggestions) == {"“", "”", "–"}
    assert suggestions["–"].positions == (7,)
    assert suggestions["–"].segments_after == 3  # the quotes still force UCS-2
    assert suggestions["–"].segments_after_all == 1


@pytest.mark.parametrize(
    ("value", "fixed"),
    [
        ("a\u00a0b", "a b"),
        ("No\u2116 5", "NoNo 5"),
        ("wait…", "wait..."),
        ("• one", "- one"),
        ("zero\u200bwidth", "zerowidth"),
        ("tab\there", "tab here"),
    ],
)
def test_twins(value: str, fixed: str) -> None:
    assert text.gsm7_suggestions(value)
    assert replace_twins(value) == fixed
    assert text.is_gsm7(fixed)


def test_every_twin_is_gsm7() -> None:
    assert all(text.is_gsm7(twin) and not text.is_gsm7(ch) for ch, twin in TWINS.items())


def test_no_suggestions_for_gsm7_or_untwinned_text() -> None:
    assert text.gsm7_suggestions("It's fine - really...") == []
    assert text.gsm7_suggestions("Привіт 😀") == []
    assert text.gsm7_suggestions("") == []


def test_why_a_text_stays_ucs2_after_transliteration() -> None:
    assert ucs2_characters(text.transliterate("Знижка 😀 «тут»")) == ["😀", "«", "»"]
    assert ucs2_characters("plain") == []
