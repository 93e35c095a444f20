"""Keep the word featurizer's out-of-vocabulary list in bot/config.yml current.

Why: a message made only of words the model never saw (「晕」「嘤嘤嘤」, a new swear word) has
no word features at all, and DIET then picks whichever intent owns the shortest examples —
`affirm`, which inside the cost form would read gibberish as 「是的」. Rasa's answer is an
OOV token: at prediction every unknown word becomes `oovtoken`; in training the words listed
in `OOV_words` are replaced by it, so the model learns what an unknown word means from the
words that are rare in training. We list the words that occur in exactly one training example
(hapax legomena): mostly the junk of `out_of_scope`, but also the rare words of every other
intent, so an unknown word next to known policy words does not drag a question off-topic.

    python -m bench.nlu_report.oov           # rewrite the list in bot/config.yml
    python -m bench.nlu_report.oov --check   # exit 1 when the list is stale (used by tests)

Tokenisation follows Rasa's JiebaTokenizer with our user dictionary, lower-cased like
CountVectorsFeaturizer. Standard library, PyYAML and jieba only.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import jieba
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "bot" / "config.yml"
NLU_DIR = ROOT / "data" / "nlu"
USER_DICT = NLU_DIR / "jieba" / "userdict.txt"
LINE_PREFIX = "    OOV_words: "
_DIGITS = re.compile(r"\b[0-9]+\b")
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def intent_examples(path: Path) -> Iterator[tuple[str, str]]:
    """(intent, plain text) for every intent example of one NLU file, entity markup removed."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in document.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                text = _ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", line[2:])
                yield str(block["intent"]), text


def training_examples(nlu_dir: Path = NLU_DIR) -> list[tuple[str, str]]:
    """(intent, plain text) for every intent example under nlu_dir."""
    return [pair for path in sorted(nlu_dir.glob("*.yml")) for pair in intent_examples(path)]


def oov_words(nlu_dir: Path = NLU_DIR) -> list[str]:
    """The rare words, never an intent name.

    The same featurizer also turns intent labels into features, OOV replacement included:
    with `thanks` and `goodbye` in the list both labels became `oovtoken`, got one embedding,
    and cross-validation read every goodbye as thanks (F1 0.000).
    """
    examples = training_examples(nlu_dir)
    names = {intent.lower() for intent, _ in examples}
    return [word for word in rare_words(text for _, text in examples) if word not in names]


def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    # jieba leaves a path it opens unclosed; hand it a file we close.
    with USER_DICT.open("rb") as handle:
        tokenizer.load_userdict(handle)
    return tokenizer


def _as_featurized(word: str) -> str:
    # CountVectorsFeaturizer turns digit runs into __NUMBER__ and lower-cases before the OOV
    # replacement, so the list must hold words in that form.
    return _DIGITS.sub("__NUMBER__", word).lower()


def rare_words(texts: Iterable[str], tokenizer: jieba.Tokenizer | None = None) -> list[str]:
    """Words found in exactly one example, sorted; whitespace-only tokens are not words."""
    tokenizer = tokenizer or _tokenizer()
    seen: Counter[str] = Counter()
    for text in texts:
        words = {_as_featurized(word) for word, _, _ in tokenizer.tokenize(text)}
        seen.update(word for word in words if word.strip())
    return sorted(word for word, count in seen.items() if count == 1)


def render_line(words: list[str]) -> str:
    # JSON quotes every word, so YAML never turns 1000 or "yes" into a number or a boolean.
    return LINE_PREFIX + json.dumps(words, ensure_ascii=False)


def with_words(config_text: str, words: list[str]) -> str:
    """config_text with its one OOV_words line replaced."""
    lines = config_text.splitlines()
    found = [i for i, line in enumerate(lines) if line.startswith(LINE_PREFIX)]
    if len(found) != 1:
        raise ValueError(f"expected one line starting {LINE_PREFIX.strip()!r} in the config")
    lines[found[0]] = render_line(words)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    current = CONFIG.read_text(encoding="utf-8")
    wanted = with_words(current, oov_words())
    if "--check" in argv:
        if wanted != current:
            print("bot/config.yml OOV_words is stale: run python -m bench.nlu_report.oov")
            return 1
        return 0
    CONFIG.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
