"""Console forms (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from assistant.store import BookingStatus

REVIEW_TAGS = ("wrong answer", "missing FAQ", "follow up", "good answer")


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class ReviewForm(FlaskForm):
    tags = SelectMultipleField("Tags", choices=[(t, t) for t in REVIEW_TAGS],
                               widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    note = TextAreaField("Note", validators=[Length(max=5000)])
    reviewed = BooleanField("Reviewed")


class LabelForm(FlaskForm):
    event_id = IntegerField(validators=[DataRequired(), NumberRange(min=1)])
    faq_id = SelectField("Right FAQ", validators=[DataRequired()])


class StatusForm(FlaskForm):
    """A booking request's status, who handles it and staff's note (choices of assignee set per request)."""

    status = SelectField("Status", choices=[(s.value, s.value) for s in BookingStatus])
    assignee = SelectField("Handled by", choices=[("", "nobody yet")], validate_choice=False)
    note = TextAreaField("Note", validators=[Length(max=2000)])


class NewUserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password (12+ characters)",
                             validators=[DataRequired(), Length(min=12, max=256)])
    role = SelectField("Role", choices=[("staff", "staff"), ("admin", "admin")])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    new = PasswordField("New password (12+ characters, not easy to guess)",
                        validators=[DataRequired(), Length(min=12, max=256)])
    repeat = PasswordField("New password again",
                           validators=[DataRequired(), EqualTo("new", message="The new passwords differ.")])


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class DeleteForm(FlaskForm):
    """Deleting a conversation cannot be undone: the admin types "delete" first."""

    confirm = StringField('Type "delete" to confirm', validators=[Length(max=40)])
