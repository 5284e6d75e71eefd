"""Impact analysis: what a pack version (a draft) would change, replayed over the decision log.

A batch job over the log, not one decision at a time (:mod:`jiceng.platform.decisions.replay`
is the one-at-a-time reference it must agree with):

* :mod:`.window`    — which part of the log (dates, units, rules) and its limits;
* :mod:`.replaying` — one range of log rows: read as plain rows (no ORM objects), each JSON
  text decoded once per distinct text, decided by the compiled pack of its recorded versions
  (compiled once per job and process), tallied;
* :mod:`.tally`     — what a range found and how ranges add up (independent of their order);
* :mod:`.batch`     — the log split into ranges of equal row counts, replayed in a process
  pool (or in-process when small), progress and cancel between ranges;
* :mod:`.jobs`      — the job an admin starts, polls and cancels; its summary and its list of
  changes kept with the version (``impact_jobs``, ``impact_changes``); paging and CSV export.
"""
