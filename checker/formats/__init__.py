"""The CI output formats, one module each.

Importing this package registers every renderer in
:data:`checker.report.RENDERERS` (:mod:`checker.report` imports it). A new
format is a module here with a ``@renderer("name")`` function, listed below.
"""

from . import csvreport, github, jsonlines, junit, sarif

__all__ = ["csvreport", "github", "jsonlines", "junit", "sarif"]
