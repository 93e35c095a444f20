"""The Rasa custom actions (rasa_sdk), split by family.

session      action_session_start, per-turn metadata slots
topics       action_answer_topic                      (answers: policies/answers/*.yaml)
estimate     validate_estimate_form, action_estimate, action_estimate_detail
lookup       validate_verify_form, action_my_benefits, action_lookup_resident
handoff      action_handoff
fallback     action_fallback_search                   (clause_search: jieba + BM25)

Business logic lives in pure modules (numerals, answers, estimate_logic, verification, benefits,
clause_search); the action classes only read the tracker and emit events. Nothing here touches
the database or builds an index at import time.
"""
