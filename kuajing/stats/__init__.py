"""Statistics (统计监测): customs-code-scope trade figures kept up to date from released declaration lists,
survey estimates apart, the plan's targets with lineage, the monthly bulletin (信息通报) and the government
dashboard. See docs/stats.md."""
