"""The staff console (/staff): conversation logs, labels and booking requests.

Conversations are health information, so every page needs a signed-in staff
account (see auth.py); views of transcripts, exports, changes and deletions
are written to the audit log.

The blueprint is ``webapp.staff.views.staff``; this package imports nothing,
so its modules can import each other without a cycle through it.
"""
