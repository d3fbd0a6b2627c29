"""Enterprise signing certificates (企业证书备案) and the signature policy of declaration lists (报文验签/加签)."""
