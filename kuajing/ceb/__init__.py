"""The customs message layer (海关跨境电商报文): typed models, parse/build, validation, receipts.

Pure: imports nothing from the rest of kuajing. See kuajing/ceb/README.md for the API.
"""

from kuajing.ceb.catalogue import explain, lookup, render_error_codes_markdown
from kuajing.ceb.codec import build, parse, validate
from kuajing.ceb.examples import example_message
from kuajing.ceb.issues import CebError, Issue, IssueCode
from kuajing.ceb.messages import MESSAGES, RECEIPT_OF, spec_of
from kuajing.ceb.models import BaseSubscribe, BaseTransfer, ExtendMessage, Message, classes, new_guid
from kuajing.ceb.receipt import receipt_for, to_ceb900
from kuajing.ceb.xml import DEFAULT_MAX_BYTES, insert_signature, safe_parse, signature_position

__all__ = [
    "BaseSubscribe", "BaseTransfer", "CebError", "DEFAULT_MAX_BYTES", "ExtendMessage", "Issue", "IssueCode",
    "MESSAGES", "Message", "RECEIPT_OF", "build", "classes", "example_message", "explain", "insert_signature",
    "lookup", "new_guid", "parse", "receipt_for", "render_error_codes_markdown", "safe_parse", "signature_position",
    "spec_of", "to_ceb900", "validate",
]
