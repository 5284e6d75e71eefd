"""Rule-pack versions: what is in force for whom and when, the draft → publish → rollback
lifecycle, semantic diff and the pack's own tests (impact on logged decisions: :mod:`jiceng.platform.impact`)."""
