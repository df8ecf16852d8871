"""The department's annual GIA programme as a catalogue: the plan's text (processes/plan/*.md), which process
implements each item (items.json) and the exam calendar (calendar-*.json), read together by `catalogue.load`.
"""
