"""Export tax rebate support (出口退税): enterprise classes, paperless filing, claim deadlines and the 9810
pre-refund on departure (docs/rebate.md)."""
