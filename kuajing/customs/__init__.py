"""Customs exchange (海关通道): the CustomsTransport port, the built-in customs sandbox and the file transport."""
