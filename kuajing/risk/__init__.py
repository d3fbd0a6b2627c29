"""Risk prevention (风险防控), enterprise credit (电商信用) and personal-data export (数据出境); docs/risk.md."""
