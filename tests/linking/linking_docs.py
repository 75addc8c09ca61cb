"""A small strategy document the linking tests ingest (written by hand)."""

STRATEGY = """\
# Protection strategy of a mission

## 1. Protection Risks

1.1 Threats of physical violence against internally displaced persons (IDPs) and \
refugees remain high; gender-based violence is reported in the camps.

1.2 The mission will report to the Security Council under resolution 1894 (2009) \
and S/RES/1888 on sexual violence.

## 2. Coordination Mechanisms

2.1 The mission coordinates with external partners at mission headquarters and in \
field offices.
"""
