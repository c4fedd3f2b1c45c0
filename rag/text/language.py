"""Is a question in English? A surface test, so that the assistant can say it reads English only.

The embedder and the answerer are English-only: a question in Ukrainian or French retrieves
nothing it should and was answered "The articles don't say." (false: they may well say). No
language-identification model ships here, so the test reads two things a question shows:

1. **Its script.** Mostly Cyrillic, Greek, Arabic, Hebrew, CJK, ... letters (60% of its letters
   or more) is not English. Cyrillic is told apart by letters only one language uses (Ukrainian
   ``і ї є ґ``, Russian ``ы э ъ ё``) or by its question words (``FUNCTION_WORDS``).
2. **Its function words**, for Latin script: each language's short list of question words,
   articles and prepositions (``FUNCTION_WORDS``, about twenty words each, none shared with
   English but German "was", which then needs a second German word). A question is in another language when at least two of its words are on that
   language's list and more of them than on the English list.

Anything else is English, so a name, a quoted foreign phrase or a one-word question never trips
it: "What did Macron say about la Défense?" has four English words to French's one. Examples::

    question_language("Що сказав Макрон?")                   -> "uk"
    question_language("Qu'a dit Macron sur les garanties ?") -> "fr"
    question_language("What did Macron say about la Défense?") -> "en"

Why word lists and not a model: none is installed, the lists are short and named, and the test
only decides whether to say "English only" (it never changes an answer to an English question).
"""

from __future__ import annotations

import re
import unicodedata

# Each list: frequent words of questions in that language that are not English words.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the an of to in on at for with by from what who whom whose which when where why how did does do "
        "is are was were will would has have had and or not about say said says many much that this it "
        "they he she his her their there".split()
    ),
    "fr": frozenset(
        "le la les des du un une est sont que qu qui quoi quel quelle quels quelles combien pourquoi "
        "comment où dit pour sur dans avec pas au aux à ont l d ce cette".split()
    ),
    "de": frozenset(
        "der die das und ist sind wer wie wo wann warum hat haben nicht ein eine mit von zu den dem "
        "sagte über welche wieviele was".split()
    ),
    "es": frozenset(
        "el los las del que qué y es son una por para con dijo cuántos cuántas cómo dónde cuándo quién "
        "sobre se al".split()
    ),
    "it": frozenset(
        "il lo gli di della che è sono una per con cosa chi come dove quando perché quanti ha detto "
        "sul nel".split()
    ),
    "pt": frozenset(
        "os da das dos que é são um uma para com não quem como onde quando porque quantos disse sobre".split()
    ),
    "uk": frozenset("що як хто де коли чому який яка які скільки чи сказав сказала про це та і й".split()),
    "ru": frozenset(
        "что как кто где когда почему какой какая какие сколько ли сказал сказала это и о".split()
    ),
}
# Letters one Cyrillic language has and the other lacks.
_UKRAINIAN_LETTERS = frozenset("іїєґ")
_RUSSIAN_LETTERS = frozenset("ыэъё")
SCRIPT_SHARE = 0.6  # of a question's letters, to call it written in another script
_WORD = re.compile(r"[^\W\d_]+")

# What the assistant says, in English and, where the language is known, in that language too.
ENGLISH_ONLY = (
    "I read and answer questions in English only: the articles and the search behind them are "
    "English. Please ask in English, e.g. “What did Macron say about security guarantees?”"
)
ENGLISH_ONLY_IN = {
    "uk": "Я читаю й відповідаю лише англійською: статті та пошук — англійською. "
    "Будь ласка, поставте запитання англійською.",
    "ru": "Я читаю и отвечаю только на английском: статьи и поиск — на английском. "
    "Пожалуйста, задайте вопрос по-английски.",
    "fr": "Je ne lis et ne réponds qu'en anglais : les articles et la recherche sont en anglais. "
    "Posez votre question en anglais, s'il vous plaît.",
    "de": "Ich lese und beantworte Fragen nur auf Englisch: Die Artikel und die Suche sind englisch. "
    "Bitte stellen Sie Ihre Frage auf Englisch.",
    "es": "Solo leo y respondo en inglés: los artículos y la búsqueda están en inglés. "
    "Por favor, haga su pregunta en inglés.",
    "it": "Leggo e rispondo solo in inglese: gli articoli e la ricerca sono in inglese. "
    "Per favore, ponga la domanda in inglese.",
    "pt": "Só leio e respondo em inglês: os artigos e a pesquisa estão em inglês. "
    "Por favor, faça a pergunta em inglês.",
}
LANGUAGE_NAMES = {
    "uk": "Ukrainian",
    "ru": "Russian",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
}


def _script(ch: str) -> str:
    """``"LATIN"``, ``"CYRILLIC"``, ``"CJK"``, ... for a letter (the first word of its Unicode name)."""
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else ""


def question_language(text: str) -> str:
    """``"en"``, a language code from ``FUNCTION_WORDS``, or a script name in lower case
    (``"greek"``, ``"cyrillic"``, ``"cjk"``...) when only the script is known. The module's rule."""
    words = [w.casefold() for w in _WORD.findall(text.replace("’", "'"))]
    counts = {lang: sum(w in vocab for w in words) for lang, vocab in FUNCTION_WORDS.items()}
    if counts["en"] >= 2:
        return "en"
    letters = [ch for ch in text if ch.isalpha()]
    scripts: dict[str, int] = {}
    for ch in letters:
        scripts[_script(ch)] = scripts.get(_script(ch), 0) + 1
    top, n = max(scripts.items(), key=lambda kv: kv[1], default=("LATIN", 0))
    if top != "LATIN" and n >= SCRIPT_SHARE * len(letters):
        if top == "CYRILLIC":
            low = set(text.casefold())
            uk = bool(low & _UKRAINIAN_LETTERS) or counts["uk"] > counts["ru"]
            ru = bool(low & _RUSSIAN_LETTERS) or counts["ru"] > counts["uk"]
            return "uk" if uk and not ru else "ru" if ru and not uk else "cyrillic"
        return top.lower()
    others = {lang: c for lang, c in counts.items() if lang not in ("en", "uk", "ru")}
    best = max(others.values(), default=0)
    if best >= 2 and best > counts["en"]:
        leaders = [lang for lang, c in others.items() if c == best]
        return leaders[0] if len(leaders) == 1 else "latin"
    return "en"


def english_only_message(language: str) -> str:
    """What the assistant answers a question in ``language`` (not ``"en"``): that it reads English
    only, and the same in that language when it is one ``ENGLISH_ONLY_IN`` knows."""
    name = LANGUAGE_NAMES.get(language)
    said = f"This question looks like {name}. " if name else ""
    own = ENGLISH_ONLY_IN.get(language)
    return f"{said}{ENGLISH_ONLY}" + (f"\n{own}" if own else "")
