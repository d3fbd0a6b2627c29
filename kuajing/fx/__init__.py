"""Foreign-exchange settlement support (结汇): proceeds, netting, ageing, 9810 reconciliation, advances (代垫),
individual settlement and the bank view with the enterprise's consent (docs/fx.md)."""
