"""The end-to-end conversation set (issue: the assistant answers what residents actually ask).

Cases live in tests/conversations/*.yml: real residents' questions paraphrased from public
pages (sources logged in tests/conversations/sources.md) and questions written by someone who
saw only the seed documents and the issue. None is ever trained on (tests/bot checks it).

    python -m bench.conversations            # the whole set through a fresh stack
    python -m bench.conversations --kind entities --show-failures
"""
