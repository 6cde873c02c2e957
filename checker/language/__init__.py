"""The policy language: what a policy says and how it is read.

Lives here: errors with locations (:mod:`.errors`), safe YAML with positions
(:mod:`.yamlsafe`), the shipped JSON Schemas (:mod:`.schema`), durations and
instants (:mod:`.durations`, :mod:`.times`), JMESPath expressions and the time
functions (:mod:`.expressions`, :mod:`.jmespath_compiler`), the policy model
(:mod:`.policy`), the lookup kinds (:mod:`.kinds`), loading a pack
(:mod:`.loader`), plain-words explanations (:mod:`.explain`), YAML/JSON
config files (:mod:`.configfiles`), and output files written whole or not at all
(:mod:`.atomic`, here because every layer above writes files).

May import: :mod:`checker._version` and the standard library and third-party
packages only. It is the bottom layer: every other layer builds on it.
"""
