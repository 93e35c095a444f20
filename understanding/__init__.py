"""Reading a resident's message deterministically: closed vocabularies and amounts.

Regions (with every county, district and town of policies/words/), settings, hospital levels,
categories, diseases (the annex tables' names and aliases) and amounts of money are found here
by longest match, not learnt: a word a model never saw is still read. Used by the Rasa
component (bot/components/healthaid_reader.py, entities and a few intent corrections) and by
the actions (topic cues, domain terms). Stdlib, PyYAML, jieba and pypinyin (sounds.py),
Python 3.10+: it runs in both environments.
"""
