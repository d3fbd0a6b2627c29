"""Monthly summary of retail exports (汇总申报/汇总统计), the no-invoice register (无票免税) and the CIT estimate (核定征收)."""
