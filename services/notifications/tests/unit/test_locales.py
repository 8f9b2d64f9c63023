from rapport_kit.locales import candidates, negotiate

AVAILABLE = {"en", "pt", "de", "tr", "zh_Hant"}


def test_region_falls_back_to_the_language() -> None:
    assert negotiate("pt-BR", AVAILABLE, "en").catalog == "pt"


def test_unknown_language_falls_back_to_the_default() -> None:
    assert negotiate("pt-BR", {"en"}, "en").catalog == "en"
    assert negotiate("xx-YY", AVAILABLE, "en").catalog == "en"
    assert negotiate(None, AVAILABLE, "en").catalog == "en"


def test_formatting_keeps_the_region_when_the_language_matches() -> None:
    chosen = negotiate("de-AT", AVAILABLE, "en")
    assert (chosen.catalog, chosen.formatting) == ("de", "de_AT")
    fallback = negotiate("fi-FI", AVAILABLE, "en")
    assert (fallback.catalog, fallback.formatting) == ("en", "en")


def test_case_and_separators_do_not_matter() -> None:
    assert negotiate("TR-tr", AVAILABLE, "en").catalog == "tr"
    assert negotiate("zh_Hant_TW", AVAILABLE, "en").catalog == "zh_Hant"


def test_candidates_go_from_most_to_least_specific() -> None:
    assert candidates("zh-Hant-TW") == ["zh_Hant_TW", "zh_Hant", "zh"]
