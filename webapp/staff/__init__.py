"""The staff console (/staff): conversation logs, labels and booking requests.

Conversations are health information, so every page needs a signed-in staff
account (see auth.py); views of transcripts, exports, changes and deletions
are written to the audit log.
"""

from webapp.staff.views import staff

__all__ = ["staff"]
