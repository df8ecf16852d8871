"""The workflow core's verbs (deploy, start, tasks, complete, timers, instances, inbox, routing).

A regular package (not a namespace one) so that the layering contracts in .importlinter can name it.
"""
