"""Which steps each kind of workflow runs: routing as data."""

from workflows.case_updates import ADD_DEPARTMENT, ANNOUNCE, ARCHIVE, INVITE, REFRESH_SUMMARY, REOPEN, RESOLVE
from workflows.open_swarm import OPEN_SWARM

WORKFLOWS = {
    "open_swarm": OPEN_SWARM,
    "announce": ANNOUNCE,
    "refresh_summary": REFRESH_SUMMARY,
    "invite": INVITE,
    "add_department": ADD_DEPARTMENT,
    "resolve": RESOLVE,
    "archive": ARCHIVE,
    "reopen": REOPEN,
}
