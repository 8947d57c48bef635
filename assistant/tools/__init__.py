"""Commands developers and operators run, never loaded by the running bot.

Build and validate the FAQ source, evaluate and compare models, retrain and
roll back, import staff labels, and launch the scaled profile. Runtime code
(``assistant``, ``actions``, ``webapp``) does not import this package
(tests/test_imports.py checks it).
"""
