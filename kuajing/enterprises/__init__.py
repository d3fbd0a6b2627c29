"""Enterprise filing and the zone's enterprise registry (企业备案, 企业库, 全程跟踪服务)."""
