"""The health-check vocabulary, kept once: check types and the states of switches (semantics §5).

Zone files (`zonefiles.healthchecks_file`), the probes, the scheduler and the snapshot's rules
all read these names from here. Tuples keep Route 53's order, which error messages list.
"""

from __future__ import annotations

HTTP_TYPES = ("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH")
STR_MATCH_TYPES = ("HTTP_STR_MATCH", "HTTPS_STR_MATCH")
PROBED_TYPES = (*HTTP_TYPES, "TCP")  # checks that send requests to an endpoint
CALCULATED = "CALCULATED"  # counts the health of its child checks
RECOVERY_CONTROL = "RECOVERY_CONTROL"
CLOUDWATCH_METRIC = "CLOUDWATCH_METRIC"
SWITCH_TYPES = (RECOVERY_CONTROL, CLOUDWATCH_METRIC)  # follow a state set from outside
HEALTH_CHECK_TYPES = (*PROBED_TYPES, CALCULATED, CLOUDWATCH_METRIC, RECOVERY_CONTROL)

# The states a switch can be set to, by type; the first is a new switch's state. ALARM's
# INSUFFICIENT_DATA is r53emu's extension, to test `insufficient_data_health_status`.
SWITCH_STATES: dict[str, tuple[str, ...]] = {
    RECOVERY_CONTROL: ("On", "Off"),
    CLOUDWATCH_METRIC: ("OK", "ALARM", "INSUFFICIENT_DATA"),
}
