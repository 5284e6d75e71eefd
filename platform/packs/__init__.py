"""Rule-pack versions: what is in force for whom and when, the draft → publish → rollback
lifecycle, semantic diff, the pack's own tests and impact on logged decisions."""
